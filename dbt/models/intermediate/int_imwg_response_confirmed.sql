{#- response.md section 3, Confirmation: the computed time points (ALGRESP, int_imwg_timepoints_
    evaluated) confirmed with exactly the rules of section 1, the macro confirm_imwg_response the
    investigator's assessments go through (int_response_confirmed). A PD counts as IMAGING when
    imaging made it PD (is_imaging_pd), else as biochemical. One row per subject x time point:
    its confirmed category and ALGCOVR, the best confirmed so far. -#}
with

computed_responses as (
    select
        usubjid,
        adt,
        algresp,
        algresp_rule,
        is_imaging_pd
    from {{ subject_ref('int_imwg_timepoints_evaluated') }}
),

subjects as (
    select
        usubjid,
        second_line_start_date,
        death_cause
    from {{ subject_ref('int_subjects_derived') }}
),

computed_time_points as (
    select
        computed_responses.usubjid,
        computed_responses.adt,
        computed_responses.algresp as category,
        computed_responses.algresp_rule,
        coalesce(computed_responses.is_imaging_pd, false) as is_imaging_pd,
        -- NACTDT: the first anti-myeloma therapy after study treatment (nt NTLINE 2)
        subjects.second_line_start_date as next_therapy_date,
        -- DTHPD
        coalesce(subjects.death_cause = 'PROGRESSIVE DISEASE', false) as died_of_progression
    from computed_responses
    left join subjects
        on computed_responses.usubjid = subjects.usubjid
),

confirmed as (
    {{ confirm_imwg_response('computed_time_points') }}
)

select
    usubjid,
    adt,
    category as algresp,
    algresp_rule,
    category_rank,
    is_imaging_pd,
    next_therapy_date,
    died_of_progression,
    cast(timepoint_order as integer) as timepoint_order,
    confirmed_category,
    covr as algcovr
from confirmed
