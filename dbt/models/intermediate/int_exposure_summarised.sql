{#- adam.md, ADEX: exposure per subject x drug x phase, plus per-drug totals with phase ALL: started cycles,
    planned and actual cumulative dose, administrations given / reduced / skipped, first and last
    administration dates. The reasons of the reductions are int_dose_reduction_causes_collected. -#}
with

planned_doses as (
    select * from {{ subject_ref('int_dose_schedule_expanded') }}
),

administrations as (
    select * from {{ subject_ref('int_administrations_compared_to_plan') }}
),

treated_subjects as (
    -- Interpretation: ADEX describes the exposure of subjects with at least one administration with
    -- EXDOSE > 0 (the treated, i.e. safety, subjects).
    select distinct usubjid
    from administrations
    where is_given
),

planned_in_started_cycles as (
    -- Planned cumulative dose = sum of the schedule's doses over the started cycles only.
    select
        usubjid,
        treatment,
        phase,
        count(distinct cycle) as started_cycles,
        sum(planned_dose) as planned_cumulative_dose,
        max(planned_dose_unit) as dose_unit
    from planned_doses
    where is_cycle_started
    group by usubjid, treatment, phase
),

administered as (
    -- Actual cumulative dose = sum of EXDOSE, scheduled or not.
    select
        usubjid,
        treatment,
        phase,
        coalesce(sum(dose), 0) as actual_cumulative_dose,
        sum(case when is_given then 1 else 0 end) as administrations_given,
        sum(case when is_reduced then 1 else 0 end) as administrations_reduced,
        sum(case when is_skipped then 1 else 0 end) as administrations_skipped,
        -- DURD runs from the first to the last administration given (EXDOSE > 0): a dose recorded
        -- as 0 was not administered, as NADM does not count it.
        min(case when is_given then administration_date end) as first_administration_date,
        max(case when is_given then administration_date end) as last_administration_date,
        max(dose_unit) as dose_unit
    from administrations
    group by usubjid, treatment, phase
),

by_phase as (
    select
        coalesce(planned_in_started_cycles.usubjid, administered.usubjid) as usubjid,
        coalesce(planned_in_started_cycles.treatment, administered.treatment) as treatment,
        coalesce(planned_in_started_cycles.phase, administered.phase) as phase,
        coalesce(planned_in_started_cycles.dose_unit, administered.dose_unit) as dose_unit,
        coalesce(planned_in_started_cycles.started_cycles, 0) as started_cycles,
        coalesce(planned_in_started_cycles.planned_cumulative_dose, 0) as planned_cumulative_dose,
        coalesce(administered.actual_cumulative_dose, 0) as actual_cumulative_dose,
        coalesce(administered.administrations_given, 0) as administrations_given,
        coalesce(administered.administrations_reduced, 0) as administrations_reduced,
        coalesce(administered.administrations_skipped, 0) as administrations_skipped,
        administered.first_administration_date,
        administered.last_administration_date
    from planned_in_started_cycles
    full outer join administered
        on planned_in_started_cycles.usubjid = administered.usubjid
        and planned_in_started_cycles.treatment = administered.treatment
        and planned_in_started_cycles.phase = administered.phase
),

treated_by_phase as (
    select by_phase.*
    from by_phase
    inner join treated_subjects
        on by_phase.usubjid = treated_subjects.usubjid
),

all_phases as (
    -- Per-drug totals (APHASE = ALL): sums over the phases; RDI is then recomputed from the sums.
    select
        usubjid,
        treatment,
        'ALL' as phase,
        max(dose_unit) as dose_unit,
        sum(started_cycles) as started_cycles,
        sum(planned_cumulative_dose) as planned_cumulative_dose,
        sum(actual_cumulative_dose) as actual_cumulative_dose,
        sum(administrations_given) as administrations_given,
        sum(administrations_reduced) as administrations_reduced,
        sum(administrations_skipped) as administrations_skipped,
        -- the drug's first and last administration over all phases
        min(first_administration_date) as first_administration_date,
        max(last_administration_date) as last_administration_date
    from treated_by_phase
    group by usubjid, treatment
),

phase_and_total_rows as (
    select * from treated_by_phase
    -- An administration whose PHASE the site left empty (site_extracts.md: empty = missing)
    -- belongs to no phase: it counts in its drug's ALL row only (quality.findings_dosing names
    -- it as a dose on an unscheduled day).
    where phase is not null
    union all
    select * from all_phases
)

select
    phase_and_total_rows.usubjid,
    phase_and_total_rows.treatment,
    phase_and_total_rows.phase,
    phase_and_total_rows.dose_unit,
    cast(phase_and_total_rows.started_cycles as integer) as started_cycles,
    cast(phase_and_total_rows.planned_cumulative_dose as double) as planned_cumulative_dose,
    cast(phase_and_total_rows.actual_cumulative_dose as double) as actual_cumulative_dose,
    cast(phase_and_total_rows.administrations_given as integer) as administrations_given,
    cast(phase_and_total_rows.administrations_reduced as integer) as administrations_reduced,
    cast(phase_and_total_rows.administrations_skipped as integer) as administrations_skipped,
    cast(phase_and_total_rows.first_administration_date as date) as first_administration_date,
    cast(phase_and_total_rows.last_administration_date as date) as last_administration_date
from phase_and_total_rows
