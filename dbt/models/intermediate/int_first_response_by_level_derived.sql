{#- adam.md, ADTTE TTPR / TTVGPR / TTCR / TTSCR events and DOR start: per subject, the first RSDT
    whose response is at least PR / VGPR / CR / SCR, among the assessments on or before the first PD
    (a response recorded after progression is not a response). One row per subject with at least
    one counted assessment. -#}
with

counted_assessments as (
    select
        usubjid,
        assessment_date,
        response_rank
    from {{ subject_ref('int_responses_before_progression_filtered') }}
),

first_response_by_level as (
    select
        usubjid,
        min(case when response_rank <= {{ response_rank_of('PR') }} then assessment_date end) as first_pr_or_better_date,
        min(case when response_rank <= {{ response_rank_of('VGPR') }} then assessment_date end) as first_vgpr_or_better_date,
        min(case when response_rank <= {{ response_rank_of('CR') }} then assessment_date end) as first_cr_or_better_date,
        min(case when response_rank = {{ response_rank_of('SCR') }} then assessment_date end) as first_scr_date
    from counted_assessments
    group by usubjid
)

select * from first_response_by_level
