with

source as (
    {{ rows_in_force('rs') }}
),

records_up_to_cutoff as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."RSDT" as assessment_date,
        source."PHASE" as phase,
        source."RSORRES" as response,
        {{ yn_to_boolean('source."RSCOMPL"') }} as is_complete
    from source
    where source."RSDT" is null or source."RSDT" <= source.cutoff_date
)

select * from records_up_to_cutoff
