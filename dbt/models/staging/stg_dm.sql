with

transfers_in_force as (
    select transfer_id from {{ ref('stg_transfers_in_force') }}
),

data_cut as (
    select cutoff_date from {{ ref('stg_data_cut') }}
),

source as (
    select raw_rows.*
    from {{ source('raw', 'dm') }} as raw_rows
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
        source."BRTHYR" as birth_year,
        source."SEX" as sex,
        source."RACE" as race,
        source."HEIGHT" as height_cm,
        source."WEIGHT" as weight_kg
    from source
    cross join data_cut
)

select * from records_in_force
