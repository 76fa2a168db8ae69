{#- Dosing records a data manager queries: an administration on a (phase, cycle, day) the
    protocol schedule (seed protocol_schedule, adam.md ADEX) has none for that drug, and the
    same scheduled administration (subject, drug, phase, cycle, day) recorded more than once.
    Skipped doses (EXDOSE = 0) count: a skipped dose is recorded on a scheduled day too. -#}
with

administrations as (
    select usubjid, site_id, subject_id, treatment, phase, cycle, cycle_day, administration_date, dose
    from {{ ref('stg_ex') }}
),

schedule as (
    select distinct EXTRT as treatment, PHASE as phase, CYCLE_FROM as cycle_from, CYCLE_TO as cycle_to, DAY as cycle_day
    from {{ ref('protocol_schedule') }}
),

ex_first_seen as (
    {{ record_first_seen('ex', {'EXTRT': 'treatment', 'EXSTDT': 'administration_date', 'PHASE': 'phase', 'CYCLE': 'cycle', 'DAY': 'cycle_day'}) }}
),

administrations_seen as (
    select
        administrations.*,
        ex_first_seen.first_transfer_id,
        ex_first_seen.first_extract_datetime
    from administrations
    left join ex_first_seen
        on administrations.site_id = ex_first_seen.site_id
        and administrations.subject_id = ex_first_seen.subject_id
        and administrations.treatment = ex_first_seen.treatment
        and administrations.administration_date = ex_first_seen.administration_date
        and administrations.phase is not distinct from ex_first_seen.phase
        and administrations.cycle is not distinct from ex_first_seen.cycle
        and administrations.cycle_day is not distinct from ex_first_seen.cycle_day
),

scheduled_administrations as (
    select distinct
        administrations_seen.usubjid,
        administrations_seen.treatment,
        administrations_seen.administration_date
    from administrations_seen
    inner join schedule
        on administrations_seen.treatment = schedule.treatment
        and administrations_seen.phase = schedule.phase
        and administrations_seen.cycle_day = schedule.cycle_day
        and administrations_seen.cycle >= schedule.cycle_from
        and (schedule.cycle_to is null or administrations_seen.cycle <= schedule.cycle_to)
),

dose_on_unscheduled_day as (
    select
        administrations_seen.usubjid,
        administrations_seen.site_id,
        'ex' as form,
        'DOSE_ON_UNSCHEDULED_DAY' as rule,
        'MAJOR' as severity,
        administrations_seen.treatment || ' ' || coalesce(administrations_seen.phase, '?')
        || ' cycle ' || coalesce(cast(administrations_seen.cycle as varchar), '?')
        || ' day ' || coalesce(cast(administrations_seen.cycle_day as varchar), '?')
        || ' (EXSTDT ' || cast(administrations_seen.administration_date as varchar)
        || '): the protocol schedule has no such administration' as detail,
        administrations_seen.first_transfer_id as first_seen_transfer
    from administrations_seen
    left join scheduled_administrations
        on administrations_seen.usubjid = scheduled_administrations.usubjid
        and administrations_seen.treatment = scheduled_administrations.treatment
        and administrations_seen.administration_date = scheduled_administrations.administration_date
    where scheduled_administrations.usubjid is null
),

duplicated_administration as (
    select
        usubjid,
        min(site_id) as site_id,
        'ex' as form,
        'DUPLICATED_ADMINISTRATION' as rule,
        'MAJOR' as severity,
        treatment || ' ' || phase || ' cycle ' || cast(cycle as varchar) || ' day ' || cast(cycle_day as varchar)
        || ' recorded ' || cast(count(*) as varchar) || ' times (EXSTDT '
        || string_agg(cast(administration_date as varchar), ', ' order by administration_date) || ')' as detail,
        -- the duplicate exists from the transfer that brought its last record
        arg_max(first_transfer_id, first_extract_datetime) as first_seen_transfer
    from administrations_seen
    where phase is not null
        and cycle is not null
        and cycle_day is not null
    group by usubjid, treatment, phase, cycle, cycle_day
    having count(*) > 1
)

select * from dose_on_unscheduled_day
union all
select * from duplicated_administration
