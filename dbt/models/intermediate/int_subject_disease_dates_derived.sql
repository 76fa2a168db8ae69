{#- adam.md, ADSL: LSTASDT = latest RSDT with RSCOMPL = Y and RSORRES not NE (last complete
    disease assessment); PDDT = first RSDT with RSORRES = PD. Only assessments up to the
    cut-off exist (staging drops later ones). -#}
with

responses as (
    select * from {{ ref('stg_rs') }}
),

complete_assessments as (
    -- an NE assessment or one missing required tests says nothing about disease status.
    select
        usubjid,
        assessment_date
    from responses
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
    from responses
    where response = 'PD'
    group by usubjid
),

subjects_assessed as (
    select distinct usubjid from responses
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
