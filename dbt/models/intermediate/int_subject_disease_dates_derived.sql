{#- adam.md, ADSL: LSTASDT = latest RSDT with RSCOMPL = Y and RSORRES not NE (last complete
    disease assessment); PDDT = first RSDT with RSORRES = PD. Both among the on-study assessments,
    dated on or after ICFDT (as RESPFL and the best responses count them,
    int_responses_before_progression_filtered): a record dated before consent is no assessment of
    the study's treatment, and would put PFS's event or censoring before its start (a finding,
    RESPONSE_BEFORE_CONSENT, asks the site). Only assessments up to the cut-off exist (staging
    drops later ones). -#}
with

on_study_assessments as (
    {{ on_study(ref('stg_rs'), 'assessment_date') }}
),

complete_assessments as (
    -- an NE assessment or one missing required tests says nothing about disease status.
    select
        usubjid,
        assessment_date
    from on_study_assessments
    where is_complete
        and response <> 'NE'
        and assessment_date is not null
),

last_complete_assessment as (
    select
        usubjid,
        max(assessment_date) as last_complete_assessment_date
    from complete_assessments
    group by usubjid
),

first_progression as (
    select
        usubjid,
        min(assessment_date) as first_progression_date
    from on_study_assessments
    where response = 'PD'
    group by usubjid
),

subjects_assessed as (
    select distinct usubjid from on_study_assessments
),

disease_dates as (
    select
        subjects_assessed.usubjid,
        last_complete_assessment.last_complete_assessment_date,
        first_progression.first_progression_date
    from subjects_assessed
    left join last_complete_assessment on subjects_assessed.usubjid = last_complete_assessment.usubjid
    left join first_progression on subjects_assessed.usubjid = first_progression.usubjid
)

select * from disease_dates
