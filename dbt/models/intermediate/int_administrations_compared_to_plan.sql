{#- adam.md, ADEX: each administration (stg_ex) next to the protocol dose planned for that subject, drug,
    phase, cycle and day: given, reduced, skipped, and the reason of a reduction. -#}
with

administrations as (
    select * from {{ ref('stg_ex') }}
),

subjects as (
    select
        usubjid,
        age_years as age,
        weight_kg,
        body_surface_area
    from {{ subject_ref('int_subjects_derived') }}
),

plan_by_age as (
    select * from {{ ref('int_dose_plan_by_age') }}
),

schedule_units as (
    -- the unit the schedule doses each drug in (MG/KG isatuximab, MG dexamethasone, MG/M2 melphalan)
    select
        treatment,
        min(planned_dose_unit) as schedule_unit
    from plan_by_age
    group by treatment
),

administrations_with_age as (
    -- The plan depends on the subject only through AGE: each administration is looked up in the plan of its
    -- subject's AGE (a few thousand rows), not in the plan laid out per subject (7 million rows to join at
    -- 100,000 subjects). A subject missing from ADSL (int_subjects_derived) has no AGE and gets the rows
    -- without AGEMIN.
    select
        administrations.* rename (dose as recorded_dose, dose_unit as recorded_dose_unit),
        subjects.age,
        subjects.weight_kg,
        subjects.body_surface_area,
        coalesce(schedule_units.schedule_unit, administrations.dose_unit) as dose_unit
    from administrations
    left join subjects
        on administrations.usubjid = subjects.usubjid
    left join schedule_units
        on administrations.treatment = schedule_units.treatment
),

doses_in_schedule_unit as (
    -- adam.md, ADEX: the actual cumulative dose sums EXDOSE, and the schedule, in one unit per drug,
    -- is the one source of planned doses. A dose recorded in another unit (EXDOSU) is converted to
    -- its drug's with the subject's baseline WEIGHT (MG <-> MG/KG) or BSA (MG <-> MG/M2), rounded to
    -- 6 decimals (binary noise would make 701 MG at 70.1 kg a reduction of 10 MG/KG); without the
    -- weight or BSA it needs it is NULL, neither summed nor compared. Summed as recorded, 485 MG of
    -- isatuximab counted as 485 MG/KG (found by fuzzing). quality.findings_dosing asks the site
    -- (DOSE_UNIT_NOT_THE_SCHEDULES). An empty EXDOSU is read as the drug's unit.
    select
        administrations_with_age.*,
        case
            when recorded_dose_unit is null or recorded_dose_unit = dose_unit then recorded_dose
            else round(
                recorded_dose
                * case recorded_dose_unit
                    when 'MG/KG' then weight_kg when 'MG/M2' then body_surface_area when 'MG' then 1
                end
                / case dose_unit
                    when 'MG/KG' then weight_kg when 'MG/M2' then body_surface_area when 'MG' then 1
                end,
                6
            )
        end as dose
    from administrations_with_age
),

administration_plan as (
    select
        doses_in_schedule_unit.usubjid,
        doses_in_schedule_unit.treatment,
        doses_in_schedule_unit.phase,
        doses_in_schedule_unit.cycle,
        doses_in_schedule_unit.cycle_day,
        doses_in_schedule_unit.administration_date,
        cast(doses_in_schedule_unit.recorded_dose as double) as recorded_dose,
        doses_in_schedule_unit.recorded_dose_unit,
        cast(doses_in_schedule_unit.dose as double) as dose,
        doses_in_schedule_unit.dose_unit,
        doses_in_schedule_unit.adjustment_reason,
        plan_by_age.planned_dose,
        plan_by_age.planned_dose_unit
    from doses_in_schedule_unit
    left join plan_by_age
        on doses_in_schedule_unit.treatment = plan_by_age.treatment
        and doses_in_schedule_unit.phase = plan_by_age.phase
        and doses_in_schedule_unit.cycle = plan_by_age.cycle
        and doses_in_schedule_unit.cycle_day = plan_by_age.cycle_day
        and doses_in_schedule_unit.age is not distinct from plan_by_age.age
),

administration_compared as (
    -- NADM counts EXDOSE > 0 (as recorded, whatever its unit). NRED: 0 < EXDOSE < the planned dose
    -- of that day, compared in the schedule's unit (a dose that could not be converted is not
    -- compared). NSKIP: a scheduled administration given as 0. Interpretation: a record on a day the
    -- schedule has none is unscheduled: a dose > 0 counts in NADM and in the actual dose but is never
    -- a reduction, and a 0 is not a skip (nothing was planned that day).
    select
        administration_plan.*,
        administration_plan.planned_dose is not null as is_scheduled,
        coalesce(administration_plan.recorded_dose > 0, false) as is_given,
        coalesce(
            administration_plan.dose > 0
            and administration_plan.dose < administration_plan.planned_dose,
            false
        ) as is_reduced,
        coalesce(
            administration_plan.recorded_dose = 0 and administration_plan.planned_dose is not null,
            false
        ) as is_skipped
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
