with

source as (
    {{ rows_in_force('ae') }}
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
        case when {{ partial_date_floor('source."AEENDT"') }} <= source.cutoff_date then source."AEENDT" end as end_date_text,
        source."AETOXGR" as toxicity_grade,
        {{ yn_to_boolean('source."AESER"') }} as is_serious,
        source."AEREL" as causality,
        source."AEACN" as action_taken,
        {{ yn_to_boolean('source."AESPM"') }} as is_second_primary_malignancy
    from source
    where source."AESTDT" is null or {{ partial_date_floor('source."AESTDT"') }} <= source.cutoff_date
)

select * from records_up_to_cutoff
