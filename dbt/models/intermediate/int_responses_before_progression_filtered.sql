{#- adam.md, ADRS: "Assessments after the first PD are ignored by every best-response parameter and
    by every time-to-response parameter of ADTTE." One row per dated on-study rs record (on or
    after ICFDT: RESPFL and DOR count "on-study" responses, response.md's confirmed parameters
    rows "dated on or after ICFDT") on or before the subject's first on-study PD (the PD itself
    stays: it is the subject's response at that assessment). A record dated before consent is
    the site's error (quality.findings_assessments, RESPONSE_BEFORE_CONSENT), not a response. -#}
with

on_study_assessments as (
    select
        usubjid,
        assessment_date,
        phase,
        response,
        is_complete
    from ({{ on_study(ref('stg_rs'), 'assessment_date') }})
),

first_progression as (
    -- Same rule as ADSL.PDDT (first on-study RSDT with RSORRES = PD). Taken from rs, not from
    -- ADSL, so that ADSL.RESPFL can be built from this model without a dependency cycle.
    select
        usubjid,
        min(assessment_date) as first_progression_date
    from on_study_assessments
    where response = 'PD'
    group by usubjid
),

assessments_up_to_first_progression as (
    select
        on_study_assessments.usubjid,
        on_study_assessments.assessment_date,
        on_study_assessments.phase,
        on_study_assessments.response,
        {{ response_rank('on_study_assessments.response') }} as response_rank,
        on_study_assessments.is_complete,
        first_progression.first_progression_date
    from on_study_assessments
    left join first_progression
        on on_study_assessments.usubjid = first_progression.usubjid
    where
        first_progression.first_progression_date is null
        or on_study_assessments.assessment_date <= first_progression.first_progression_date
)

select * from assessments_up_to_first_progression
