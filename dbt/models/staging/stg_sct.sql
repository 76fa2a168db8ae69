with

source as (
    {{ rows_in_force('sct') }}
),

records_in_force as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        case when source."MELDT" <= source.cutoff_date then source."MELDT" end as melphalan_date,
        case when source."ASCTDT" <= source.cutoff_date then source."ASCTDT" end as asct_date,
        source."CD34" as cd34_cells
    from source
)

select * from records_in_force
