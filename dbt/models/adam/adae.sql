{#- adam.md, ADAE: one row per adverse event (key USUBJID, AESPID), ADaM names; submission.md:
    AESEQ numbers the AEs in the key's order, TRTP / TRTA come from ADSL, ASTDY / AENDY count
    from TRTSDT without a day 0 (macro study_day). -#}
with

adverse_events as (
    select * from {{ subject_ref('int_ae_worst_grade_flagged') }}
),

subjects as (
    select
        USUBJID,
        SAFFL,
        TRT01P,
        TRT01A,
        TRTSDT,
        TRTEDT
    from {{ subject_ref('adsl') }}
)

select
    '{{ var("study_id", "ISA-DEX-MM") }}' as STUDYID,
    adverse_events.usubjid as USUBJID,
    adverse_events.site_id as SITEID,
    -- 1..n within the subject in the dataset's sort order (the key: USUBJID, AESPID)
    cast(row_number() over (
        partition by adverse_events.usubjid
        order by adverse_events.ae_sequence
    ) as integer) as AESEQ,
    cast(adverse_events.ae_sequence as integer) as AESPID,
    adverse_events.reported_term as AETERM,
    adverse_events.preferred_term as AEDECOD,
    adverse_events.system_organ_class as AEBODSYS,
    adverse_events.start_date_text as AESTDTC,
    adverse_events.start_date as ASTDT,
    adverse_events.start_date_flag as ASTDTF,
    cast({{ study_day('adverse_events.start_date', 'subjects.TRTSDT') }} as integer) as ASTDY,
    adverse_events.end_date_text as AEENDTC,
    adverse_events.end_date as AENDT,
    adverse_events.end_date_flag as AENDTF,
    cast({{ study_day('adverse_events.end_date', 'subjects.TRTSDT') }} as integer) as AENDY,
    cast(adverse_events.toxicity_grade as integer) as AETOXGR,
    cast(adverse_events.toxicity_grade as integer) as ATOXGR,
    case adverse_events.is_serious when true then 'Y' when false then 'N' end as AESER,
    adverse_events.causality as AEREL,
    adverse_events.action_taken as AEACN,
    case adverse_events.is_second_primary_malignancy when true then 'Y' when false then 'N' end as AESPM,
    subjects.SAFFL as SAFFL,
    -- single period: the planned / actual treatment of the period is the subject's (ADSL)
    subjects.TRT01P as TRTP,
    subjects.TRT01A as TRTA,
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
-- Sorted by the dataset's key (meta.keys in _adae.yml), so every build (and its .xpt file) lists
-- rows the same way.
order by {{ adam_order_by() }}
