{%- set sort_by = 'USUBJID, AESPID' -%}
{{ config(sort_by=sort_by) }}
{#- adam.md, ADAE: one row per adverse event (key USUBJID, AESPID), ADaM names. -#}
with

adverse_events as (
    select * from {{ subject_ref('int_ae_worst_grade_flagged') }}
),

subjects as (
    select
        USUBJID,
        SAFFL,
        TRTSDT,
        TRTEDT
    from {{ subject_ref('adsl') }}
)

select
    '{{ var("study_id", "ISA-DEX-MM") }}' as STUDYID,
    adverse_events.usubjid as USUBJID,
    adverse_events.site_id as SITEID,
    cast(adverse_events.ae_sequence as integer) as AESPID,
    adverse_events.reported_term as AETERM,
    adverse_events.preferred_term as AEDECOD,
    adverse_events.system_organ_class as AEBODSYS,
    adverse_events.start_date_text as AESTDTC,
    adverse_events.start_date as ASTDT,
    adverse_events.start_date_flag as ASTDTF,
    adverse_events.end_date_text as AEENDTC,
    adverse_events.end_date as AENDT,
    adverse_events.end_date_flag as AENDTF,
    cast(adverse_events.toxicity_grade as integer) as AETOXGR,
    cast(adverse_events.toxicity_grade as integer) as ATOXGR,
    case adverse_events.is_serious when true then 'Y' when false then 'N' end as AESER,
    adverse_events.causality as AEREL,
    adverse_events.action_taken as AEACN,
    case adverse_events.is_second_primary_malignancy when true then 'Y' when false then 'N' end as AESPM,
    subjects.SAFFL as SAFFL,
    subjects.TRTSDT as TRTSDT,
    subjects.TRTEDT as TRTEDT,
    case when adverse_events.is_treatment_emergent then 'Y' end as TRTEMFL,
    adverse_events.analysis_phase as APHASE,
    case when adverse_events.is_worst_grade_in_preferred_term then 'Y' end as WGRPTFL,
    case when adverse_events.is_worst_grade_in_system_organ_class then 'Y' end as WGRSOCFL,
    case when adverse_events.is_worst_grade_in_subject then 'Y' end as WGRFL
from adverse_events
-- Every ADaM dataset describes subjects of ADSL: the AEs of a subject without an ADSL row
-- (consent record quarantined, consent after the cut-off) wait in raw until the site fixes it.
inner join subjects
    on adverse_events.usubjid = subjects.USUBJID
-- Sorted by the dataset's key, so every build (and its .xpt file) lists rows the same way.
order by {{ sort_by }}
