with

transfers_in_force as (
    select transfer_id from {{ ref('stg_transfers_in_force') }}
),

data_cut as (
    select cutoff_date from {{ ref('stg_data_cut') }}
),

source as (
    select raw_rows.*
    from {{ source('raw', 'sct') }} as raw_rows
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
        case when source."MELDT" <= data_cut.cutoff_date then source."MELDT" end as melphalan_date,
        case when source."ASCTDT" <= data_cut.cutoff_date then source."ASCTDT" end as asct_date,
        source."CD34" as cd34_cells
    from source
    cross join data_cut
)

select * from records_in_force
