{#- response.md section 2 (ADSL MEASDIS): the measurable disease at baseline, from the baseline
    records of int_lab_baseline_flagged. Serum measurable: baseline SMPROT >= 1.0 g/dL; urine
    measurable: baseline UMPROT >= 200 mg/24h; neither: FLC when baseline IFLC >= 100 mg/L and
    baseline FLCR < 0.26 or > 1.65; otherwise NONE. One row per subject with a baseline lab
    record; int_subjects_derived gives every other subject NONE (no REINDSDT, contract 1.0, or
    no sample before it: nothing is measurable). -#}
with

baseline_records as (
    select * from {{ subject_ref('int_lab_baseline_flagged') }}
    where is_baseline
),

baseline_values_pivoted as (
    select
        usubjid,
        max(case when test_code = 'SMPROT' then result_value end) as baseline_serum_m_protein,
        max(case when test_code = 'UMPROT' then result_value end) as baseline_urine_m_protein,
        max(case when test_code = 'IFLC' then result_value end) as baseline_involved_flc,
        max(case when test_code = 'FLCR' then result_value end) as baseline_flc_ratio
    from baseline_records
    group by usubjid
),

measurable_components as (
    select
        *,
        coalesce(baseline_serum_m_protein >= 1.0, false) as is_serum_measurable,
        coalesce(baseline_urine_m_protein >= 200, false) as is_urine_measurable,
        coalesce(
            baseline_involved_flc >= 100 and (baseline_flc_ratio < 0.26 or baseline_flc_ratio > 1.65),
            false
        ) as is_flc_measurable
    from baseline_values_pivoted
)

select
    usubjid,
    baseline_serum_m_protein,
    baseline_urine_m_protein,
    baseline_involved_flc,
    baseline_flc_ratio,
    is_serum_measurable,
    is_urine_measurable,
    case
        when is_serum_measurable and is_urine_measurable then 'SERUM AND URINE'
        when is_serum_measurable then 'SERUM'
        when is_urine_measurable then 'URINE'
        -- FLC only counts when neither M-protein is measurable
        when is_flc_measurable then 'FLC'
        else 'NONE'
    end as measurable_disease
from measurable_components
