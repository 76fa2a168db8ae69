with

source as (
    {{ rows_in_force('mrd') }}
),

records_up_to_cutoff as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."MRDDT" as sample_date,
        source."MRDMETH" as method,
        source."MRDSENS" as sensitivity,
        source."MRDRES" as result
    from source
    where source."MRDDT" is null or source."MRDDT" <= source.cutoff_date
)

select * from records_up_to_cutoff
