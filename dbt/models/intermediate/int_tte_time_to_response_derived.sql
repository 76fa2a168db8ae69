{{ config(post_hook="{{ restamp_tte_censored_at_cutoff() }}") }}
{#- adam.md, ADTTE TTPR / TTVGPR / TTCR / TTSCR: ITT, STARTDT = ICFDT. Event: the first RSDT with a
    response at least PR / VGPR / CR / SCR, among assessments on or before the first PD. Censoring,
    first that applies: LOST TO FOLLOW-UP at LSTALVDT (2); LEFT (EOSDT, any reason but death) or
    dead at LSTASDT (1), or at start when there is no complete assessment (5); otherwise CUTOFFDT (3),
    also for a subject still on study after a PD without response. -#}
with

itt_subjects as (
    select
        subjects.usubjid,
        subjects.icf_date as start_date,
        subjects.study_discontinuation_reason,
        -- LEFT (an END OF STUDY record, any reason but death) or dead (DTHDT, or an END OF STUDY
        -- record for death): together, any END OF STUDY record or any death
        coalesce(subjects.end_of_study_date is not null or subjects.death_date is not null, false)
            as is_left_or_dead,
        subjects.last_alive_date,
        subjects.last_complete_assessment_date as last_assessment_date,
        subjects.cutoff_date,
        first_response.first_pr_or_better_date,
        first_response.first_vgpr_or_better_date,
        first_response.first_cr_or_better_date,
        first_response.first_scr_date
    from {{ subject_ref('int_subjects_derived') }} as subjects
    left join {{ subject_ref('int_first_response_by_level_derived') }} as first_response
        on subjects.usubjid = first_response.usubjid
    where subjects.is_itt
),

{%- set levels = [
    ('TTPR', 'first_pr_or_better_date', 'RESPONSE PR OR BETTER'),
    ('TTVGPR', 'first_vgpr_or_better_date', 'RESPONSE VGPR OR BETTER'),
    ('TTCR', 'first_cr_or_better_date', 'RESPONSE CR OR BETTER'),
    ('TTSCR', 'first_scr_date', 'RESPONSE SCR'),
] %}

subject_parameters as (
    {%- for paramcd, date_column, event_description in levels %}
    select
        usubjid,
        '{{ paramcd }}' as paramcd,
        '{{ event_description }}' as event_description,
        start_date,
        {{ date_column }} as first_response_date,
        study_discontinuation_reason,
        is_left_or_dead,
        last_alive_date,
        last_assessment_date,
        cutoff_date
    from itt_subjects
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

event_first_response_at_level as (
    select
        usubjid,
        paramcd,
        start_date,
        1 as rule_order,
        1 as tie_order,
        first_response_date as event_or_censoring_date,
        0 as cnsr,
        event_description,
        cast(null as varchar) as censoring_date_description,
        'ADRS' as source_domain,
        'ADT' as source_variable
    from subject_parameters
    where first_response_date is not null
),

censor_lost_to_follow_up as (
    select {{ tte_candidate(none, 2, 1, 'last_alive_date', 2,
        'LOST TO FOLLOW-UP', 'DATE LAST KNOWN ALIVE', 'LSTALVDT') }}
    from subject_parameters
    where study_discontinuation_reason = 'LOST TO FOLLOW-UP'
),

censor_left_or_dead_last_complete_assessment as (
    select {{ tte_candidate(none, 3, 1, 'last_assessment_date', 1,
        'LEFT STUDY OR DIED WITHOUT RESPONSE', 'LAST COMPLETE DISEASE ASSESSMENT', 'LSTASDT') }}
    from subject_parameters
    where is_left_or_dead and last_assessment_date is not null
),

censor_left_or_dead_no_assessment_at_start as (
    select {{ tte_candidate(none, 4, 1, 'start_date', 5,
        'NO COMPLETE POST-BASELINE ASSESSMENT', 'START DATE', 'ICFDT') }}
    from subject_parameters
    where is_left_or_dead
),

censor_at_cutoff as (
    select {{ tte_candidate(none, 5, 1, 'cutoff_date', 3,
        'NO RESPONSE BY CUT-OFF', 'CLINICAL CUT-OFF DATE', 'CUTOFFDT') }}
    from subject_parameters
),

candidates as (
    select * from event_first_response_at_level
    union all
    select * from censor_lost_to_follow_up
    union all
    select * from censor_left_or_dead_last_complete_assessment
    union all
    select * from censor_left_or_dead_no_assessment_at_start
    union all
    select * from censor_at_cutoff
)

{{ first_applicable_tte_rule('candidates') }}
