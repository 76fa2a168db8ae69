{#- adam.md, Partial dates, diagnosis: missing day -> 1st of month, missing month -> 1 January;
    DIAGDTF = D / M. -#}
with

diagnoses as (
    select * from {{ ref('stg_dx') }}
),

diagnosis_date_imputed as (
    select
        usubjid,
        {{ partial_date_floor('diagnosis_date_text') }} as diagnosis_date,
        {{ partial_date_flag('diagnosis_date_text') }} as diagnosis_date_imputation_flag
    from diagnoses
)

select * from diagnosis_date_imputed
