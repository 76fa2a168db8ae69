{%- set sort_by = 'USUBJID' -%}
{{ config(sort_by=sort_by, post_hook="{{ restamp_adsl_cutoff() }}") }}
{#- adam.md, ADSL: one row per screened or enrolled subject, i.e. every enr record with a consent
    (ICFDT) on or before the cut-off (staging drops later consents); screen failures carry an empty
    ITTFL. Each derivation lives in its own int_subject_* model; this model only assembles them. -#}
with

enrolment as (
    select * from {{ ref('stg_enr') }}
),

demographics as (
    select * from {{ ref('stg_dm') }}
),

diagnoses as (
    select * from {{ ref('stg_dx') }}
),

transplant as (
    select * from {{ ref('stg_sct') }}
),

data_cut as (
    select cutoff_date from {{ ref('stg_data_cut') }}
),

age as (
    select * from {{ subject_ref('int_subject_age_derived') }}
),

diagnosis_date as (
    select * from {{ subject_ref('int_subject_diagnosis_imputed') }}
),

populations as (
    select * from {{ subject_ref('int_subject_populations_flagged') }}
),

treatment_dates as (
    select * from {{ subject_ref('int_subject_treatment_dates_derived') }}
),

disposition as (
    select * from {{ subject_ref('int_subject_disposition_pivoted') }}
),

death as (
    select * from {{ subject_ref('int_subject_death_imputed') }}
),

last_alive as (
    select * from {{ subject_ref('int_subject_last_alive_capped') }}
),

disease_dates as (
    select * from {{ subject_ref('int_subject_disease_dates_derived') }}
),

next_therapy as (
    select * from {{ subject_ref('int_subject_next_therapy_pivoted') }}
),

consented_subjects as (
    select * from enrolment
    where icf_date is not null
)

select
    '{{ var("study_id", "ISA-DEX-MM") }}' as STUDYID,
    consented_subjects.usubjid as USUBJID,
    consented_subjects.subject_id as SUBJID,
    consented_subjects.site_id as SITEID,
    age.age_years as AGE,
    'YEARS' as AGEU,
    age.age_group as AGEGR1,
    demographics.sex as SEX,
    demographics.race as RACE,
    diagnoses.iss_stage as ISS,
    case diagnoses.has_high_risk_cytogenetics when true then 'Y' when false then 'N' end as HRCYTO,
    diagnoses.myeloma_type as MMTYPE,
    diagnoses.light_chain_type as LCTYPE,
    cast(diagnoses.prior_lines as integer) as PRIORLN,
    consented_subjects.reinduction_regimen as REIND,
    consented_subjects.reinduction_response as REINDRSP,
    diagnosis_date.diagnosis_date as DIAGDT,
    diagnosis_date.diagnosis_date_imputation_flag as DIAGDTF,
    consented_subjects.icf_date as ICFDT,
    -- adam.md, Data cut-off: an eligibility confirmed after the cut-off has not happened yet.
    case
        when consented_subjects.eligibility_date <= data_cut.cutoff_date then consented_subjects.eligibility_date
    end as ELIGDT,
    case when populations.is_itt then 'Y' end as ITTFL,
    case when populations.is_safety then 'Y' end as SAFFL,
    case when populations.is_responder then 'Y' end as RESPFL,
    treatment_dates.first_dose_date as TRTSDT,
    treatment_dates.last_dose_date as TRTEDT,
    transplant.melphalan_date as MELDT,
    transplant.asct_date as ASCTDT,
    case when transplant.asct_date is not null then 'Y' end as ASCTFL,
    treatment_dates.first_maintenance_dose_date as MNTSDT,
    case when treatment_dates.first_maintenance_dose_date is not null then 'Y' end as MNTFL,
    disposition.end_of_treatment_date as EOTDT,
    disposition.end_of_treatment_status as EOTSTT,
    disposition.treatment_discontinuation_reason as DCTREAS,
    disposition.end_of_study_date as EOSDT,
    disposition.end_of_study_status as EOSSTT,
    disposition.study_discontinuation_reason as DCSREAS,
    death.death_date as DTHDT,
    death.death_date_imputation_flag as DTHDTF,
    death.death_cause as DTHCAUS,
    case when death.death_date is not null then 'Y' end as DTHFL,
    last_alive.last_alive_date as LSTALVDT,
    disease_dates.last_complete_assessment_date as LSTASDT,
    disease_dates.first_progression_date as PDDT,
    next_therapy.second_line_start_date as NT2SDT,
    next_therapy.second_progression_date as PD2DT,
    next_therapy.second_progression_date_source as PD2DTSRC,
    data_cut.cutoff_date as CUTOFFDT
from consented_subjects
cross join data_cut
left join demographics on consented_subjects.usubjid = demographics.usubjid
left join diagnoses on consented_subjects.usubjid = diagnoses.usubjid
left join transplant on consented_subjects.usubjid = transplant.usubjid
left join age on consented_subjects.usubjid = age.usubjid
left join diagnosis_date on consented_subjects.usubjid = diagnosis_date.usubjid
left join populations on consented_subjects.usubjid = populations.usubjid
left join treatment_dates on consented_subjects.usubjid = treatment_dates.usubjid
left join disposition on consented_subjects.usubjid = disposition.usubjid
left join death on consented_subjects.usubjid = death.usubjid
left join last_alive on consented_subjects.usubjid = last_alive.usubjid
left join disease_dates on consented_subjects.usubjid = disease_dates.usubjid
left join next_therapy on consented_subjects.usubjid = next_therapy.usubjid
-- Sorted by the dataset's key, so every build (and its .xpt file) lists rows the same way.
order by {{ sort_by }}
