{{ config(post_hook="{{ restamp_adrs_windows_complete_at_cutoff() }}") }}
{#- adam.md, ADRS: responses and MRD, BDS, one row per subject x parameter x date. Derivations live
    in the intermediate models; this model stacks them, codes AVAL/AVALC and numbers the rows in
    the key's order (meta.keys: PARAMN, then ADT); TRTP / TRTA from ADSL, ADY from TRTSDT
    (submission.md). -#}
with

subjects as (
    select
        STUDYID as studyid,
        USUBJID as usubjid,
        ITTFL as ittfl,
        TRT01P as trt01p,
        TRT01A as trt01a,
        TRTSDT as trtsdt
    from {{ subject_ref('adsl') }}
),

assessments as (
    select
        usubjid,
        assessment_date,
        phase,
        response
    from {{ ref('stg_rs') }}
),

counted_assessments as (
    select
        usubjid,
        assessment_date
    from {{ subject_ref('int_responses_before_progression_filtered') }}
),

best_responses as (
    -- one row per ITT subject x best-response parameter: BORIND/BORASCT/BOR (adam.md),
    -- CBORIND/CBORASCT/CBOR (response.md section 1) and ALGCBOR (section 3), all coded alike
    {%- for model in [
        'int_best_response_by_window_derived',
        'int_best_confirmed_response_by_window_derived',
        'int_best_confirmed_computed_response_derived',
    ] %}
    select
        usubjid,
        paramcd,
        best_response,
        best_response_rank,
        best_response_date
    from {{ subject_ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

mrd_windows as (
    select * from {{ subject_ref('int_mrd_windows_evaluated') }}
),

confirmed_assessments as (
    select
        usubjid,
        adt,
        phase,
        covr
    from {{ subject_ref('int_response_confirmed') }}
),


computed_time_points as (
    select
        usubjid,
        adt,
        algresp,
        algcovr
    from {{ subject_ref('int_imwg_response_confirmed') }}
),


parameters as (
    select 1 as paramn, 'OVRLRESP' as paramcd, 'Overall Response by Investigator' as param, 'RESPONSE' as parcat1
    union all
    select 2, 'BORIND', 'Best Overall Response before Melphalan', 'RESPONSE'
    union all
    select 3, 'BORASCT', 'Best Overall Response before Maintenance', 'RESPONSE'
    union all
    select 4, 'BOR', 'Best Overall Response on Study', 'RESPONSE'
    union all
    select 5, 'MRD12', 'MRD Negative (NGF 1E-5) within 12 Months after ASCT', 'MRD'
    union all
    select 6, 'MRD24', 'MRD Negative (NGF 1E-5) 12-24 Months after ASCT', 'MRD'
    union all
    select 7, 'MRDSUS', 'Sustained MRD Negativity (NGF 1E-5) >= 12 Months', 'MRD'
    union all
    select 8, 'MRDANY', 'Any MRD Negative Result (NGF 1E-5) on Study', 'MRD'
    -- response.md section 1, after the existing parameters so their ASEQ stay as they were
    union all
    select 9, 'COVR', 'Confirmed Overall Response by Investigator', 'INVESTIGATOR'
    union all
    select 10, 'CBORIND', 'Best Confirmed Response before Melphalan', 'INVESTIGATOR'
    union all
    select 11, 'CBORASCT', 'Best Confirmed Response before Maintenance', 'INVESTIGATOR'
    union all
    select 12, 'CBOR', 'Best Confirmed Response on Study', 'INVESTIGATOR'
    union all
    select 13, 'ALGRESP', 'Overall Response Computed from Labs (IMWG)', 'COMPUTED'
    union all
    select 14, 'ALGCOVR', 'Confirmed Overall Response Computed from Labs', 'COMPUTED'
    union all
    select 15, 'ALGCBOR', 'Best Confirmed Response Computed from Labs', 'COMPUTED'
),

overall_response as (
    -- one row per rs record; ANL01FL marks the assessments the best-response parameters count
    -- (on or before the first PD)
    select
        assessments.usubjid,
        'OVRLRESP' as paramcd,
        assessments.response as avalc,
        {{ response_rank('assessments.response') }} as aval,
        assessments.assessment_date as adt,
        assessments.phase as aphase,
        case when counted_assessments.usubjid is not null then 'Y' end as anl01fl,
        cast(null as varchar) as wincmpfl
    from assessments
    left join counted_assessments
        on
            assessments.usubjid = counted_assessments.usubjid
            and assessments.assessment_date = counted_assessments.assessment_date
),

best_response as (
    select
        usubjid,
        paramcd,
        best_response as avalc,
        best_response_rank as aval,
        best_response_date as adt,
        cast(null as varchar) as aphase,
        'Y' as anl01fl,
        cast(null as varchar) as wincmpfl
    from best_responses
),

mrd_negativity as (
    select
        usubjid,
        paramcd,
        case when is_met then 'Y' else 'N' end as avalc,
        case when is_met then 1 else 0 end as aval,
        met_date as adt,
        cast(null as varchar) as aphase,
        'Y' as anl01fl,
        -- MRD12 and MRD24 only; empty on MRDSUS and MRDANY, which have no window
        case when is_window_complete then 'Y' end as wincmpfl
    from mrd_windows
),

confirmed_overall_response as (
    -- one row per dated rs record (ADT = RSDT, APHASE from rs). ANL01FL empty: which COVR rows
    -- the CBOR parameters count is their window rule (ICFDT, NACTDT, first COVR = PD), not a flag
    select
        usubjid,
        'COVR' as paramcd,
        covr as avalc,
        {{ response_rank('covr') }} as aval,
        adt,
        phase as aphase,
        cast(null as varchar) as anl01fl,
        cast(null as varchar) as wincmpfl
    from confirmed_assessments
),

computed_overall_response as (
    -- response.md section 3: one row per computed time point D (ADT = D), unconfirmed (ALGRESP)
    -- and confirmed (ALGCOVR); no APHASE (a lab sample is not an rs visit) and no ANL01FL
    select
        usubjid,
        'ALGRESP' as paramcd,
        algresp as avalc,
        {{ response_rank('algresp') }} as aval,
        adt,
        cast(null as varchar) as aphase,
        cast(null as varchar) as anl01fl,
        cast(null as varchar) as wincmpfl
    from computed_time_points
    union all
    select
        usubjid,
        'ALGCOVR' as paramcd,
        algcovr as avalc,
        {{ response_rank('algcovr') }} as aval,
        adt,
        cast(null as varchar) as aphase,
        cast(null as varchar) as anl01fl,
        cast(null as varchar) as wincmpfl
    from computed_time_points
),

stacked as (
    select * from overall_response
    union all
    select * from best_response
    union all
    select * from mrd_negativity
    union all
    select * from confirmed_overall_response
    union all
    select * from computed_overall_response
)

select
    subjects.studyid as STUDYID,
    stacked.usubjid as USUBJID,
    -- 1..n within the subject in the dataset's sort order, the key STUDYID, USUBJID, PARAMN, ADT
    -- (an undated best response last within its parameter, as `order by` puts nulls)
    cast(row_number() over (
        partition by stacked.usubjid
        order by parameters.paramn, stacked.adt nulls last
    ) as integer) as ASEQ,
    stacked.paramcd as PARAMCD,
    parameters.param as PARAM,
    parameters.paramn as PARAMN,
    parameters.parcat1 as PARCAT1,
    stacked.avalc as AVALC,
    cast(stacked.aval as integer) as AVAL,
    stacked.adt as ADT,
    cast({{ study_day('stacked.adt', 'subjects.trtsdt') }} as integer) as ADY,
    stacked.aphase as APHASE,
    stacked.anl01fl as ANL01FL,
    stacked.wincmpfl as WINCMPFL,
    subjects.ittfl as ITTFL,
    -- single period: the planned / actual treatment of the period is the subject's (ADSL)
    subjects.trt01p as TRTP,
    subjects.trt01a as TRTA
from stacked
-- an rs record of a subject ADSL does not know (no enr record) has no STUDYID/population: dropped
inner join subjects
    on stacked.usubjid = subjects.usubjid
inner join parameters
    on stacked.paramcd = parameters.paramcd
-- Sorted by the dataset's key (meta.keys in _adrs.yml), so every build (and its .xpt file) lists
-- rows the same way.
order by {{ adam_order_by() }}
