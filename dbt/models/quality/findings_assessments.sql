{#- Disease-assessment findings on the contract 1.1 columns (site_extracts.md): RSPDTYP is
    required when RSORRES = PD and empty otherwise, PLSPD empty when PLASMFL = N. Each value
    parses, so the row loads (a PD is never dropped from the analysis for a missing basis) and
    the contradiction is queried here. A 1.0 transfer has no RSPDTYP (its PDs read as
    BIOCHEMICAL, stg_rs.pd_basis), so only 1.1 transfers can break the rule, and a finding is
    first seen with the site's first 1.1 transfer carrying the record.
    And an rs or mrd record dated before the subject's consent (site_extracts.md: logically
    inconsistent but parseable, "a data-quality finding is raised"; like ASCT_BEFORE_CONSENT):
    the analysis counts no such record (on study means on or after ICFDT,
    int_responses_before_progression_filtered, int_mrd_windows_evaluated), so the site is asked
    for the date. -#}
with

assessments as (
    select
        usubjid,
        site_id,
        subject_id,
        assessment_date,
        response,
        pd_basis
    from {{ ref('stg_rs') }}
),

imaging as (
    select
        usubjid,
        site_id,
        subject_id,
        imaging_date,
        plasmacytoma_diameter_products
    from {{ ref('stg_im') }}
    where has_plasmacytoma = false
        and plasmacytoma_diameter_products is not null
),

consents as (
    select usubjid, site_id, subject_id, icf_date
    from {{ ref('stg_enr') }}
    where icf_date is not null
),

mrd_samples as (
    select usubjid, site_id, subject_id, sample_date, result
    from {{ ref('stg_mrd') }}
    where sample_date is not null
),

rs_first_seen as (
    {{ record_first_seen(
        'rs',
        {'RSDT': 'assessment_date', 'RSORRES': 'response', 'RSPDTYP': 'pd_basis'},
        transfers_where="transfers.CONTRACT_VERSION <> '1.0'"
    ) }}
),

im_first_seen as (
    {{ record_first_seen('im', {'IMDT': 'imaging_date', 'PLASMFL': 'plasmacytoma_flag', 'PLSPD': 'plasmacytoma_diameter_products'}) }}
),

rs_dates_first_seen as (
    {{ record_first_seen('rs', {'RSDT': 'assessment_date'}) }}
),

mrd_first_seen as (
    {{ record_first_seen('mrd', {'MRDDT': 'sample_date'}) }}
),

enr_first_seen as (
    {{ record_first_seen('enr', {'ICFDT': 'icf_date'}) }}
),

assessments_seen as (
    select
        assessments.*,
        rs_first_seen.first_transfer_id
    from assessments
    left join rs_first_seen
        on assessments.site_id = rs_first_seen.site_id
        and assessments.subject_id = rs_first_seen.subject_id
        and assessments.assessment_date = rs_first_seen.assessment_date
        and assessments.response is not distinct from rs_first_seen.response
        and assessments.pd_basis is not distinct from rs_first_seen.pd_basis
),

pd_basis_missing as (
    select
        usubjid,
        site_id,
        'rs' as form,
        'PD_BASIS_MISSING' as rule,
        'MAJOR' as severity,
        'RSORRES PD on RSDT ' || cast(assessment_date as varchar)
        || ' without RSPDTYP (BIOCHEMICAL, IMAGING or CLINICAL)' as detail,
        first_transfer_id as first_seen_transfer
    from assessments_seen
    where response = 'PD'
        and pd_basis is null
),

pd_basis_without_pd as (
    select
        usubjid,
        site_id,
        'rs' as form,
        'PD_BASIS_WITHOUT_PD' as rule,
        'MAJOR' as severity,
        'RSPDTYP ' || pd_basis || ' on RSDT ' || cast(assessment_date as varchar)
        || ' with RSORRES ' || coalesce(response, '(empty)') || ': only a PD has a basis' as detail,
        first_transfer_id as first_seen_transfer
    from assessments_seen
    where pd_basis is not null
        and response is distinct from 'PD'
),

plasmacytoma_size_without_plasmacytoma as (
    select
        imaging.usubjid,
        imaging.site_id,
        'im' as form,
        'PLSPD_WITHOUT_PLASMACYTOMA' as rule,
        'MAJOR' as severity,
        'PLSPD ' || cast(imaging.plasmacytoma_diameter_products as varchar) || ' on IMDT '
        || cast(imaging.imaging_date as varchar) || ' with PLASMFL N' as detail,
        im_first_seen.first_transfer_id as first_seen_transfer
    from imaging
    left join im_first_seen
        on imaging.site_id = im_first_seen.site_id
        and imaging.subject_id = im_first_seen.subject_id
        and imaging.imaging_date = im_first_seen.imaging_date
        and im_first_seen.plasmacytoma_flag = 'N'
        and imaging.plasmacytoma_diameter_products = im_first_seen.plasmacytoma_diameter_products
),

response_before_consent as (
    select
        assessments.usubjid,
        assessments.site_id,
        'rs' as form,
        'RESPONSE_BEFORE_CONSENT' as rule,
        'MAJOR' as severity,
        'RSDT ' || cast(assessments.assessment_date as varchar) || ' (RSORRES '
        || coalesce(assessments.response, '(empty)') || ') before ICFDT '
        || cast(consents.icf_date as varchar) || ': not counted as a response on study' as detail,
        {{ later_transfer('rs_dates_first_seen', 'enr_first_seen') }} as first_seen_transfer
    from assessments
    inner join consents
        on assessments.usubjid = consents.usubjid
    left join rs_dates_first_seen
        on assessments.site_id = rs_dates_first_seen.site_id
        and assessments.subject_id = rs_dates_first_seen.subject_id
        and assessments.assessment_date = rs_dates_first_seen.assessment_date
    left join enr_first_seen
        on consents.site_id = enr_first_seen.site_id
        and consents.subject_id = enr_first_seen.subject_id
        and consents.icf_date = enr_first_seen.icf_date
    where assessments.assessment_date < consents.icf_date
),

mrd_before_consent as (
    select
        mrd_samples.usubjid,
        mrd_samples.site_id,
        'mrd' as form,
        'MRD_BEFORE_CONSENT' as rule,
        'MAJOR' as severity,
        'MRDDT ' || cast(mrd_samples.sample_date as varchar) || ' (MRDRES '
        || coalesce(mrd_samples.result, '(empty)') || ') before ICFDT '
        || cast(consents.icf_date as varchar) || ': not counted as a result on study' as detail,
        {{ later_transfer('mrd_first_seen', 'enr_first_seen') }} as first_seen_transfer
    from mrd_samples
    inner join consents
        on mrd_samples.usubjid = consents.usubjid
    left join mrd_first_seen
        on mrd_samples.site_id = mrd_first_seen.site_id
        and mrd_samples.subject_id = mrd_first_seen.subject_id
        and mrd_samples.sample_date = mrd_first_seen.sample_date
    left join enr_first_seen
        on consents.site_id = enr_first_seen.site_id
        and consents.subject_id = enr_first_seen.subject_id
        and consents.icf_date = enr_first_seen.icf_date
    where mrd_samples.sample_date < consents.icf_date
)

select * from pd_basis_missing
union all
select * from pd_basis_without_pd
union all
select * from plasmacytoma_size_without_plasmacytoma
union all
select * from response_before_consent
union all
select * from mrd_before_consent
