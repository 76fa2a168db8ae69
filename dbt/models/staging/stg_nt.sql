with

source as (
    {{ rows_in_force('nt') }}
),

records_up_to_cutoff as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."NTLINE" as line_number,
        source."NTSTDT" as start_date,
        source."NTREG" as regimen,
        case when source."NTPDDT" <= source.cutoff_date then source."NTPDDT" end as progression_date
    from source
    where source."NTSTDT" is null or source."NTSTDT" <= source.cutoff_date
)

select * from records_up_to_cutoff
