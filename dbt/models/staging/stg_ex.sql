with

source as (
    {{ rows_in_force('ex') }}
),

records_up_to_cutoff as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."EXTRT" as treatment,
        source."PHASE" as phase,
        source."CYCLE" as cycle,
        source."DAY" as cycle_day,
        source."EXSTDT" as administration_date,
        source."EXDOSE" as dose,
        source."EXDOSU" as dose_unit,
        source."EXADJ" as adjustment_reason
    from source
    where source."EXSTDT" is null or source."EXSTDT" <= source.cutoff_date
)

select * from records_up_to_cutoff
