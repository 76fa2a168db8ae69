{#- adam.md, ADTTE TTP: ITT, STARTDT = ICFDT. Event: earliest of PDDT and DTHDT when DTHCAUS =
    PROGRESSIVE DISEASE. Censoring, first that applies: LSTASDT (1); no complete assessment:
    start (5). A death from another cause is not an event: the subject is censored at LSTASDT. -#}
with

itt_subjects as (
    select
        usubjid,
        icf_date as start_date,
        first_progression_date as progression_date,
        death_date,
        death_cause,
        last_complete_assessment_date as last_assessment_date
    from {{ subject_ref('int_subjects_derived') }}
    where is_itt
),

event_progression as (
    select {{ tte_candidate('TTP', 1, 1, 'progression_date', 0, 'PROGRESSIVE DISEASE',
        source_variable='PDDT') }}
    from itt_subjects
    where progression_date is not null
),

event_death_from_progression as (
    select {{ tte_candidate('TTP', 1, 2, 'death_date', 0, 'DEATH DUE TO PROGRESSIVE DISEASE',
        source_variable='DTHDT') }}
    from itt_subjects
    where death_date is not null and death_cause = 'PROGRESSIVE DISEASE'
),

censor_last_complete_assessment as (
    select {{ tte_candidate('TTP', 2, 1, 'last_assessment_date', 1,
        'NO PROGRESSION', 'LAST COMPLETE DISEASE ASSESSMENT', 'LSTASDT') }}
    from itt_subjects
    where last_assessment_date is not null
),

censor_no_assessment_at_start as (
    select {{ tte_candidate('TTP', 3, 1, 'start_date', 5,
        'NO COMPLETE POST-BASELINE ASSESSMENT', 'START DATE', 'ICFDT') }}
    from itt_subjects
),

candidates as (
    select * from event_progression
    union all
    select * from event_death_from_progression
    union all
    select * from censor_last_complete_assessment
    union all
    select * from censor_no_assessment_at_start
)

{{ first_applicable_tte_rule('candidates') }}
