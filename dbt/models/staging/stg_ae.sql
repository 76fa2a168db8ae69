with

transfers_in_force as (
    select transfer_id from {{ ref('stg_transfers_in_force') }}
),

data_cut as (
    select cutoff_date from {{ ref('stg_data_cut') }}
),

source as (
    select raw_rows.*
    from {{ source('raw', 'ae') }} as raw_rows
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
        source."AESPID" as ae_sequence,
        source."AETERM" as reported_term,
        source."AEDECOD" as preferred_term,
        source."AEBODSYS" as system_organ_class,
        source."AESTDT" as start_date_text,
        case when {{ partial_date_floor('source."AEENDT"') }} <= data_cut.cutoff_date then source."AEENDT" end as end_date_text,
        source."AETOXGR" as toxicity_grade,
        {{ yn_to_boolean('source."AESER"') }} as is_serious,
        source."AEREL" as causality,
        source."AEACN" as action_taken,
        {{ yn_to_boolean('source."AESPM"') }} as is_second_primary_malignancy
    from source
    cross join data_cut
    where source."AESTDT" is null or {{ partial_date_floor('source."AESTDT"') }} <= data_cut.cutoff_date
)

select * from records_up_to_cutoff
