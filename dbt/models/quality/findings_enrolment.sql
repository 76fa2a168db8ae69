{#- An enrolled subject (ENRLFL = Y) without a date the analysis starts from. No ICFDT: ADSL
    counts a subject from consent (int_subjects_derived: every enr record with an ICFDT on or
    before the cut-off), so the subject is in no dataset and no analysis. No ELIGDT: the subject
    stays ITT, but TNT starts at ELIGDT (adam.md, ADTTE), so ADTTE has no TNT row for the subject
    (int_tte_tnt_derived). Both dates are optional in the contract, so the record loads
    (site_extracts.md: inconsistent but parseable); the site is asked for the date. -#}
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
)

select * from consent_date_missing
union all
select * from eligibility_date_missing
