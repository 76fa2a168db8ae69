{{ config(post_hook="{{ restamp_subjects_cutoff() }}") }}
{#- adam.md, ADSL: one row per screened or enrolled subject, i.e. every enr record with a consent
    (ICFDT) on or before the cut-off (staging drops later consents); screen failures are not ITT.
    Each derivation lives in its own int_subject_* model; this model assembles them with the
    collected subject data, for adam.adsl (which only renames) and for every intermediate model
    that needs a subject's dates and flags. -#}
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

measurable_disease as (
    select * from {{ subject_ref('int_subject_measurable_disease_derived') }}
),

body_surface_area as (
    select * from {{ subject_ref('int_subject_bsa_derived') }}
),

disease_duration as (
    select * from {{ subject_ref('int_subject_disease_duration_derived') }}
),

treatment_arm as (
    select * from {{ subject_ref('int_subject_treatment_arm_assigned') }}
),

consented_subjects as (
    select * from enrolment
    where icf_date is not null
)

select
    '{{ var("study_id", "ISA-DEX-MM") }}' as study_id,
    consented_subjects.usubjid,
    consented_subjects.subject_id,
    consented_subjects.site_id,
    age.age_years,
    'YEARS' as age_unit,
    age.age_group,
    demographics.sex,
    demographics.race,
    diagnoses.iss_stage,
    diagnoses.has_high_risk_cytogenetics,
    diagnoses.myeloma_type,
    diagnoses.light_chain_type,
    cast(diagnoses.prior_lines as integer) as prior_lines,
    consented_subjects.reinduction_regimen,
    consented_subjects.reinduction_response,
    diagnosis_date.diagnosis_date,
    diagnosis_date.diagnosis_date_imputation_flag,
    consented_subjects.icf_date,
    -- adam.md, Data cut-off: an eligibility confirmed after the cut-off has not happened yet.
    case
        when consented_subjects.eligibility_date <= data_cut.cutoff_date then consented_subjects.eligibility_date
    end as eligibility_date,
    populations.is_itt,
    populations.is_safety,
    populations.is_responder,
    treatment_dates.first_dose_date,
    treatment_dates.last_dose_date,
    transplant.melphalan_date,
    transplant.asct_date,
    transplant.asct_date is not null as is_asct_performed,
    treatment_dates.first_maintenance_dose_date,
    treatment_dates.first_maintenance_dose_date is not null as is_maintenance_started,
    disposition.end_of_treatment_date,
    disposition.end_of_treatment_status,
    disposition.treatment_discontinuation_reason,
    disposition.end_of_study_date,
    disposition.end_of_study_status,
    disposition.study_discontinuation_reason,
    death.death_date,
    death.death_date_imputation_flag,
    death.death_cause,
    death.death_date is not null as is_dead,
    last_alive.last_alive_date,
    disease_dates.last_complete_assessment_date,
    disease_dates.first_progression_date,
    next_therapy.second_line_start_date,
    next_therapy.second_progression_date,
    next_therapy.second_progression_date_source,
    data_cut.cutoff_date,
    consented_subjects.reinduction_start_date,
    -- response.md section 2: a subject without a baseline lab record has nothing measurable
    coalesce(measurable_disease.measurable_disease, 'NONE') as measurable_disease,
    cast(demographics.height_cm as double) as height_cm,
    cast(demographics.weight_kg as double) as weight_kg,
    body_surface_area.body_surface_area,
    disease_duration.disease_duration_months,
    consented_subjects.is_mobilised,
    treatment_arm.planned_arm,
    treatment_arm.actual_arm,
    treatment_arm.planned_treatment,
    treatment_arm.actual_treatment,
    treatment_arm.treatment_duration_days
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
left join measurable_disease on consented_subjects.usubjid = measurable_disease.usubjid
left join body_surface_area on consented_subjects.usubjid = body_surface_area.usubjid
left join disease_duration on consented_subjects.usubjid = disease_duration.usubjid
left join treatment_arm on consented_subjects.usubjid = treatment_arm.usubjid
