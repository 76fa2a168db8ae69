with

source as (
    {{ rows_in_force('im') }}
),

records_up_to_cutoff as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."IMDT" as imaging_date,
        source."IMMETH" as method,
        {{ yn_to_boolean('source."NEWLES"') }} as has_new_lesion,
        {{ yn_to_boolean('source."PLASMFL"') }} as has_plasmacytoma,
        source."PLSPD" as plasmacytoma_diameter_products
    from source
    where source."IMDT" is null or source."IMDT" <= source.cutoff_date
)

select * from records_up_to_cutoff
