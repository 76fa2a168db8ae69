{#- adam.md, ADTTE PFS: ITT, STARTDT = ICFDT. Event: earliest of PDDT and DTHDT (any cause).
    Censoring, first that applies: LSTASDT (1); no complete assessment: start (5). -#}
with

itt_subjects as (
    select
        usubjid,
        icf_date as start_date,
        first_progression_date as progression_date,
        death_date,
        last_complete_assessment_date as last_assessment_date
    from {{ subject_ref('int_subjects_derived') }}
    where is_itt
),

event_progression as (
    select {{ tte_candidate('PFS', 1, 1, 'progression_date', 0, 'PROGRESSIVE DISEASE',
        source_variable='PDDT') }}
    from itt_subjects
    where progression_date is not null
),

event_death as (
    -- any cause; on the same day as PD the row reports PD (tie_order)
    select {{ tte_candidate('PFS', 1, 2, 'death_date', 0, 'DEATH', source_variable='DTHDT') }}
    from itt_subjects
    where death_date is not null
),

censor_last_complete_assessment as (
    select {{ tte_candidate('PFS', 2, 1, 'last_assessment_date', 1,
        'ALIVE WITHOUT PROGRESSION', 'LAST COMPLETE DISEASE ASSESSMENT', 'LSTASDT') }}
    from itt_subjects
    where last_assessment_date is not null
),

censor_no_assessment_at_start as (
    select {{ tte_candidate('PFS', 3, 1, 'start_date', 5,
        'NO COMPLETE POST-BASELINE ASSESSMENT', 'START DATE', 'ICFDT') }}
    from itt_subjects
),

candidates as (
    select * from event_progression
    union all
    select * from event_death
    union all
    select * from censor_last_complete_assessment
    union all
    select * from censor_no_assessment_at_start
)

{{ first_applicable_tte_rule('candidates') }}
