with

source as (
    {{ rows_in_force('fu') }}
),

records_up_to_cutoff as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."FUDT" as contact_date,
        source."FUSTAT" as vital_status
    from source
    where source."FUDT" is null or source."FUDT" <= source.cutoff_date
)

select * from records_up_to_cutoff
