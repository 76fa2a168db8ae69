{#- SKELETON (lead): correct columns and types so downstream models compile; derivations are
    being completed in intermediate models. Replace every `null` below with its derivation. -#}
with

enrolment as (
    select * from {{ ref('stg_enr') }}
),

demographics as (
    select * from {{ ref('stg_dm') }}
),

data_cut as (
    select cutoff_date from {{ ref('stg_data_cut') }}
)

select
    '{{ var("study_id", "ISA-DEX-MM") }}' as STUDYID,
    enrolment.usubjid as USUBJID,
    enrolment.subject_id as SUBJID,
    enrolment.site_id as SITEID,
    cast(null as integer) as AGE,
    'YEARS' as AGEU,
    cast(null as varchar) as AGEGR1,
    demographics.sex as SEX,
    demographics.race as RACE,
    cast(null as varchar) as ISS,
    cast(null as varchar) as HRCYTO,
    cast(null as varchar) as MMTYPE,
    cast(null as varchar) as LCTYPE,
    cast(null as integer) as PRIORLN,
    enrolment.reinduction_regimen as REIND,
    enrolment.reinduction_response as REINDRSP,
    cast(null as date) as DIAGDT,
    cast(null as varchar) as DIAGDTF,
    enrolment.icf_date as ICFDT,
    enrolment.eligibility_date as ELIGDT,
    case when enrolment.is_enrolled then 'Y' end as ITTFL,
    cast(null as varchar) as SAFFL,
    cast(null as varchar) as RESPFL,
    cast(null as date) as TRTSDT,
    cast(null as date) as TRTEDT,
    cast(null as date) as MELDT,
    cast(null as date) as ASCTDT,
    cast(null as varchar) as ASCTFL,
    cast(null as date) as MNTSDT,
    cast(null as varchar) as MNTFL,
    cast(null as date) as EOTDT,
    cast(null as varchar) as EOTSTT,
    cast(null as varchar) as DCTREAS,
    cast(null as date) as EOSDT,
    cast(null as varchar) as EOSSTT,
    cast(null as varchar) as DCSREAS,
    cast(null as date) as DTHDT,
    cast(null as varchar) as DTHDTF,
    cast(null as varchar) as DTHCAUS,
    cast(null as varchar) as DTHFL,
    cast(null as date) as LSTALVDT,
    cast(null as date) as LSTASDT,
    cast(null as date) as PDDT,
    cast(null as date) as NT2SDT,
    cast(null as date) as PD2DT,
    cast(null as varchar) as PD2DTSRC,
    data_cut.cutoff_date as CUTOFFDT
from enrolment
left join demographics on enrolment.usubjid = demographics.usubjid
cross join data_cut
