{#- Disease-assessment findings on the contract 1.1 columns (site_extracts.md): RSPDTYP is
    required when RSORRES = PD and empty otherwise, PLSPD empty when PLASMFL = N. Each value
    parses, so the row loads (a PD is never dropped from the analysis for a missing basis) and
    the contradiction is queried here. A 1.0 transfer has no RSPDTYP (its PDs read as
    BIOCHEMICAL, stg_rs.pd_basis), so only 1.1 transfers can break the rule, and a finding is
    first seen with the site's first 1.1 transfer carrying the record. -#}
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
)

select * from pd_basis_missing
union all
select * from pd_basis_without_pd
union all
select * from plasmacytoma_size_without_plasmacytoma
