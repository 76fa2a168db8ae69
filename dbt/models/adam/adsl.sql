{{ config(post_hook="{{ restamp_adsl_cutoff() }}") }}
{#- adam.md, ADSL: one row per screened or enrolled subject. Every derivation is in
    int_subjects_derived (assembled from the int_subject_* models); this model gives its columns
    their ADaM names, and its booleans the ADaM coding: Y / empty, and Y / N for HRCYTO and MOBFL
    (baseline characteristics, where N is a value and empty is unknown). -#}
with

subjects as (
    select * from {{ subject_ref('int_subjects_derived') }}
)

select
    study_id as STUDYID,
    usubjid as USUBJID,
    subject_id as SUBJID,
    site_id as SITEID,
    age_years as AGE,
    age_unit as AGEU,
    age_group as AGEGR1,
    sex as SEX,
    race as RACE,
    iss_stage as ISS,
    case has_high_risk_cytogenetics when true then 'Y' when false then 'N' end as HRCYTO,
    myeloma_type as MMTYPE,
    light_chain_type as LCTYPE,
    prior_lines as PRIORLN,
    reinduction_regimen as REIND,
    reinduction_response as REINDRSP,
    diagnosis_date as DIAGDT,
    diagnosis_date_imputation_flag as DIAGDTF,
    icf_date as ICFDT,
    eligibility_date as ELIGDT,
    case when is_itt then 'Y' end as ITTFL,
    case when is_safety then 'Y' end as SAFFL,
    case when is_responder then 'Y' end as RESPFL,
    planned_arm as ARM,
    actual_arm as ACTARM,
    planned_treatment as TRT01P,
    actual_treatment as TRT01A,
    first_dose_date as TRTSDT,
    last_dose_date as TRTEDT,
    treatment_duration_days as TRTDURD,
    melphalan_date as MELDT,
    asct_date as ASCTDT,
    case when is_asct_performed then 'Y' end as ASCTFL,
    first_maintenance_dose_date as MNTSDT,
    case when is_maintenance_started then 'Y' end as MNTFL,
    end_of_treatment_date as EOTDT,
    end_of_treatment_status as EOTSTT,
    treatment_discontinuation_reason as DCTREAS,
    end_of_study_date as EOSDT,
    end_of_study_status as EOSSTT,
    study_discontinuation_reason as DCSREAS,
    death_date as DTHDT,
    death_date_imputation_flag as DTHDTF,
    death_cause as DTHCAUS,
    case when is_dead then 'Y' end as DTHFL,
    last_alive_date as LSTALVDT,
    last_complete_assessment_date as LSTASDT,
    first_progression_date as PDDT,
    second_line_start_date as NT2SDT,
    second_progression_date as PD2DT,
    second_progression_date_source as PD2DTSRC,
    cutoff_date as CUTOFFDT,
    reinduction_start_date as REINDSDT,
    measurable_disease as MEASDIS,
    height_cm as HEIGHT,
    weight_kg as WEIGHT,
    body_surface_area as BSA,
    disease_duration_months as DURDIS,
    case is_mobilised when true then 'Y' when false then 'N' end as MOBFL
from subjects
-- Sorted by the dataset's key (meta.keys in _adsl.yml), so every build (and its .xpt file) lists
-- rows the same way.
order by {{ adam_order_by() }}
