with

transfers_in_force as (
    select transfer_id from {{ ref('stg_transfers_in_force') }}
),

data_cut as (
    select cutoff_date from {{ ref('stg_data_cut') }}
),

source as (
    select raw_rows.*
    from {{ source('raw', 'dx') }} as raw_rows
    inner join transfers_in_force
        on raw_rows.TRANSFER_ID = transfers_in_force.transfer_id
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
    cross join data_cut
)

select * from records_in_force
