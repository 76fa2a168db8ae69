{#- A disease assessment (rs, mrd, lb) dated after the subject withdrew consent (END OF STUDY
    with DSDECOD = WITHDRAWAL BY SUBJECT): data collected without consent. -#}
with

withdrawals as (
    select usubjid, site_id, subject_id, disposition_date as withdrawal_date
    from {{ ref('stg_ds') }}
    where category = 'END OF STUDY'
        and reason = 'WITHDRAWAL BY SUBJECT'
        and disposition_date is not null
),

assessments as (
    select usubjid, site_id, subject_id, 'rs' as form, assessment_date, 'RSDT' as date_name
    from {{ ref('stg_rs') }}
    union all
    select usubjid, site_id, subject_id, 'mrd' as form, sample_date as assessment_date, 'MRDDT' as date_name
    from {{ ref('stg_mrd') }}
    union all
    select usubjid, site_id, subject_id, 'lb' as form, sample_date as assessment_date, 'LBDT' as date_name
    from {{ ref('stg_lb') }}
),

-- First-seen lookups only for withdrawn subjects: every finding here is one of theirs, and the
-- lookups group every raw record of every transfer (lb at 100,000 subjects: millions of rows).
ds_first_seen as (
    {{ record_first_seen('ds', {'DSCAT': 'category', 'DSDT': 'disposition_date'}, subjects='withdrawals') }}
),

rs_first_seen as (
    {{ record_first_seen('rs', {'RSDT': 'assessment_date'}, subjects='withdrawals') }}
),

mrd_first_seen as (
    {{ record_first_seen('mrd', {'MRDDT': 'assessment_date'}, subjects='withdrawals') }}
),

lb_first_seen as (
    {{ record_first_seen('lb', {'LBTESTCD': 'test_code', 'LBDT': 'assessment_date'}, subjects='withdrawals') }}
),

assessment_first_seen as (
    select site_id, subject_id, 'rs' as form, assessment_date, first_transfer_id, first_extract_datetime
    from rs_first_seen
    union all
    select site_id, subject_id, 'mrd' as form, assessment_date, first_transfer_id, first_extract_datetime
    from mrd_first_seen
    union all
    -- lb has several tests per date: the date's first transfer is its earliest test's.
    select
        site_id,
        subject_id,
        'lb' as form,
        assessment_date,
        arg_min(first_transfer_id, first_extract_datetime) as first_transfer_id,
        min(first_extract_datetime) as first_extract_datetime
    from lb_first_seen
    group by site_id, subject_id, assessment_date
),

assessment_dates as (
    select distinct usubjid, site_id, subject_id, form, assessment_date, date_name
    from assessments
),

assessment_after_withdrawal as (
    select
        assessment_dates.usubjid,
        assessment_dates.site_id,
        assessment_dates.form,
        'ASSESSMENT_AFTER_WITHDRAWAL' as rule,
        'CRITICAL' as severity,
        assessment_dates.date_name || ' ' || cast(assessment_dates.assessment_date as varchar)
        || ' after withdrawal of consent (DSDT ' || cast(withdrawals.withdrawal_date as varchar) || ')' as detail,
        {{ later_transfer('assessment_first_seen', 'ds_first_seen') }} as first_seen_transfer
    from assessment_dates
    inner join withdrawals
        on assessment_dates.usubjid = withdrawals.usubjid
    left join assessment_first_seen
        on assessment_dates.site_id = assessment_first_seen.site_id
        and assessment_dates.subject_id = assessment_first_seen.subject_id
        and assessment_dates.form = assessment_first_seen.form
        and assessment_dates.assessment_date = assessment_first_seen.assessment_date
    left join ds_first_seen
        on withdrawals.site_id = ds_first_seen.site_id
        and withdrawals.subject_id = ds_first_seen.subject_id
        and ds_first_seen.category = 'END OF STUDY'
        and withdrawals.withdrawal_date = ds_first_seen.disposition_date
    where assessment_dates.assessment_date > withdrawals.withdrawal_date
)

select * from assessment_after_withdrawal
