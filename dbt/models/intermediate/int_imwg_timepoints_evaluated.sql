{#- response.md section 3: the computed IMWG response (ALGRESP) at every time point, before
    confirmation (the confirmation rules of section 1 are applied to this model elsewhere).
    Time points: every date D after ICFDT and on or before CUTOFFDT with an SMPROT, UMPROT,
    KAPPA or LAMBDA result or an im assessment. Current value of a test at D: its latest result in
    [D - 7, D]; serum immunofixation is SIFEADJ when the sample has one, else SIFE; BMPC and BMCLON
    the latest on or after ICFDT and on or before D, however old. Imaging: for PD the im dated D;
    for the plasmacytoma requirements of CR and PR the latest im on or after ICFDT and on or
    before D; baseline imaging the latest im on or before REINDSDT. BASE and NADIR are ADLB's
    (int_lab_baseline_flagged) on the sample that gives the current value.
    Order: PD, NE, SCR, CR, VGPR, PR, MR, SD; the first that applies is ALGRESP. Each category's
    condition is three-valued: false when a value contradicts it, unknown when a value it needs
    is missing (a "missing critical value": the category is not given, evaluation goes on), so
    the rule code of a downgraded time point says which category was skipped, e.g.
    CR_FROM_SCR_MISSING, VGPR_FROM_CR_MISSING. Interpretations: imaging PD is checked before
    the biochemical PD routes, so is_imaging_pd and algresp_rule agree (imaging made it PD
    whenever its condition holds, which is what confirmation needs); "every measurable component
    is 0" in the immunofixation-only VGPR reads the M-protein components (serum, urine), so it
    does not apply to MEASDIS = FLC; a result that is not a number is no result. A comparison
    with arithmetic on the results (1.25 x NADIR, + 0.5 g/dL, 0.1 x BASE) is exact decimal
    arithmetic (macro lab_compare): a result exactly on a threshold meets it. -#}
with

subjects as (
    select
        usubjid,
        icf_date,
        reinduction_start_date,
        cutoff_date,
        measurable_disease,
        measurable_disease in ('SERUM', 'SERUM AND URINE') as is_serum_measurable,
        measurable_disease in ('URINE', 'SERUM AND URINE') as is_urine_measurable,
        measurable_disease = 'FLC' as is_flc_measurable
    from {{ subject_ref('int_subjects_derived') }}
),

lab_parameters as (
    select * from {{ subject_ref('int_lab_baseline_flagged') }}
),

imaging as (
    select
        usubjid,
        imaging_date,
        has_new_lesion,
        has_plasmacytoma,
        -- site_extracts.md: PLSPD is empty when PLASMFL = N (a PLSPD sent beside PLASMFL = N is
        -- a finding, findings_assessments; PLASMFL wins). The PD rule compares measured
        -- plasmacytomas only (a reappearance is NEWLES); the PR requirement reads "none" as 0.
        case when has_plasmacytoma is distinct from false then plasmacytoma_diameter_products end
            as plasmacytoma_diameter_products,
        case when has_plasmacytoma = false then 0 else plasmacytoma_diameter_products end
            as remaining_plasmacytoma_products
    from {{ ref('stg_im') }}
    where imaging_date is not null
),

time_point_dates as (
    select usubjid, sample_date as adt
    from lab_parameters
    where test_code in ('SMPROT', 'UMPROT', 'KAPPA', 'LAMBDA') and result_value is not null
    union
    select usubjid, imaging_date as adt
    from imaging
),

time_points_after_consent as (
    select
        time_point_dates.usubjid,
        time_point_dates.adt,
        subjects.icf_date,
        subjects.reinduction_start_date,
        subjects.measurable_disease,
        subjects.is_serum_measurable,
        subjects.is_urine_measurable,
        subjects.is_flc_measurable
    from time_point_dates
    inner join subjects on time_point_dates.usubjid = subjects.usubjid
    where time_point_dates.adt > subjects.icf_date and time_point_dates.adt <= subjects.cutoff_date
),

serum_immunofixation_adjudicated as (
    -- response.md: SIFEADJ when present on that sample, else SIFE
    select
        usubjid,
        sample_date,
        coalesce(
            max(case when test_code = 'SIFEADJ' then result_flag end),
            max(case when test_code = 'SIFE' then result_flag end)
        ) as result_flag
    from lab_parameters
    where test_code in ('SIFE', 'SIFEADJ')
    group by usubjid, sample_date
),

current_value_candidates as (
    select usubjid, sample_date, test_code, result_value, result_flag, baseline_value, nadir_value
    from lab_parameters
    where test_code in ('SMPROT', 'UMPROT', 'DFLC', 'FLCR', 'UIFE')
    union all
    select usubjid, sample_date, 'SIFE_CURRENT', null, result_flag, null, null
    from serum_immunofixation_adjudicated
),

latest_in_last_seven_days as (
    select
        time_points_after_consent.usubjid,
        time_points_after_consent.adt,
        {%- for test in ['SMPROT', 'UMPROT', 'DFLC'] %}
        arg_max(candidates.result_value, candidates.sample_date)
            filter (where candidates.test_code = '{{ test }}' and candidates.result_value is not null) as {{ test | lower }},
        arg_max(candidates.baseline_value, candidates.sample_date)
            filter (where candidates.test_code = '{{ test }}' and candidates.result_value is not null) as {{ test | lower }}_base,
        arg_max(candidates.nadir_value, candidates.sample_date)
            filter (where candidates.test_code = '{{ test }}' and candidates.result_value is not null) as {{ test | lower }}_nadir,
        {%- endfor %}
        arg_max(candidates.result_value, candidates.sample_date)
            filter (where candidates.test_code = 'FLCR' and candidates.result_value is not null) as flcr,
        arg_max(candidates.result_flag, candidates.sample_date)
            filter (where candidates.test_code = 'SIFE_CURRENT' and candidates.result_flag is not null) as serum_ife,
        arg_max(candidates.result_flag, candidates.sample_date)
            filter (where candidates.test_code = 'UIFE' and candidates.result_flag is not null) as urine_ife
    from time_points_after_consent
    left join current_value_candidates as candidates
        on
            time_points_after_consent.usubjid = candidates.usubjid
            and candidates.sample_date between {{ add_days('time_points_after_consent.adt', -7) }}
            and time_points_after_consent.adt
    group by time_points_after_consent.usubjid, time_points_after_consent.adt
),

latest_marrow_since_consent as (
    -- marrow is not repeated for confirmation: the latest since ICFDT, however old
    select
        time_points_after_consent.usubjid,
        time_points_after_consent.adt,
        arg_max(marrow.result_value, marrow.sample_date)
            filter (where marrow.test_code = 'BMPC' and marrow.result_value is not null) as bmpc,
        arg_max(marrow.result_flag, marrow.sample_date)
            filter (where marrow.test_code = 'BMCLON' and marrow.result_flag is not null) as bmclon
    from time_points_after_consent
    left join lab_parameters as marrow
        on
            time_points_after_consent.usubjid = marrow.usubjid
            and marrow.test_code in ('BMPC', 'BMCLON')
            and marrow.sample_date between time_points_after_consent.icf_date and time_points_after_consent.adt
    group by time_points_after_consent.usubjid, time_points_after_consent.adt
),

imaging_at_time_point as (
    select
        time_points_after_consent.usubjid,
        time_points_after_consent.adt,
        bool_or(imaging.has_new_lesion) filter (where imaging.imaging_date = time_points_after_consent.adt)
            as has_new_lesion,
        max(imaging.plasmacytoma_diameter_products)
            filter (where imaging.imaging_date = time_points_after_consent.adt) as plspd,
        -- PD: the lowest earlier PLSPD of the subject, baseline included
        min(imaging.plasmacytoma_diameter_products)
            filter (where imaging.imaging_date < time_points_after_consent.adt) as lowest_earlier_plspd,
        -- CR / PR: the latest imaging since consent (not repeated at every visit). That im's
        -- own values, empty ones included (arg_max_null: arg_max would skip an empty PLASMFL or
        -- PLSPD and read an older im): a value missing there cannot be checked.
        arg_max_null(imaging.has_plasmacytoma, imaging.imaging_date)
            filter (where imaging.imaging_date >= time_points_after_consent.icf_date) as latest_has_plasmacytoma,
        arg_max_null(imaging.remaining_plasmacytoma_products, imaging.imaging_date)
            filter (where imaging.imaging_date >= time_points_after_consent.icf_date) as latest_plspd,
        -- baseline imaging: the latest on or before REINDSDT, its own values likewise
        arg_max_null(imaging.has_plasmacytoma, imaging.imaging_date)
            filter (where imaging.imaging_date <= time_points_after_consent.reinduction_start_date)
            as baseline_has_plasmacytoma,
        arg_max_null(imaging.plasmacytoma_diameter_products, imaging.imaging_date)
            filter (where imaging.imaging_date <= time_points_after_consent.reinduction_start_date)
            as baseline_plspd
    from time_points_after_consent
    left join imaging
        on
            time_points_after_consent.usubjid = imaging.usubjid
            and imaging.imaging_date <= time_points_after_consent.adt
    group by time_points_after_consent.usubjid, time_points_after_consent.adt
),

current_values as (
    select
        time_points_after_consent.*,
        latest_in_last_seven_days.* exclude (usubjid, adt),
        latest_marrow_since_consent.* exclude (usubjid, adt),
        imaging_at_time_point.* exclude (usubjid, adt)
    from time_points_after_consent
    inner join latest_in_last_seven_days
        on
            time_points_after_consent.usubjid = latest_in_last_seven_days.usubjid
            and time_points_after_consent.adt = latest_in_last_seven_days.adt
    inner join latest_marrow_since_consent
        on
            time_points_after_consent.usubjid = latest_marrow_since_consent.usubjid
            and time_points_after_consent.adt = latest_marrow_since_consent.adt
    inner join imaging_at_time_point
        on
            time_points_after_consent.usubjid = imaging_at_time_point.usubjid
            and time_points_after_consent.adt = imaging_at_time_point.adt
),

progression_routes as (
    select
        *,
        coalesce(has_new_lesion, false) as is_pd_imaging_new_lesion,
        coalesce({{ lab_compare('plspd', '>=', '1.5 * lowest_earlier_plspd') }}, false) as is_pd_imaging_plspd,
        coalesce(
            is_serum_measurable
            and {{ lab_compare('smprot', '>=', '1.25 * smprot_nadir') }}
            -- the absolute increase is 1.0 g/dL when the nadir is 5 g/dL or more
            and {{ lab_compare('smprot - smprot_nadir', '>=', 'case when smprot_nadir >= 5 then 1.0 else 0.5 end') }},
            false
        ) as is_pd_serum,
        coalesce(
            is_urine_measurable
            and {{ lab_compare('umprot', '>=', '1.25 * umprot_nadir') }}
            and {{ lab_compare('umprot - umprot_nadir', '>=', '200') }},
            false
        ) as is_pd_urine,
        coalesce(
            is_flc_measurable
            and {{ lab_compare('dflc', '>=', '1.25 * dflc_nadir') }}
            and {{ lab_compare('dflc - dflc_nadir', '>', '100') }},
            false
        ) as is_pd_flc
    from current_values
),

not_evaluable as (
    select
        *,
        measurable_disease = 'NONE' as is_ne_not_measurable,
        (is_serum_measurable and smprot is null)
        or (is_urine_measurable and umprot is null)
        or (is_flc_measurable and dflc is null) as is_ne_missing_value
    from progression_routes
),

plasmacytoma_requirements as (
    -- unknown (null) when a plasmacytoma was there at baseline and no imaging since consent
    select
        *,
        case
            when coalesce(baseline_has_plasmacytoma, false) = false then true
            else latest_has_plasmacytoma = false
        end as is_cr_plasmacytoma_gone,
        case
            when coalesce(baseline_has_plasmacytoma, false) = false then true
            else {{ lab_compare('latest_plspd', '<=', '0.5 * baseline_plspd') }}
        end as is_pr_plasmacytoma_reduced
    from not_evaluable
),

category_conditions as (
    -- three-valued: true met, false contradicted, null a critical value is missing
    select
        *,
        serum_ife = 'NEG'
        and urine_ife = 'NEG'
        and bmpc < 5
        and is_cr_plasmacytoma_gone
        and (not is_flc_measurable or flcr between 0.26 and 1.65) as is_cr,
        flcr between 0.26 and 1.65 and bmclon = 'NEG' as is_scr_extra,
        (is_serum_measurable or is_urine_measurable)
        and (not is_serum_measurable or smprot = 0)
        and (not is_urine_measurable or umprot = 0)
        and (serum_ife = 'POS' or urine_ife = 'POS') as is_vgpr_ife_only,
        is_serum_measurable and {{ lab_compare('smprot', '<=', '0.1 * smprot_base') }}
        and (not is_urine_measurable or umprot < 100) as is_vgpr_serum,
        is_urine_measurable and not is_serum_measurable and umprot < 100 as is_vgpr_urine,
        is_flc_measurable and {{ lab_compare('dflc', '<=', '0.1 * dflc_base') }} as is_vgpr_flc,
        (not is_serum_measurable or {{ lab_compare('smprot', '<=', '0.5 * smprot_base') }})
        and (
            not is_urine_measurable
            or {{ lab_compare('umprot', '<=', '0.1 * umprot_base') }}
            or umprot < 200
        )
        and (not is_flc_measurable or {{ lab_compare('dflc', '<=', '0.5 * dflc_base') }})
        and is_pr_plasmacytoma_reduced as is_pr,
        is_serum_measurable
        and {{ lab_compare('smprot', '>', '0.5 * smprot_base') }}
        and {{ lab_compare('smprot', '<=', '0.75 * smprot_base') }}
        and (
            not is_urine_measurable
            or (
                {{ lab_compare('umprot', '>', '0.1 * umprot_base') }}
                and {{ lab_compare('umprot', '<=', '0.5 * umprot_base') }}
            )
        ) as is_mr
    from plasmacytoma_requirements
),

category_met as (
    select
        *,
        is_vgpr_ife_only or is_vgpr_serum or is_vgpr_urine or is_vgpr_flc as is_vgpr,
        -- SCR is CR plus its extra requirement; only that extra part can make it "missing"
        is_cr and is_scr_extra as is_scr,
        -- an M-protein seen by electrophoresis is seen by immunofixation too: a CR that could
        -- not be checked for want of an immunofixation or marrow was not "missed" then
        coalesce(
            (is_serum_measurable and smprot > 0) or (is_urine_measurable and umprot > 0), false
        ) as has_detectable_m_protein
    from category_conditions
),

first_category_that_applies as (
    select
        *,
        case
            when is_pd_imaging_new_lesion then 'PD_IMAGING_NEWLES'
            when is_pd_imaging_plspd then 'PD_IMAGING_PLSPD'
            when is_pd_serum then 'PD_SERUM'
            when is_pd_urine then 'PD_URINE'
            when is_pd_flc then 'PD_FLC'
            when is_ne_not_measurable then 'NE_NOT_MEASURABLE'
            when is_ne_missing_value then 'NE_MISSING_VALUE'
            when is_scr then 'SCR'
            when is_cr then 'CR'
            when is_vgpr_ife_only then 'VGPR_IFE_ONLY'
            when is_vgpr_serum then 'VGPR_SERUM'
            when is_vgpr_urine then 'VGPR_URINE'
            when is_vgpr_flc then 'VGPR_FLC'
            when is_pr then 'PR'
            when is_mr then 'MR'
            else 'SD'
        end as branch,
        -- the best category above the one given whose requirement could not be checked
        case
            when is_scr then null
            when is_cr and is_scr_extra is null then 'SCR'
            when is_cr then null
            when is_cr is null and not has_detectable_m_protein then 'CR'
            when is_vgpr then null
            when is_vgpr is null then 'VGPR'
            when is_pr then null
            when is_pr is null then 'PR'
            when is_mr then null
            when is_mr is null then 'MR'
        end as skipped_category
    from category_met
)

select
    usubjid,
    adt,
    split_part(branch, '_', 1) as algresp,
    is_pd_imaging_new_lesion or is_pd_imaging_plspd as is_imaging_pd,
    -- a category below a skipped one says which: e.g. CR_FROM_SCR_MISSING, PR_FROM_CR_MISSING
    case
        when split_part(branch, '_', 1) in ('PD', 'NE') or skipped_category is null then branch
        else split_part(branch, '_', 1) || '_FROM_' || skipped_category || '_MISSING'
    end as algresp_rule,
    measurable_disease,
    smprot,
    smprot_base,
    smprot_nadir,
    umprot,
    umprot_base,
    umprot_nadir,
    dflc,
    dflc_base,
    dflc_nadir,
    flcr,
    serum_ife,
    urine_ife,
    bmpc,
    bmclon,
    has_new_lesion,
    plspd,
    lowest_earlier_plspd,
    latest_has_plasmacytoma,
    latest_plspd,
    baseline_has_plasmacytoma,
    baseline_plspd
from first_category_that_applies
