{#- The enrolment record every analysis starts from (site_extracts.md enr, adam.md ADSL).
    An enrolled subject (ENRLFL = Y) without a date the analysis starts from: no ICFDT, and ADSL
    counts a subject from consent (int_subjects_derived: every enr record with an ICFDT on or
    before the cut-off), so the subject is in no dataset and no analysis; no ELIGDT, and the
    subject stays ITT, but TNT starts at ELIGDT (adam.md, ADTTE), so ADTTE has no TNT row for the
    subject (int_tte_tnt_derived). Both dates are optional in the contract, so the record loads
    (site_extracts.md: inconsistent but parseable). A subject with records in other forms but no
    enr record in force at all is in no dataset either. The site is asked for what is missing. -#}
with

enrolled_without_a_start_date as (
    select usubjid, site_id, subject_id, icf_date, eligibility_date
    from {{ ref('stg_enr') }}
    where is_enrolled
        and (icf_date is null or eligibility_date is null)
),

enr_first_seen as (
    {{ record_first_seen('enr', {'ICFDT': 'icf_date', 'ELIGDT': 'eligibility_date'},
        subjects='enrolled_without_a_start_date') }}
),

records_seen as (
    select
        enrolled_without_a_start_date.*,
        enr_first_seen.first_transfer_id
    from enrolled_without_a_start_date
    left join enr_first_seen
        on enrolled_without_a_start_date.site_id = enr_first_seen.site_id
        and enrolled_without_a_start_date.subject_id = enr_first_seen.subject_id
        and enrolled_without_a_start_date.icf_date is not distinct from enr_first_seen.icf_date
        and enrolled_without_a_start_date.eligibility_date
            is not distinct from enr_first_seen.eligibility_date
),

consent_date_missing as (
    select
        usubjid,
        site_id,
        'enr' as form,
        'CONSENT_DATE_MISSING' as rule,
        'CRITICAL' as severity,
        'ENRLFL = Y without ICFDT: not in ADSL or any analysis (a subject counts from consent)'
            as detail,
        first_transfer_id as first_seen_transfer
    from records_seen
    where icf_date is null
),

eligibility_date_missing as (
    select
        usubjid,
        site_id,
        'enr' as form,
        'ELIGIBILITY_DATE_MISSING' as rule,
        'CRITICAL' as severity,
        'ENRLFL = Y without ELIGDT: no TNT in ADTTE (ELIGDT is its STARTDT)' as detail,
        first_transfer_id as first_seen_transfer
    from records_seen
    where eligibility_date is null
),

{%- set subject_forms = ['dm', 'dx', 'ex', 'sct', 'lb', 'rs', 'mrd', 'ae', 'ds', 'dth', 'fu', 'nt', 'im'] %}

enrolment_records_in_force as (
    -- every enr record in force, a consent after the cut-off included: staging leaves those out
    -- (not yet screened at the cut), which is no finding
    select SITEID as site_id, SUBJID as subject_id
    from ({{ rows_in_force('enr') }}) as enrolment
),

subject_records as (
    {%- for form in subject_forms %}
    select distinct usubjid, site_id, subject_id, '{{ form }}' as form from {{ ref('stg_' ~ form) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

records_without_enrolment as (
    select
        usubjid,
        site_id,
        subject_id,
        string_agg(form, ', ' order by form) as forms
    from subject_records
    where not exists (
        select 1
        from enrolment_records_in_force
        where enrolment_records_in_force.site_id = subject_records.site_id
            and enrolment_records_in_force.subject_id = subject_records.subject_id
    )
    group by usubjid, site_id, subject_id
),

{%- for form in subject_forms %}

{{ form }}_first_seen as (
    {{ record_first_seen(form, {}, subjects='records_without_enrolment') }}
),
{%- endfor %}

subject_first_seen as (
    -- the site's earliest LOADED transfer with a record of the subject, in any form
    select
        site_id,
        subject_id,
        arg_min(first_transfer_id, first_extract_datetime) as first_transfer_id
    from (
        {%- for form in subject_forms %}
        select * from {{ form }}_first_seen
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as first_seen_by_form
    group by site_id, subject_id
),

loaded_transfers as (
    select SITEID as site_id, TRANSFER_ID as transfer_id, EXTRACT_DATETIME as extract_datetime
    from {{ source('raw', 'transfers') }} as transfers
    where {{ is_loaded_transfer('transfers') }}
),

enrolment_last_seen as (
    -- the site's latest LOADED transfer that still carried the subject's enr record, if any
    select
        raw_enrolment.SITEID as site_id,
        raw_enrolment.SUBJID as subject_id,
        max(loaded_transfers.extract_datetime) as last_extract_datetime
    from {{ source('raw', 'enr') }} as raw_enrolment
    inner join loaded_transfers
        on raw_enrolment.TRANSFER_ID = loaded_transfers.transfer_id
    inner join records_without_enrolment
        on raw_enrolment.SITEID = records_without_enrolment.site_id
        and raw_enrolment.SUBJID = records_without_enrolment.subject_id
    group by raw_enrolment.SITEID, raw_enrolment.SUBJID
),

first_transfer_without_enrolment as (
    -- the site's first LOADED transfer after the last one carrying the enr record: where the
    -- finding first shows (transfers are cumulative snapshots)
    select
        enrolment_last_seen.site_id,
        enrolment_last_seen.subject_id,
        arg_min(loaded_transfers.transfer_id, loaded_transfers.extract_datetime) as first_transfer_id
    from enrolment_last_seen
    inner join loaded_transfers
        on enrolment_last_seen.site_id = loaded_transfers.site_id
        and loaded_transfers.extract_datetime > enrolment_last_seen.last_extract_datetime
    group by enrolment_last_seen.site_id, enrolment_last_seen.subject_id
),

enrolment_record_missing as (
    select
        records_without_enrolment.usubjid,
        records_without_enrolment.site_id,
        'enr' as form,
        'ENROLMENT_RECORD_MISSING' as rule,
        'CRITICAL' as severity,
        'records in ' || records_without_enrolment.forms || ' but no enr record: in no dataset'
            as detail,
        -- never an enr record: the first transfer with a record of the subject; an enr record
        -- dropped later: the first transfer without it
        coalesce(
            first_transfer_without_enrolment.first_transfer_id,
            subject_first_seen.first_transfer_id
        ) as first_seen_transfer
    from records_without_enrolment
    left join subject_first_seen
        on records_without_enrolment.site_id = subject_first_seen.site_id
        and records_without_enrolment.subject_id = subject_first_seen.subject_id
    left join first_transfer_without_enrolment
        on records_without_enrolment.site_id = first_transfer_without_enrolment.site_id
        and records_without_enrolment.subject_id = first_transfer_without_enrolment.subject_id
)

select * from consent_date_missing
union all
select * from eligibility_date_missing
union all
select * from enrolment_record_missing
