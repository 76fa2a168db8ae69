{#- adam.md, ADEX: exposure per subject x drug x phase, plus per-drug totals with phase ALL: started cycles,
    planned and actual cumulative dose, administrations given / reduced / skipped, reduction reasons. -#}
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
        coalesce(administered.administrations_skipped, 0) as administrations_skipped
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
        sum(administrations_skipped) as administrations_skipped
    from treated_by_phase
    group by usubjid, treatment
),

phase_and_total_rows as (
    select * from treated_by_phase
    union all
    select * from all_phases
),

reduction_reasons as (
    -- Distinct reasons per phase and over all phases (a reason counts once however often it recurs).
    select distinct usubjid, treatment, phase, reduction_reason
    from administrations
    where is_reduced
    union
    select distinct usubjid, treatment, 'ALL' as phase, reduction_reason
    from administrations
    where is_reduced
),

reduction_reasons_listed as (
    -- Interpretation: several reasons are listed sorted alphabetically and joined with ', '
    -- (e.g. 'ADVERSE EVENT, OTHER'); T08 splits on ', ' to count subjects by cause.
    select
        usubjid,
        treatment,
        phase,
        {{ dbt.listagg('reduction_reason', "', '", 'order by reduction_reason') }} as reduction_reasons
    from reduction_reasons
    group by usubjid, treatment, phase
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
    reduction_reasons_listed.reduction_reasons
from phase_and_total_rows
left join reduction_reasons_listed
    on phase_and_total_rows.usubjid = reduction_reasons_listed.usubjid
    and phase_and_total_rows.treatment = reduction_reasons_listed.treatment
    and phase_and_total_rows.phase = reduction_reasons_listed.phase
