{#- Queries around death (site_extracts.md, bad input: response after death, death before
    consent) plus dosing after death. A partial death date is judged by its latest possible day
    (ceiling) for "after death" and for "before consent", so a query is raised only when the
    records contradict each other whatever the missing day or month is. -#}
with

deaths as (
    select
        usubjid,
        site_id,
        subject_id,
        death_date_text,
        {{ partial_date_ceiling('death_date_text') }} as death_latest_date
    from {{ ref('stg_dth') }}
    where death_date_text is not null
),

consents as (
    select usubjid, subject_id, site_id, icf_date
    from {{ ref('stg_enr') }}
    where icf_date is not null
),

responses as (
    select usubjid, site_id, subject_id, assessment_date, response
    from {{ ref('stg_rs') }}
),

administrations as (
    select usubjid, site_id, subject_id, treatment, administration_date, dose
    from {{ ref('stg_ex') }}
),

-- First-seen lookups only for subjects who died: every finding here is one of theirs (the
-- raw ex lookup alone groups tens of millions of rows at 100,000 subjects).
dth_first_seen as (
    {{ record_first_seen('dth', {'DTHDT': 'death_date_text'}, subjects='deaths') }}
),

rs_first_seen as (
    {{ record_first_seen('rs', {'RSDT': 'assessment_date'}, subjects='deaths') }}
),

ex_first_seen as (
    {{ record_first_seen('ex', {'EXTRT': 'treatment', 'EXSTDT': 'administration_date'}, subjects='deaths') }}
),

enr_first_seen as (
    {{ record_first_seen('enr', {'ICFDT': 'icf_date'}, subjects='deaths') }}
),

response_after_death as (
    select
        responses.usubjid,
        responses.site_id,
        'rs' as form,
        'RESPONSE_AFTER_DEATH' as rule,
        'CRITICAL' as severity,
        'RSDT ' || cast(responses.assessment_date as varchar) || ' (' || coalesce(responses.response, '')
        || ') after DTHDT ' || deaths.death_date_text as detail,
        {{ later_transfer('rs_first_seen', 'dth_first_seen') }} as first_seen_transfer
    from responses
    inner join deaths
        on responses.usubjid = deaths.usubjid
    left join rs_first_seen
        on responses.site_id = rs_first_seen.site_id
        and responses.subject_id = rs_first_seen.subject_id
        and responses.assessment_date = rs_first_seen.assessment_date
    left join dth_first_seen
        on deaths.site_id = dth_first_seen.site_id
        and deaths.subject_id = dth_first_seen.subject_id
        and deaths.death_date_text = dth_first_seen.death_date_text
    where responses.assessment_date > deaths.death_latest_date
),

dosing_after_death as (
    select
        administrations.usubjid,
        administrations.site_id,
        'ex' as form,
        'DOSING_AFTER_DEATH' as rule,
        'CRITICAL' as severity,
        administrations.treatment || ' EXSTDT ' || cast(administrations.administration_date as varchar)
        || ' (EXDOSE ' || coalesce(cast(administrations.dose as varchar), '') || ') after DTHDT '
        || deaths.death_date_text as detail,
        {{ later_transfer('ex_first_seen', 'dth_first_seen') }} as first_seen_transfer
    from administrations
    inner join deaths
        on administrations.usubjid = deaths.usubjid
    left join ex_first_seen
        on administrations.site_id = ex_first_seen.site_id
        and administrations.subject_id = ex_first_seen.subject_id
        and administrations.treatment = ex_first_seen.treatment
        and administrations.administration_date = ex_first_seen.administration_date
    left join dth_first_seen
        on deaths.site_id = dth_first_seen.site_id
        and deaths.subject_id = dth_first_seen.subject_id
        and deaths.death_date_text = dth_first_seen.death_date_text
    where administrations.administration_date > deaths.death_latest_date
),

death_before_consent as (
    select
        deaths.usubjid,
        deaths.site_id,
        'dth' as form,
        'DEATH_BEFORE_CONSENT' as rule,
        'CRITICAL' as severity,
        'DTHDT ' || deaths.death_date_text || ' before ICFDT ' || cast(consents.icf_date as varchar) as detail,
        {{ later_transfer('dth_first_seen', 'enr_first_seen') }} as first_seen_transfer
    from deaths
    inner join consents
        on deaths.usubjid = consents.usubjid
    left join dth_first_seen
        on deaths.site_id = dth_first_seen.site_id
        and deaths.subject_id = dth_first_seen.subject_id
        and deaths.death_date_text = dth_first_seen.death_date_text
    left join enr_first_seen
        on consents.site_id = enr_first_seen.site_id
        and consents.subject_id = enr_first_seen.subject_id
        and consents.icf_date = enr_first_seen.icf_date
    where deaths.death_latest_date < consents.icf_date
)

select * from response_after_death
union all
select * from dosing_after_death
union all
select * from death_before_consent
