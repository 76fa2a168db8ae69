{#- adam.md, ADEX: the protocol schedule (seed protocol_schedule, the one source of planned doses) laid out
    over every cycle a subject has administrations in: one row per subject x drug x phase x cycle x day,
    with the planned dose for that subject's age and whether the cycle was started. -#}
with

administrations as (
    select * from {{ ref('stg_ex') }}
),

subjects as (
    select
        USUBJID as usubjid,
        AGE as age
    from {{ ref('adsl') }}
),

protocol_schedule as (
    select * from {{ ref('protocol_schedule') }}
),

cycles_recorded as (
    -- A cycle is started when it has at least one administration with EXDOSE > 0. Interpretation: the cycle
    -- belongs to the regimen (ex.CYCLE is the cycle within the phase, shared by the drugs), so a dose > 0 of
    -- any drug starts it, and a drug entirely skipped in a started cycle still has its doses planned.
    select
        usubjid,
        phase,
        cycle,
        {{ dbt.bool_or('coalesce(dose, 0) > 0') }} as is_cycle_started
    from administrations
    group by usubjid, phase, cycle
),

cycles_with_age as (
    select
        cycles_recorded.*,
        subjects.age
    from cycles_recorded
    left join subjects
        on cycles_recorded.usubjid = subjects.usubjid
),

age_phase_cycles as (
    -- The plan depends on the subject only through AGE: it is resolved once per (AGE, phase, cycle)
    -- that occurs (a few thousand rows), not per subject (ranking 7 million rows at 100,000 subjects
    -- took most of this model's time).
    select distinct age, phase, cycle
    from cycles_with_age
),

schedule_rows_applicable as (
    -- Cycle ranges and the age rule are data: an empty CYCLE_TO is open-ended (13+), a row with AGEMIN
    -- applies from that AGE on (a subject of unknown age gets the rows without AGEMIN).
    select
        age_phase_cycles.age,
        age_phase_cycles.phase,
        age_phase_cycles.cycle,
        protocol_schedule.EXTRT as treatment,
        protocol_schedule.DAY as cycle_day,
        protocol_schedule.AGEMIN as minimum_age,
        protocol_schedule.DOSE as planned_dose,
        protocol_schedule.DOSU as planned_dose_unit
    from age_phase_cycles
    inner join protocol_schedule
        on age_phase_cycles.phase = protocol_schedule.PHASE
        and age_phase_cycles.cycle >= protocol_schedule.CYCLE_FROM
        and (protocol_schedule.CYCLE_TO is null or age_phase_cycles.cycle <= protocol_schedule.CYCLE_TO)
        and (protocol_schedule.AGEMIN is null or age_phase_cycles.age >= protocol_schedule.AGEMIN)
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
),

planned_by_age as (
    select *
    from age_rule_ranked
    where age_band_rank = 1
)

select
    cycles_with_age.usubjid,
    planned_by_age.treatment,
    cycles_with_age.phase,
    cycles_with_age.cycle,
    planned_by_age.cycle_day,
    cast(planned_by_age.planned_dose as double) as planned_dose,
    planned_by_age.planned_dose_unit,
    cycles_with_age.is_cycle_started
from cycles_with_age
inner join planned_by_age
    on cycles_with_age.phase = planned_by_age.phase
    and cycles_with_age.cycle = planned_by_age.cycle
    and cycles_with_age.age is not distinct from planned_by_age.age
