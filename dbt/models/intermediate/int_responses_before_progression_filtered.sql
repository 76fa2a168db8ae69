{#- adam.md, ADRS: "Assessments after the first PD are ignored by every best-response parameter and
    by every time-to-response parameter of ADTTE." One row per dated rs record on or before the
    subject's first PD (the PD itself stays: it is the subject's response at that assessment). -#}
with

assessments as (
    select
        usubjid,
        assessment_date,
        phase,
        response,
        is_complete
    from {{ ref('stg_rs') }}
    -- an undated assessment cannot be placed in any window
    where assessment_date is not null
),

first_progression as (
    -- Same rule as ADSL.PDDT (first RSDT with RSORRES = PD). Taken from rs, not from ADSL, so that
    -- ADSL.RESPFL can be built from this model without a dependency cycle.
    select
        usubjid,
        min(assessment_date) as first_progression_date
    from assessments
    where response = 'PD'
    group by usubjid
),

assessments_up_to_first_progression as (
    select
        assessments.usubjid,
        assessments.assessment_date,
        assessments.phase,
        assessments.response,
        {{ response_rank('assessments.response') }} as response_rank,
        assessments.is_complete,
        first_progression.first_progression_date
    from assessments
    left join first_progression
        on assessments.usubjid = first_progression.usubjid
    where
        first_progression.first_progression_date is null
        or assessments.assessment_date <= first_progression.first_progression_date
)

select * from assessments_up_to_first_progression
