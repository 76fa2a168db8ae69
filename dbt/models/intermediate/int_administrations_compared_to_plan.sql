{#- adam.md, ADEX: each administration (stg_ex) next to the protocol dose planned for that subject, drug,
    phase, cycle and day: given, reduced, skipped, and the reason of a reduction. -#}
with

administrations as (
    select * from {{ ref('stg_ex') }}
),

subjects as (
    select
        usubjid,
        age_years as age
    from {{ subject_ref('int_subjects_derived') }}
),

plan_by_age as (
    select * from {{ ref('int_dose_plan_by_age') }}
),

administrations_with_age as (
    -- The plan depends on the subject only through AGE: each administration is looked up in the plan of its
    -- subject's AGE (a few thousand rows), not in the plan laid out per subject (7 million rows to join at
    -- 100,000 subjects). A subject missing from ADSL (int_subjects_derived) has no AGE and gets the rows
    -- without AGEMIN.
    select
        administrations.*,
        subjects.age
    from administrations
    left join subjects
        on administrations.usubjid = subjects.usubjid
),

administration_plan as (
    select
        administrations_with_age.usubjid,
        administrations_with_age.treatment,
        administrations_with_age.phase,
        administrations_with_age.cycle,
        administrations_with_age.cycle_day,
        administrations_with_age.administration_date,
        cast(administrations_with_age.dose as double) as dose,
        administrations_with_age.dose_unit,
        administrations_with_age.adjustment_reason,
        plan_by_age.planned_dose,
        plan_by_age.planned_dose_unit
    from administrations_with_age
    left join plan_by_age
        on administrations_with_age.treatment = plan_by_age.treatment
        and administrations_with_age.phase = plan_by_age.phase
        and administrations_with_age.cycle = plan_by_age.cycle
        and administrations_with_age.cycle_day = plan_by_age.cycle_day
        and administrations_with_age.age is not distinct from plan_by_age.age
),

administration_compared as (
    -- NADM counts EXDOSE > 0. NRED: 0 < EXDOSE < the planned dose of that day, compared like with like
    -- (EXDOSE in EXDOSU against the schedule in the same unit: MG/KG with MG/KG, MG/M2 with MG/M2).
    -- NSKIP: a scheduled administration given as 0. Interpretation: a record on a day the schedule has
    -- none is unscheduled: a dose > 0 counts in NADM and in the actual dose but is never a reduction, and
    -- a 0 is not a skip (nothing was planned that day).
    select
        administration_plan.*,
        administration_plan.planned_dose is not null as is_scheduled,
        coalesce(administration_plan.dose > 0, false) as is_given,
        coalesce(
            administration_plan.dose > 0
            and administration_plan.dose < administration_plan.planned_dose
            and administration_plan.dose_unit = administration_plan.planned_dose_unit,
            false
        ) as is_reduced,
        coalesce(administration_plan.dose = 0 and administration_plan.planned_dose is not null, false)
            as is_skipped
    from administration_plan
),

reduction_reason_assigned as (
    -- REDCAUS: the EXADJ reason of a reduction; UNKNOWN when EXADJ is empty.
    select
        administration_compared.*,
        case
            when administration_compared.is_reduced
                then coalesce(administration_compared.adjustment_reason, 'UNKNOWN')
        end as reduction_reason
    from administration_compared
)

select * from reduction_reason_assigned
