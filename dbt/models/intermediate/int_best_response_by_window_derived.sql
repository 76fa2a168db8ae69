{{ config(post_hook="{{ restamp_best_response_windows_at_cutoff() }}") }}
{#- adam.md, ADRS: BORIND, BORASCT, BOR. One row per ITT subject x parameter: the best response
    (lowest rank) among the counted assessments (on or before the first PD) dated in the
    parameter's window, and the date of the first assessment that reached it; NE with no date when
    the window holds no assessment. -#}
with

itt_subjects as (
    select
        usubjid,
        melphalan_date,
        first_maintenance_dose_date as maintenance_start_date,
        end_of_treatment_date,
        cutoff_date
    from {{ subject_ref('int_subjects_derived') }}
    where is_itt
),

counted_assessments as (
    select
        usubjid,
        assessment_date,
        response_rank
    from {{ subject_ref('int_responses_before_progression_filtered') }}
    where response_rank is not null
),

induction_window as (
    -- before MELDT; no transplant: up to EOTDT, or CUTOFFDT while still on treatment
    select
        usubjid,
        'BORIND' as paramcd,
        {{ best_response_window_end('induction', 'itt_subjects') }} as window_end_date
    from itt_subjects
),

up_to_maintenance_window as (
    -- before MNTSDT; no maintenance: up to EOTDT, or CUTOFFDT while still on treatment
    select
        usubjid,
        'BORASCT' as paramcd,
        {{ best_response_window_end('up_to_maintenance', 'itt_subjects') }} as window_end_date
    from itt_subjects
),

on_study_window as (
    -- on study up to CUTOFFDT
    select
        usubjid,
        'BOR' as paramcd,
        cutoff_date as window_end_date
    from itt_subjects
),

windows as (
    select * from induction_window
    union all
    select * from up_to_maintenance_window
    union all
    select * from on_study_window
),

assessments_in_window as (
    select
        windows.usubjid,
        windows.paramcd,
        counted_assessments.assessment_date,
        counted_assessments.response_rank
    from windows
    inner join counted_assessments
        on
            windows.usubjid = counted_assessments.usubjid
            and counted_assessments.assessment_date <= windows.window_end_date
),

{{ best_in_window('windows', 'assessments_in_window', 'assessment_date', 'response_rank', keep=['window_end_date']) }}

select * from best_response
