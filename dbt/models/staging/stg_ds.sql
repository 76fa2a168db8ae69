with

source as (
    {{ rows_in_force('ds') }}
),

records_up_to_cutoff as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."DSCAT" as category,
        source."DSDT" as disposition_date,
        source."DSDECOD" as reason
    from source
    where source."DSDT" is null or source."DSDT" <= source.cutoff_date
)

select * from records_up_to_cutoff
