{#- adam.md, ADTTE TNT: ITT, STARTDT = ELIGDT. Event: NT2SDT; DTHDT if before any next therapy
    (i.e. the earliest of the two; a death on the day next therapy starts reports the therapy).
    Censoring, first that applies: LOST TO FOLLOW-UP at LSTALVDT (2); LSTASDT (1); no complete
    assessment: start (5). -#}
with

itt_subjects as (
    select
        usubjid,
        eligibility_date as start_date,
        second_line_start_date as next_therapy_date,
        death_date,
        study_discontinuation_reason,
        last_alive_date,
        last_complete_assessment_date as last_assessment_date
    from {{ subject_ref('int_subjects_derived') }}
    where is_itt
        -- no ELIGDT, no STARTDT: the parameter is left out for the subject and
        -- quality.findings_enrolment asks the site for the date
        and eligibility_date is not null
),

event_next_therapy as (
    select {{ tte_candidate('TNT', 1, 1, 'next_therapy_date', 0, 'NEXT-LINE THERAPY',
        source_variable='NT2SDT') }}
    from itt_subjects
    where next_therapy_date is not null
),

event_death_before_next_therapy as (
    select {{ tte_candidate('TNT', 1, 2, 'death_date', 0, 'DEATH', source_variable='DTHDT') }}
    from itt_subjects
    where death_date is not null
),

censor_lost_to_follow_up as (
    select {{ tte_candidate('TNT', 2, 1, 'last_alive_date', 2,
        'LOST TO FOLLOW-UP', 'DATE LAST KNOWN ALIVE', 'LSTALVDT') }}
    from itt_subjects
    where study_discontinuation_reason = 'LOST TO FOLLOW-UP'
),

censor_last_complete_assessment as (
    select {{ tte_candidate('TNT', 3, 1, 'last_assessment_date', 1,
        'NO NEXT-LINE THERAPY OR DEATH', 'LAST COMPLETE DISEASE ASSESSMENT', 'LSTASDT') }}
    from itt_subjects
    where last_assessment_date is not null
),

censor_no_assessment_at_start as (
    select {{ tte_candidate('TNT', 4, 1, 'start_date', 5,
        'NO COMPLETE POST-BASELINE ASSESSMENT', 'START DATE', 'ELIGDT') }}
    from itt_subjects
),

candidates as (
    select * from event_next_therapy
    union all
    select * from event_death_before_next_therapy
    union all
    select * from censor_lost_to_follow_up
    union all
    select * from censor_last_complete_assessment
    union all
    select * from censor_no_assessment_at_start
)

{{ first_applicable_tte_rule('candidates') }}
