with

transfers_in_force as (
    select transfer_id from {{ ref('stg_transfers_in_force') }}
),

data_cut as (
    select cutoff_date from {{ ref('stg_data_cut') }}
),

source as (
    select raw_rows.*
    from {{ source('raw', 'lb') }} as raw_rows
    inner join transfers_in_force
        on raw_rows.TRANSFER_ID = transfers_in_force.transfer_id
),

records_up_to_cutoff as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."LBDT" as sample_date,
        source."LBTESTCD" as test_code,
        source."LBORRES" as result_text
    from source
    cross join data_cut
    where source."LBDT" is null or source."LBDT" <= data_cut.cutoff_date
)

select * from records_up_to_cutoff
