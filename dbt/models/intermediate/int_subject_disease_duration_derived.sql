{#- endpoints.md, T11: time from diagnosis to consent in months, (ICFDT - DIAGDT + 1) / 30.4375:
    days counted as every duration of adam.md is (AVAL = ADT - STARTDT + 1), months of 30.4375
    days as for the survival parameters. DIAGDT is the imputed date (int_subject_diagnosis_imputed).
    No value without both dates. -#}
with

enrolment as (
    select * from {{ ref('stg_enr') }}
),

diagnosis_date as (
    select * from {{ ref('int_subject_diagnosis_imputed') }}
),

months_from_diagnosis_to_consent as (
    select
        enrolment.usubjid,
        cast(
            (date_diff('day', diagnosis_date.diagnosis_date, enrolment.icf_date) + 1) / 30.4375
            as double
        ) as disease_duration_months
    from enrolment
    inner join diagnosis_date on enrolment.usubjid = diagnosis_date.usubjid
    where enrolment.icf_date is not null
        and diagnosis_date.diagnosis_date is not null
)

select * from months_from_diagnosis_to_consent
