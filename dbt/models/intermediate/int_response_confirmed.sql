{#- response.md section 1: the investigator's assessments confirmed (IMWG). One row per dated rs
    record: its confirmed category at that time point and COVR, the best confirmed so far. The
    rules are the macro confirm_imwg_response, shared with the computed time points. -#}
with

assessments as (
    select
        usubjid,
        assessment_date,
        phase,
        response,
        pd_basis
    from {{ ref('stg_rs') }}
    -- an undated assessment cannot be ordered, so it confirms nothing (as for OVRLRESP's ANL01FL)
    where assessment_date is not null
),

subjects as (
    select
        usubjid,
        second_line_start_date,
        death_cause
    from {{ subject_ref('int_subjects_derived') }}
),

investigator_time_points as (
    select
        assessments.usubjid,
        assessments.assessment_date as adt,
        assessments.phase,
        assessments.response as category,
        -- a 1.0 PD reads BIOCHEMICAL in staging, so only a 1.1 IMAGING PD confirms itself
        coalesce(assessments.pd_basis = 'IMAGING' and assessments.response = 'PD', false) as is_imaging_pd,
        -- NACTDT: the first anti-myeloma therapy after study treatment (nt NTLINE 2)
        subjects.second_line_start_date as next_therapy_date,
        -- DTHPD
        coalesce(subjects.death_cause = 'PROGRESSIVE DISEASE', false) as died_of_progression
    from assessments
    left join subjects
        on assessments.usubjid = subjects.usubjid
),

confirmed as (
    {{ confirm_imwg_response('investigator_time_points') }}
)

select
    usubjid,
    adt,
    phase,
    category,
    category_rank,
    is_imaging_pd,
    next_therapy_date,
    died_of_progression,
    cast(timepoint_order as integer) as timepoint_order,
    confirmed_category,
    covr
from confirmed
