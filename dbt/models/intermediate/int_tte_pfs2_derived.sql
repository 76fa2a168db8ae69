{#- adam.md, ADTTE PFS2: ITT, STARTDT = ICFDT. Event: earliest of PD2DT and DTHDT (any cause).
    Censoring, first that applies: without a first progression (no PDDT), LOST TO FOLLOW-UP at
    LSTALVDT (2) (the protocol's "at the time of last contact"), otherwise at LSTASDT (1), or at
    start when there is no complete assessment (5); after a first progression (PDDT present) at
    LSTALVDT (2). -#}
with

itt_subjects as (
    select
        usubjid,
        icf_date as start_date,
        second_progression_date,
        death_date,
        first_progression_date as progression_date,
        last_complete_assessment_date as last_assessment_date,
        last_alive_date,
        study_discontinuation_reason
    from {{ subject_ref('int_subjects_derived') }}
    where is_itt
),

event_second_progression as (
    select {{ tte_candidate('PFS2', 1, 1, 'second_progression_date', 0,
        'PROGRESSION ON NEXT-LINE THERAPY', source_variable='PD2DT') }}
    from itt_subjects
    where second_progression_date is not null
),

event_death as (
    select {{ tte_candidate('PFS2', 1, 2, 'death_date', 0, 'DEATH', source_variable='DTHDT') }}
    from itt_subjects
    where death_date is not null
),

censor_no_progression_lost_to_follow_up as (
    -- first of the no-PDDT rules in adam.md, so it also wins over the start (5) when the lost
    -- subject has no complete assessment
    select {{ tte_candidate('PFS2', 2, 1, 'last_alive_date', 2,
        'LOST TO FOLLOW-UP', 'DATE LAST KNOWN ALIVE', 'LSTALVDT') }}
    from itt_subjects
    where progression_date is null and study_discontinuation_reason = 'LOST TO FOLLOW-UP'
),

censor_no_progression_last_complete_assessment as (
    select {{ tte_candidate('PFS2', 3, 1, 'last_assessment_date', 1,
        'NO PROGRESSION', 'LAST COMPLETE DISEASE ASSESSMENT', 'LSTASDT') }}
    from itt_subjects
    where progression_date is null and last_assessment_date is not null
),

censor_no_progression_no_assessment_at_start as (
    select {{ tte_candidate('PFS2', 4, 1, 'start_date', 5,
        'NO COMPLETE POST-BASELINE ASSESSMENT', 'START DATE', 'ICFDT') }}
    from itt_subjects
    where progression_date is null
),

censor_after_progression_last_alive as (
    select {{ tte_candidate('PFS2', 5, 1, 'last_alive_date', 2,
        'NO SECOND PROGRESSION OR DEATH AFTER PROGRESSION', 'DATE LAST KNOWN ALIVE', 'LSTALVDT') }}
    from itt_subjects
    where progression_date is not null
),

candidates as (
    select * from event_second_progression
    union all
    select * from event_death
    union all
    select * from censor_no_progression_lost_to_follow_up
    union all
    select * from censor_no_progression_last_complete_assessment
    union all
    select * from censor_no_progression_no_assessment_at_start
    union all
    select * from censor_after_progression_last_alive
)

{{ first_applicable_tte_rule('candidates') }}
