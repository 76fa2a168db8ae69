{{ config(post_hook="{{ restamp_tte_censored_at_cutoff() }}") }}
{#- adam.md, ADTTE OS: ITT, STARTDT = ICFDT. Event: DTHDT. Censoring, first that applies:
    withdrawal of consent (DCSREAS = WITHDRAWAL BY SUBJECT) at EOSDT (4); LEFT for any other
    reason, LOST included (an END OF STUDY record, EOSDT, with any reason but death) at LSTALVDT
    (2): nobody knows such a subject was alive at the cut-off; otherwise CUTOFFDT (3). -#}
with

itt_subjects as (
    select
        usubjid,
        icf_date as start_date,
        death_date,
        end_of_study_date,
        study_discontinuation_reason,
        last_alive_date,
        cutoff_date
    from {{ subject_ref('int_subjects_derived') }}
    where is_itt
),

event_death as (
    select {{ tte_candidate('OS', 1, 1, 'death_date', 0, 'DEATH', source_variable='DTHDT') }}
    from itt_subjects
    where death_date is not null
),

censor_withdrawal_of_consent as (
    select {{ tte_candidate('OS', 2, 1, 'end_of_study_date', 4,
        'WITHDRAWAL OF CONSENT', 'END OF STUDY DATE', 'EOSDT') }}
    from itt_subjects
    where
        study_discontinuation_reason = 'WITHDRAWAL BY SUBJECT'
        and end_of_study_date is not null
),

censor_lost_to_follow_up as (
    select {{ tte_candidate('OS', 3, 1, 'last_alive_date', 2,
        'LOST TO FOLLOW-UP', 'DATE LAST KNOWN ALIVE', 'LSTALVDT') }}
    from itt_subjects
    where study_discontinuation_reason = 'LOST TO FOLLOW-UP'
),

censor_left_study_for_another_reason as (
    -- LEFT (adam.md): an END OF STUDY record with any reason but death; a completer's DCSREAS
    -- is empty, so it is LEFT too. Withdrawal and LOST are the rules above.
    select {{ tte_candidate('OS', 3, 2, 'last_alive_date', 2,
        'LEFT THE STUDY', 'DATE LAST KNOWN ALIVE', 'LSTALVDT') }}
    from itt_subjects
    where
        end_of_study_date is not null
        and coalesce(study_discontinuation_reason, '')
        not in ('DEATH', 'WITHDRAWAL BY SUBJECT', 'LOST TO FOLLOW-UP')
),

censor_at_cutoff as (
    select {{ tte_candidate('OS', 4, 1, 'cutoff_date', 3,
        'ALIVE AT CUT-OFF', 'CLINICAL CUT-OFF DATE', 'CUTOFFDT') }}
    from itt_subjects
),

candidates as (
    select * from event_death
    union all
    select * from censor_withdrawal_of_consent
    union all
    select * from censor_lost_to_follow_up
    union all
    select * from censor_left_study_for_another_reason
    union all
    select * from censor_at_cutoff
)

{{ first_applicable_tte_rule('candidates') }}
