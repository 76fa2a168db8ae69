{#- adam.md, ADEX: the protocol schedule (seed protocol_schedule, the one source of planned doses) resolved
    for each AGE, phase and cycle that occurs in ex: one row per AGE x phase x cycle x drug x scheduled day
    with the planned dose. The plan depends on the subject only through AGE, so this is a few thousand rows
    at 100,000 subjects; int_dose_schedule_expanded lays it out per subject and
    int_administrations_compared_to_plan looks each administration up in it. -#}
with

administrations as (
    select * from {{ ref('stg_ex') }}
),

subjects as (
    select
        usubjid,
        age_years as age
    from {{ ref('int_subjects_derived') }}
),

protocol_schedule as (
    select * from {{ ref('protocol_schedule') }}
),

age_phase_cycles_recorded as (
    -- Every (AGE, phase, cycle) some subject has an ex record in; a subject missing from ADSL
    -- (int_subjects_derived) has no AGE.
    select distinct
        subjects.age,
        administrations.phase,
        administrations.cycle
    from administrations
    left join subjects
        on administrations.usubjid = subjects.usubjid
),

schedule_rows_applicable as (
    -- Cycle ranges and the age rule are data: an empty CYCLE_TO is open-ended (13+), a row with AGEMIN
    -- applies from that AGE on (a subject of unknown age gets the rows without AGEMIN).
    select
        age_phase_cycles_recorded.age,
        age_phase_cycles_recorded.phase,
        age_phase_cycles_recorded.cycle,
        protocol_schedule.EXTRT as treatment,
        protocol_schedule.DAY as cycle_day,
        protocol_schedule.AGEMIN as minimum_age,
        protocol_schedule.DOSE as planned_dose,
        protocol_schedule.DOSU as planned_dose_unit
    from age_phase_cycles_recorded
    inner join protocol_schedule
        on age_phase_cycles_recorded.phase = protocol_schedule.PHASE
        and age_phase_cycles_recorded.cycle >= protocol_schedule.CYCLE_FROM
        and (protocol_schedule.CYCLE_TO is null or age_phase_cycles_recorded.cycle <= protocol_schedule.CYCLE_TO)
        and (protocol_schedule.AGEMIN is null or age_phase_cycles_recorded.age >= protocol_schedule.AGEMIN)
),

age_rule_ranked as (
    -- Where rows of several age bands apply to one administration, the most specific (highest AGEMIN) wins:
    -- dexamethasone 20 MG instead of 40 MG in induction from AGE 75.
    select
        schedule_rows_applicable.*,
        row_number() over (
            partition by age, treatment, phase, cycle, cycle_day
            order by coalesce(minimum_age, -1) desc
        ) as age_band_rank
    from schedule_rows_applicable
)

select
    age,
    phase,
    cycle,
    treatment,
    cycle_day,
    cast(planned_dose as double) as planned_dose,
    planned_dose_unit
from age_rule_ranked
where age_band_rank = 1
