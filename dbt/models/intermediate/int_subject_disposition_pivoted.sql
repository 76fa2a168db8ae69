{#- adam.md, ADSL: EOTDT / EOTSTT / DCTREAS from the ds END OF TREATMENT record and
    EOSDT / EOSSTT / DCSREAS from the ds END OF STUDY record, one row per subject.
    Status: ONGOING without a record, COMPLETED when DSDECOD = COMPLETED, else DISCONTINUED.
    The reason is kept only for a discontinuation (ADaMIG: null for completers). A subject outside
    ITT never entered the treatment phase: without an END OF TREATMENT record the treatment status
    is empty, not ONGOING (as admiral leaves EOSSTT empty for screen failures). -#}
with

disposition_events as (
    select * from {{ ref('stg_ds') }}
),

subjects as (
    select usubjid, is_itt from {{ subject_ref('int_subject_populations_flagged') }}
),

end_of_treatment as (
    -- ds key is (SUBJID, DSCAT): at most one record per subject and category.
    select
        usubjid,
        disposition_date,
        reason
    from disposition_events
    where category = 'END OF TREATMENT'
),

end_of_study as (
    select
        usubjid,
        disposition_date,
        reason
    from disposition_events
    where category = 'END OF STUDY'
),

disposition_status as (
    select
        subjects.usubjid,
        end_of_treatment.disposition_date as end_of_treatment_date,
        case
            when end_of_treatment.usubjid is null and subjects.is_itt then 'ONGOING'
            when end_of_treatment.usubjid is null then null
            when end_of_treatment.reason = 'COMPLETED' then 'COMPLETED'
            else 'DISCONTINUED'
        end as end_of_treatment_status,
        case
            when end_of_treatment.reason is distinct from 'COMPLETED' then end_of_treatment.reason
        end as treatment_discontinuation_reason,
        end_of_study.disposition_date as end_of_study_date,
        case
            when end_of_study.usubjid is null then 'ONGOING'
            when end_of_study.reason = 'COMPLETED' then 'COMPLETED'
            else 'DISCONTINUED'
        end as end_of_study_status,
        case
            when end_of_study.reason is distinct from 'COMPLETED' then end_of_study.reason
        end as study_discontinuation_reason
    from subjects
    left join end_of_treatment on subjects.usubjid = end_of_treatment.usubjid
    left join end_of_study on subjects.usubjid = end_of_study.usubjid
)

select * from disposition_status
