{#- Dosing records a data manager queries: an administration on a (phase, cycle, day) the
    protocol schedule (seed protocol_schedule, adam.md ADEX) has none for that drug, the
    same scheduled administration (subject, drug, phase, cycle, day) recorded more than once, and
    a dose recorded in another unit than the one the schedule doses its drug in (site_extracts.md
    EXDOSU: MG/KG isatuximab, MG dexamethasone, MG/M2 melphalan; ADEX converts it with the
    baseline weight or BSA, int_administrations_compared_to_plan, or cannot). Skipped doses
    (EXDOSE = 0) count: a skipped dose is recorded on a scheduled day too. -#}
with

administrations as (
    select usubjid, site_id, subject_id, treatment, phase, cycle, cycle_day, administration_date, dose
    from {{ ref('stg_ex') }}
),

schedule as (
    select distinct EXTRT as treatment, PHASE as phase, CYCLE_FROM as cycle_from, CYCLE_TO as cycle_to, DAY as cycle_day
    from {{ ref('protocol_schedule') }}
),

administrations_on_schedule as (
    -- Each record tested against the (small) schedule on its own; no distinct over every
    -- administration (the DISTINCT and the anti-join over every administration cost this
    -- model time at scale).
    select
        administrations.*,
        exists (
            select 1
            from schedule
            where administrations.treatment = schedule.treatment
                and administrations.phase = schedule.phase
                and administrations.cycle_day = schedule.cycle_day
                and administrations.cycle >= schedule.cycle_from
                and (schedule.cycle_to is null or administrations.cycle <= schedule.cycle_to)
        ) as is_on_schedule
    from administrations
),

unscheduled_administrations as (
    -- A record is on an unscheduled day unless a record of the same subject, drug and date
    -- is on the schedule (itself or another one). A record missing one of those keys matches
    -- no other record, so it counts as unscheduled.
    select candidates.* exclude (is_on_schedule)
    from administrations_on_schedule as candidates
    where (
            not candidates.is_on_schedule
            or candidates.usubjid is null
            or candidates.treatment is null
            or candidates.administration_date is null
        )
        and not exists (
            select 1
            from administrations_on_schedule as scheduled
            where scheduled.is_on_schedule
                and scheduled.usubjid = candidates.usubjid
                and scheduled.treatment = candidates.treatment
                and scheduled.administration_date = candidates.administration_date
        )
),

repeated_administration_keys as (
    -- Counted with a grouping, not a window over every administration (at 100,000 subjects the
    -- window's partitioning of 6.8 million rows was a third of this model's time).
    select usubjid, treatment, phase, cycle, cycle_day
    from administrations
    where phase is not null
        and cycle is not null
        and cycle_day is not null
    group by usubjid, treatment, phase, cycle, cycle_day
    having count(*) > 1
),

duplicated_administrations as (
    select administrations.*
    from administrations
    semi join repeated_administration_keys
        on administrations.usubjid = repeated_administration_keys.usubjid
        and administrations.treatment = repeated_administration_keys.treatment
        and administrations.phase = repeated_administration_keys.phase
        and administrations.cycle = repeated_administration_keys.cycle
        and administrations.cycle_day = repeated_administration_keys.cycle_day
),

doses_in_another_unit as (
    select
        converted.usubjid,
        subjects.site_id,
        subjects.subject_id,
        converted.treatment,
        converted.phase,
        converted.cycle,
        converted.cycle_day,
        converted.administration_date,
        converted.recorded_dose,
        converted.recorded_dose_unit,
        converted.dose,
        converted.dose_unit
    from {{ ref('int_administrations_compared_to_plan') }} as converted
    inner join (select distinct usubjid, site_id, subject_id from administrations) as subjects
        on converted.usubjid = subjects.usubjid
    where converted.recorded_dose_unit <> converted.dose_unit
),

-- First-seen transfers are looked up for the few subjects with a finding only: over every
-- raw transfer of every subject, the lookup needed more than the 2 GB DuckDB limit at
-- 100,000 subjects (21 million raw ex rows).
subjects_with_findings as (
    select site_id, subject_id from unscheduled_administrations
    union
    select site_id, subject_id from duplicated_administrations
    union
    select site_id, subject_id from doses_in_another_unit
),

ex_first_seen as (
    {{ record_first_seen('ex', {'EXTRT': 'treatment', 'EXSTDT': 'administration_date', 'PHASE': 'phase', 'CYCLE': 'cycle', 'DAY': 'cycle_day'}, subjects='subjects_with_findings') }}
),

dose_on_unscheduled_day as (
    select
        unscheduled_administrations.usubjid,
        unscheduled_administrations.site_id,
        'ex' as form,
        'DOSE_ON_UNSCHEDULED_DAY' as rule,
        'MAJOR' as severity,
        unscheduled_administrations.treatment || ' ' || coalesce(unscheduled_administrations.phase, '?')
        || ' cycle ' || coalesce(cast(unscheduled_administrations.cycle as varchar), '?')
        || ' day ' || coalesce(cast(unscheduled_administrations.cycle_day as varchar), '?')
        || ' (EXSTDT ' || cast(unscheduled_administrations.administration_date as varchar)
        || '): the protocol schedule has no such administration' as detail,
        ex_first_seen.first_transfer_id as first_seen_transfer
    from unscheduled_administrations
    left join ex_first_seen
        {{ same_administration('unscheduled_administrations', 'ex_first_seen') }}
),

duplicated_administration as (
    select
        duplicated_administrations.usubjid,
        min(duplicated_administrations.site_id) as site_id,
        'ex' as form,
        'DUPLICATED_ADMINISTRATION' as rule,
        'MAJOR' as severity,
        duplicated_administrations.treatment || ' ' || duplicated_administrations.phase
        || ' cycle ' || cast(duplicated_administrations.cycle as varchar)
        || ' day ' || cast(duplicated_administrations.cycle_day as varchar)
        || ' recorded ' || cast(count(*) as varchar) || ' times (EXSTDT '
        || string_agg(
            cast(duplicated_administrations.administration_date as varchar), ', '
            order by duplicated_administrations.administration_date
        ) || ')' as detail,
        -- the duplicate exists from the transfer that brought its last record
        arg_max(ex_first_seen.first_transfer_id, ex_first_seen.first_extract_datetime) as first_seen_transfer
    from duplicated_administrations
    left join ex_first_seen
        {{ same_administration('duplicated_administrations', 'ex_first_seen') }}
    group by
        duplicated_administrations.usubjid,
        duplicated_administrations.treatment,
        duplicated_administrations.phase,
        duplicated_administrations.cycle,
        duplicated_administrations.cycle_day
),

dose_unit_not_the_schedules as (
    select
        doses_in_another_unit.usubjid,
        doses_in_another_unit.site_id,
        'ex' as form,
        'DOSE_UNIT_NOT_THE_SCHEDULES' as rule,
        'MAJOR' as severity,
        doses_in_another_unit.treatment || ' ' || doses_in_another_unit.phase
        || ' cycle ' || cast(doses_in_another_unit.cycle as varchar)
        || ' day ' || cast(doses_in_another_unit.cycle_day as varchar)
        || ' (EXSTDT ' || cast(doses_in_another_unit.administration_date as varchar) || '): EXDOSE '
        || cast(doses_in_another_unit.recorded_dose as varchar) || ' '
        || doses_in_another_unit.recorded_dose_unit || ', but the schedule doses '
        || doses_in_another_unit.treatment || ' in ' || doses_in_another_unit.dose_unit || ': '
        || coalesce(
            'counted as ' || cast(doses_in_another_unit.dose as varchar) || ' '
            || doses_in_another_unit.dose_unit || ' with the baseline weight or BSA',
            'not counted, without the baseline weight or BSA to convert it'
        ) as detail,
        ex_first_seen.first_transfer_id as first_seen_transfer
    from doses_in_another_unit
    left join ex_first_seen
        {{ same_administration('doses_in_another_unit', 'ex_first_seen') }}
)

select * from dose_on_unscheduled_day
union all
select * from duplicated_administration
union all
select * from dose_unit_not_the_schedules
