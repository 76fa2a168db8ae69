with

source as (
    {{ rows_in_force('dm') }}
),

records_in_force as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."BRTHYR" as birth_year,
        source."SEX" as sex,
        source."RACE" as race,
        source."HEIGHT" as height_cm,
        source."WEIGHT" as weight_kg
    from source
)

select * from records_in_force
