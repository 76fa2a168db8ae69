with

source as (
    {{ rows_in_force('enr') }}
),

records_up_to_cutoff as (
    select
        source.TRANSFER_ID as transfer_id,
        source.ROWNUM as source_row_number,
        source.SITEID as site_id,
        source.SUBJID as subject_id,
        '{{ var("study_id", "ISA-DEX-MM") }}-' || source.SUBJID as usubjid,
        source."ICFDT" as icf_date,
        source."ELIGDT" as eligibility_date,
        {{ yn_to_boolean('source."ENRLFL"') }} as is_enrolled,
        source."REIND" as reinduction_regimen,
        case
            when source."REINDSDT" <= source.cutoff_date then source."REINDSDT"
        end as reinduction_start_date,
        source."REINDRSP" as reinduction_response,
        {{ yn_to_boolean('source."MOBFL"') }} as is_mobilised
    from source
    where source."ICFDT" is null or source."ICFDT" <= source.cutoff_date
)

select * from records_up_to_cutoff
