with

source as (
    {{ rows_in_force('lb') }}
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
    where source."LBDT" is null or source."LBDT" <= source.cutoff_date
)

select * from records_up_to_cutoff
