{#- adam.md, ADEX: each administration (stg_ex) next to the protocol dose planned for that subject, drug,
    phase, cycle and day: given, reduced, skipped, and the reason of a reduction. -#}
with

administrations as (
    select * from {{ ref('stg_ex') }}
),

planned_doses as (
    select * from {{ ref('int_dose_schedule_expanded') }}
),

administration_plan as (
    select
        administrations.usubjid,
        administrations.treatment,
        administrations.phase,
        administrations.cycle,
        administrations.cycle_day,
        administrations.administration_date,
        cast(administrations.dose as double) as dose,
        administrations.dose_unit,
        administrations.adjustment_reason,
        planned_doses.planned_dose,
        planned_doses.planned_dose_unit
    from administrations
    left join planned_doses
        on administrations.usubjid = planned_doses.usubjid
        and administrations.treatment = planned_doses.treatment
        and administrations.phase = planned_doses.phase
        and administrations.cycle = planned_doses.cycle
        and administrations.cycle_day = planned_doses.cycle_day
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
