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
        {{ yn_to_boolean('source."RSCOMPL"') }} as is_complete,
        -- site_extracts.md, Contract versions: a 1.0 transfer has no RSPDTYP, and its PD reads
        -- as BIOCHEMICAL (response.md). Read here, not at ingestion: raw keeps what was sent.
        case
            when source.contract_version = '1.0' and source."RSORRES" = 'PD' then 'BIOCHEMICAL'
            else source."RSPDTYP"
        end as pd_basis
    from source
    where source."RSDT" is null or source."RSDT" <= source.cutoff_date
)

select * from records_up_to_cutoff
