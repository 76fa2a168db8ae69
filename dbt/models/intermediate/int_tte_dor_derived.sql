{#- adam.md, ADTTE DOR: responders (RESPFL = Y), STARTDT = the first on-study RSDT with a response
    >= PR (among assessments on or before the first PD). Event: earliest of PDDT and DTHDT when
    DTHCAUS = PROGRESSIVE DISEASE. Censoring, first that applies: death from another cause (any
    DTHCAUS other than PROGRESSIVE DISEASE, or none recorded) at DTHDT (6); otherwise LSTALVDT (2). -#}
with

responders as (
    select
        subjects.usubjid,
        first_response.first_pr_or_better_date as start_date,
        subjects.first_progression_date as progression_date,
        subjects.death_date,
        subjects.death_cause,
        subjects.last_alive_date
    from {{ subject_ref('int_subjects_derived') }} as subjects
    -- left join: a responder without a qualifying assessment would show as an empty STARTDT,
    -- which the not_null test on ADTTE.STARTDT reports, instead of vanishing from DOR
    left join {{ subject_ref('int_first_response_by_level_derived') }} as first_response
        on subjects.usubjid = first_response.usubjid
    where subjects.is_responder and subjects.is_itt
),

event_progression as (
    select {{ tte_candidate('DOR', 1, 1, 'progression_date', 0, 'PROGRESSIVE DISEASE',
        source_variable='PDDT') }}
    from responders
    where progression_date is not null
),

event_death_from_progression as (
    select {{ tte_candidate('DOR', 1, 2, 'death_date', 0, 'DEATH DUE TO PROGRESSIVE DISEASE',
        source_variable='DTHDT') }}
    from responders
    where death_date is not null and death_cause = 'PROGRESSIVE DISEASE'
),

censor_death_from_other_cause as (
    select {{ tte_candidate('DOR', 2, 1, 'death_date', 6,
        'DEATH FROM OTHER CAUSE', 'DATE OF DEATH', 'DTHDT') }}
    from responders
    where death_date is not null and death_cause is distinct from 'PROGRESSIVE DISEASE'
),

censor_last_alive as (
    select {{ tte_candidate('DOR', 3, 1, 'last_alive_date', 2,
        'NO PROGRESSION', 'DATE LAST KNOWN ALIVE', 'LSTALVDT') }}
    from responders
),

candidates as (
    select * from event_progression
    union all
    select * from event_death_from_progression
    union all
    select * from censor_death_from_other_cause
    union all
    select * from censor_last_alive
)

{{ first_applicable_tte_rule('candidates') }}
