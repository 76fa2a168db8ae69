with

source as (
    {{ rows_in_force('dx') }}
),

records_in_force as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."DIAGDT" as diagnosis_date_text,
        source."MMTYPE" as myeloma_type,
        source."LCTYPE" as light_chain_type,
        source."ISS" as iss_stage,
        {{ yn_to_boolean('source."HRCYTO"') }} as has_high_risk_cytogenetics,
        source."PRIORLN" as prior_lines
    from source
)

select * from records_in_force
