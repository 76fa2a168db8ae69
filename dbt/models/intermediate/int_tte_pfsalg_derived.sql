{#- response.md section 3, PFSALG: PFS (adam.md) with the algorithm's progression. ITT, STARTDT =
    ICFDT. Event: the earlier of the first ALGCOVR = PD (its time point D, the first of the two
    confirming samples) and DTHDT (any cause). Censoring, first that applies: the last computed
    time point that was not NE (1); none: start (5). -#}
with

itt_subjects as (
    select
        usubjid,
        icf_date as start_date,
        death_date
    from {{ subject_ref('int_subjects_derived') }}
    where is_itt
),

computed_time_points as (
    select
        usubjid,
        adt,
        algresp,
        algcovr
    from {{ subject_ref('int_imwg_response_confirmed') }}
),

first_confirmed_computed_progression as (
    select
        usubjid,
        min(adt) as progression_date
    from computed_time_points
    where algcovr = 'PD'
    group by usubjid
),

last_evaluable_time_point as (
    -- "the last time point that was not NE": evaluable by the algorithm (ALGRESP), whether or
    -- not a later sample confirmed it
    select
        usubjid,
        max(adt) as last_evaluable_date
    from computed_time_points
    where algresp <> 'NE'
    group by usubjid
),

subject_dates as (
    select
        itt_subjects.usubjid,
        itt_subjects.start_date,
        itt_subjects.death_date,
        first_confirmed_computed_progression.progression_date,
        last_evaluable_time_point.last_evaluable_date
    from itt_subjects
    left join first_confirmed_computed_progression
        on itt_subjects.usubjid = first_confirmed_computed_progression.usubjid
    left join last_evaluable_time_point
        on itt_subjects.usubjid = last_evaluable_time_point.usubjid
),

event_confirmed_computed_progression as (
    select {{ tte_candidate('PFSALG', 1, 1, 'progression_date', 0,
        'PROGRESSIVE DISEASE (COMPUTED IMWG, CONFIRMED)', source_variable='ADT',
        source_domain='ADRS') }}
    from subject_dates
    where progression_date is not null
),

event_death as (
    -- any cause; on the same day as the computed PD the row reports PD (tie_order)
    select {{ tte_candidate('PFSALG', 1, 2, 'death_date', 0, 'DEATH', source_variable='DTHDT') }}
    from subject_dates
    where death_date is not null
),

censor_last_evaluable_time_point as (
    select {{ tte_candidate('PFSALG', 2, 1, 'last_evaluable_date', 1,
        'ALIVE WITHOUT PROGRESSION', 'LAST EVALUABLE COMPUTED RESPONSE', 'ADT',
        source_domain='ADRS') }}
    from subject_dates
    where last_evaluable_date is not null
),

censor_no_evaluable_time_point_at_start as (
    select {{ tte_candidate('PFSALG', 3, 1, 'start_date', 5,
        'NO EVALUABLE COMPUTED RESPONSE', 'START DATE', 'ICFDT') }}
    from subject_dates
),

candidates as (
    select * from event_confirmed_computed_progression
    union all
    select * from event_death
    union all
    select * from censor_last_evaluable_time_point
    union all
    select * from censor_no_evaluable_time_point_at_start
)

{{ first_applicable_tte_rule('candidates') }}
