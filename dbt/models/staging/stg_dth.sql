with

source as (
    {{ rows_in_force('dth') }}
),

records_up_to_cutoff as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."DTHDT" as death_date_text,
        source."DTHCAUS" as death_cause
    from source
    where source."DTHDT" is null or {{ partial_date_floor('source."DTHDT"') }} <= source.cutoff_date
)

select * from records_up_to_cutoff
