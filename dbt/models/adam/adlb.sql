{#- response.md section 2, ADLB: the IMWG laboratory parameters, BDS, one row per subject x
    parameter x sample date. Derivations live in int_lab_results_typed (typing),
    int_lab_flc_derived (IFLC, UFLC, DFLC, FLCR) and int_lab_baseline_flagged (ABLFL, BASE,
    CHG, PCHG, NADIR); this model names the parameters, codes the flags and numbers the rows in
    the key's order (meta.keys: PARAMN, then ADT); TRTP / TRTA from ADSL, ADY from TRTSDT
    (submission.md). -#}
with

subjects as (
    select
        STUDYID as studyid,
        USUBJID as usubjid,
        TRTSDT as trtsdt,
        ITTFL as ittfl,
        TRT01P as trt01p,
        TRT01A as trt01a
    from {{ subject_ref('adsl') }}
),

lab_parameters as (
    select * from {{ subject_ref('int_lab_baseline_flagged') }}
),

parameters as (
    -- response.md section 2: "units as in the contract (g/dL, mg/24h, mg/L, mg/L, %)"; the
    -- derived chains in mg/L, the ratio and the POS / NEG tests without a unit
    select 1 as paramn, 'SMPROT' as paramcd, 'Serum M-protein (g/dL)' as param, 'g/dL' as avalu
    union all
    select 2, 'UMPROT', 'Urine M-protein (mg/24h)', 'mg/24h'
    union all
    select 3, 'SIFE', 'Serum Immunofixation', null
    union all
    select 4, 'SIFEADJ', 'Serum Immunofixation, Adjudicated', null
    union all
    select 5, 'UIFE', 'Urine Immunofixation', null
    union all
    select 6, 'KAPPA', 'Serum Free Kappa Light Chain (mg/L)', 'mg/L'
    union all
    select 7, 'LAMBDA', 'Serum Free Lambda Light Chain (mg/L)', 'mg/L'
    union all
    select 8, 'IFLC', 'Involved Free Light Chain (mg/L)', 'mg/L'
    union all
    select 9, 'UFLC', 'Uninvolved Free Light Chain (mg/L)', 'mg/L'
    union all
    select 10, 'DFLC', 'Difference Involved - Uninvolved FLC (mg/L)', 'mg/L'
    union all
    select 11, 'FLCR', 'Free Light Chain Ratio Kappa/Lambda', null
    union all
    select 12, 'BMPC', 'Bone Marrow Plasma Cells (%)', '%'
    union all
    select 13, 'BMCLON', 'Clonal Plasma Cells in Bone Marrow', null
),

study_day_from_first_dose as (
    -- ADaMIG study day: ADT - TRTSDT + 1 on or after the first dose, ADT - TRTSDT before it (no day 0)
    select
        lab_parameters.*,
        {{ study_day('lab_parameters.sample_date', 'subjects.trtsdt') }} as ady
    from lab_parameters
    inner join subjects on lab_parameters.usubjid = subjects.usubjid
)

select
    subjects.studyid as STUDYID,
    study_day_from_first_dose.usubjid as USUBJID,
    -- 1..n within the subject in the dataset's sort order, the key STUDYID, USUBJID, PARAMN, ADT
    cast(row_number() over (
        partition by study_day_from_first_dose.usubjid
        order by parameters.paramn, study_day_from_first_dose.sample_date
    ) as integer) as ASEQ,
    parameters.paramcd as PARAMCD,
    parameters.param as PARAM,
    parameters.paramn as PARAMN,
    'IMWG' as PARCAT1,
    study_day_from_first_dose.result_value as AVAL,
    -- POS/NEG for the immunofixation and clonality tests; an unparseable result keeps its text
    coalesce(
        study_day_from_first_dose.result_flag,
        case when study_day_from_first_dose.is_result_unparseable then study_day_from_first_dose.result_text end
    ) as AVALC,
    -- the unit of AVAL, on a row with one
    case when study_day_from_first_dose.result_value is not null then parameters.avalu end as AVALU,
    study_day_from_first_dose.sample_date as ADT,
    cast(study_day_from_first_dose.ady as integer) as ADY,
    case when study_day_from_first_dose.is_baseline then 'Y' end as ABLFL,
    study_day_from_first_dose.baseline_value as BASE,
    study_day_from_first_dose.change_from_baseline as CHG,
    study_day_from_first_dose.percent_change_from_baseline as PCHG,
    study_day_from_first_dose.nadir_value as NADIR,
    subjects.ittfl as ITTFL,
    -- single period: the planned / actual treatment of the period is the subject's (ADSL)
    subjects.trt01p as TRTP,
    subjects.trt01a as TRTA
from study_day_from_first_dose
-- an lb record of a subject ADSL does not know (no enr record) has no STUDYID/population: dropped
inner join subjects
    on study_day_from_first_dose.usubjid = subjects.usubjid
-- a test code outside the contract's list is quarantined at ingestion; the join is the guard
inner join parameters
    on study_day_from_first_dose.test_code = parameters.paramcd
-- Sorted by the dataset's key (meta.keys in _adlb.yml), so every build (and its .xpt file) lists
-- rows the same way.
order by {{ adam_order_by() }}
