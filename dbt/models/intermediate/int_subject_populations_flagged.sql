{#- adam.md, Populations: ITTFL = ENRLFL Y; SAFFL = ITT with >= 1 administration with EXDOSE > 0;
    RESPFL = ITT with >= 1 on-study response >= PR, ignoring assessments after the first PD
    (adam.md, ADRS). Interpretation: a subject whose eligibility (ELIGDT) is after the cut-off was
    still in screening at the cut (an event after the cut-off does not exist), so is not ITT. -#}
with

data_cut as (
    select cutoff_date from {{ ref('stg_data_cut') }}
),

enrolment as (
    select * from {{ ref('stg_enr') }}
),

treatment_dates as (
    select * from {{ subject_ref('int_subject_treatment_dates_derived') }}
),

assessments_up_to_first_progression as (
    -- shared with ADRS, so RESPFL and the DOR start date use one definition of "before the first PD".
    select * from {{ subject_ref('int_responses_before_progression_filtered') }}
),

intention_to_treat as (
    select
        enrolment.usubjid,
        coalesce(
            enrolment.is_enrolled
            and (enrolment.eligibility_date is null or enrolment.eligibility_date <= data_cut.cutoff_date),
            false
        ) as is_itt
    from enrolment
    cross join data_cut
),

responses_before_first_progression as (
    -- a response recorded after progression is not a response (adam.md, ADRS); the upstream model
    -- has already dropped assessments after the first PD.
    select distinct usubjid
    from assessments_up_to_first_progression
    where response in ('SCR', 'CR', 'VGPR', 'PR')
),

population_flags as (
    select
        intention_to_treat.usubjid,
        intention_to_treat.is_itt,
        intention_to_treat.is_itt and treatment_dates.first_dose_date is not null as is_safety,
        intention_to_treat.is_itt and responses_before_first_progression.usubjid is not null as is_responder
    from intention_to_treat
    left join treatment_dates on intention_to_treat.usubjid = treatment_dates.usubjid
    left join responses_before_first_progression
        on intention_to_treat.usubjid = responses_before_first_progression.usubjid
)

select * from population_flags
