{#- submission.md, ADaM conformance: the treatment variables of a single-arm study. "ARM,
    ACTARM, TRT01P, TRT01A = ISATUXIMAB-DEXAMETHASONE (screen failures: ARM = Screen Failure,
    TRT01P/TRT01A empty)": every ITT subject has the arm and the treatment, planned and actual,
    a subject never dosed included (SAFFL, not TRT01A, says who was treated). A screen failure
    (not ITT) has ACTARM 'Screen Failure' as its ARM (SDTMIG: the spec names only ARM).
    TRTDURD = TRTEDT - TRTSDT + 1 days, as adam.md counts every duration; empty without a
    dose. -#}
with

populations as (
    select * from {{ subject_ref('int_subject_populations_flagged') }}
),

treatment_dates as (
    select * from {{ subject_ref('int_subject_treatment_dates_derived') }}
),

arm_by_population as (
    -- single arm: the one treatment name, written here only (submission.md)
    select
        populations.usubjid,
        case
            when populations.is_itt then 'ISATUXIMAB-DEXAMETHASONE'
            else 'Screen Failure'
        end as planned_arm,
        case
            when populations.is_itt then 'ISATUXIMAB-DEXAMETHASONE'
            else 'Screen Failure'
        end as actual_arm,
        case when populations.is_itt then 'ISATUXIMAB-DEXAMETHASONE' end as planned_treatment,
        case when populations.is_itt then 'ISATUXIMAB-DEXAMETHASONE' end as actual_treatment
    from populations
),

treatment_duration as (
    select
        usubjid,
        {{ dbt.datediff('first_dose_date', 'last_dose_date', 'day') }} + 1 as treatment_duration_days
    from treatment_dates
)

select
    arm_by_population.usubjid,
    arm_by_population.planned_arm,
    arm_by_population.actual_arm,
    arm_by_population.planned_treatment,
    arm_by_population.actual_treatment,
    cast(treatment_duration.treatment_duration_days as integer) as treatment_duration_days
from arm_by_population
left join treatment_duration on arm_by_population.usubjid = treatment_duration.usubjid
