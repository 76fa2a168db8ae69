{%- set sort_by = 'USUBJID, EXTRT, APHASE' -%}
{{ config(sort_by=sort_by) }}
{#- adam.md, ADEX: one row per subject x drug x phase, plus per-drug totals with APHASE = ALL, ADaM names. -#}
with

exposure as (
    select * from {{ subject_ref('int_exposure_summarised') }}
),

subjects_in_adsl as (
    select USUBJID from {{ subject_ref('adsl') }}
)

select
    '{{ var("study_id", "ISA-DEX-MM") }}' as STUDYID,
    exposure.usubjid as USUBJID,
    exposure.treatment as EXTRT,
    exposure.phase as APHASE,
    exposure.dose_unit as EXDOSU,
    exposure.started_cycles as NCYCLE,
    exposure.planned_cumulative_dose as PCUMDOSE,
    exposure.actual_cumulative_dose as CUMDOSE,
    -- RDI = actual / planned cumulative dose, as a fraction; empty when nothing was planned.
    cast(exposure.actual_cumulative_dose / nullif(exposure.planned_cumulative_dose, 0) as double) as RDI,
    exposure.administrations_given as NADM,
    exposure.administrations_reduced as NRED,
    exposure.administrations_skipped as NSKIP,
    case when exposure.administrations_reduced > 0 then 'Y' end as REDFL,
    exposure.reduction_reasons as REDCAUS
from exposure
-- Every ADaM dataset describes subjects of ADSL: the doses of a subject without an ADSL row
-- (consent record quarantined, consent after the cut-off) wait in raw until the site fixes it.
inner join subjects_in_adsl
    on exposure.usubjid = subjects_in_adsl.USUBJID
-- Sorted by the dataset's key, so every build (and its .xpt file) lists rows the same way.
order by {{ sort_by }}
