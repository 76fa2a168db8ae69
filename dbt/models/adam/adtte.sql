{{ config(post_hook="{{ restamp_adtte_censored_at_cutoff() }}") }}
{#- adam.md, ADTTE: time to event, BDS, one row per subject x parameter. The int_tte_* models pick
    the event or censoring rule; this model applies the shared conventions: a censoring date
    before STARTDT is raised to STARTDT, AVAL = ADT - STARTDT + 1 days, CMPEVFL = Y on competing
    events (CNSR = 8); and submission.md's: ASEQ 1..n in the key's order (PARAMN), ADY of ADT
    from TRTSDT (macro study_day), TRTP / TRTA from ADSL. -#}
with

subjects as (
    select
        STUDYID as studyid,
        USUBJID as usubjid,
        TRT01P as trt01p,
        TRT01A as trt01a,
        TRTSDT as trtsdt
    from {{ subject_ref('adsl') }}
),

{%- set tte_models = [
    'int_tte_pfs_derived', 'int_tte_ttp_derived', 'int_tte_os_derived', 'int_tte_tnt_derived',
    'int_tte_pfs2_derived', 'int_tte_dor_derived', 'int_tte_time_to_response_derived',
    'int_tte_ttdisc_derived', 'int_tte_pfsalg_derived',
] %}

derived_parameters as (
    {%- for model in tte_models %}
    select * from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

parameters as (
    -- PARCAT1 tells the endpoints which month the protocol uses: SURVIVAL and COMPETING RISKS
    -- AVAL / 30.4375, TIME TO RESPONSE AVAL / 30 (adam.md, Months)
    select 1 as paramn, 'PFS' as paramcd, 'Progression-Free Survival (Days)' as param, 'SURVIVAL' as parcat1
    union all
    select 2, 'TTP', 'Time to Progression (Days)', 'SURVIVAL'
    union all
    select 3, 'OS', 'Overall Survival (Days)', 'SURVIVAL'
    union all
    select 4, 'TNT', 'Time to Next Treatment (Days)', 'SURVIVAL'
    union all
    select 5, 'PFS2', 'Progression-Free Survival 2 (Days)', 'SURVIVAL'
    union all
    select 6, 'DOR', 'Duration of Response (Days)', 'SURVIVAL'
    union all
    select 7, 'TTPR', 'Time to First Response PR or Better (Days)', 'TIME TO RESPONSE'
    union all
    select 8, 'TTVGPR', 'Time to First VGPR or Better (Days)', 'TIME TO RESPONSE'
    union all
    select 9, 'TTCR', 'Time to First CR or Better (Days)', 'TIME TO RESPONSE'
    union all
    select 10, 'TTSCR', 'Time to First sCR (Days)', 'TIME TO RESPONSE'
    union all
    select 11, 'TTDISC', 'Time to Discontinuation due to AE (Days)', 'COMPETING RISKS'
    union all
    select 12, 'PFSALG', 'Progression-Free Survival, Computed IMWG PD (Days)', 'SURVIVAL'
),

censoring_date_raised_to_start as (
    -- adam.md: "a censoring date before STARTDT is raised to STARTDT"; event dates are kept as
    -- recorded (an event before STARTDT is a data error that validation reports)
    select
        usubjid,
        paramcd,
        start_date,
        case
            when cnsr > 0 and event_or_censoring_date < start_date then start_date
            else event_or_censoring_date
        end as analysis_date,
        cnsr,
        event_description,
        censoring_date_description,
        source_domain,
        source_variable
    from derived_parameters
)

select
    subjects.studyid as STUDYID,
    censoring_date_raised_to_start.usubjid as USUBJID,
    -- 1..n within the subject in the dataset's sort order, the key STUDYID, USUBJID, PARAMN
    cast(row_number() over (
        partition by censoring_date_raised_to_start.usubjid
        order by parameters.paramn
    ) as integer) as ASEQ,
    censoring_date_raised_to_start.paramcd as PARAMCD,
    parameters.param as PARAM,
    parameters.paramn as PARAMN,
    parameters.parcat1 as PARCAT1,
    censoring_date_raised_to_start.start_date as STARTDT,
    censoring_date_raised_to_start.analysis_date as ADT,
    cast({{ study_day('censoring_date_raised_to_start.analysis_date', 'subjects.trtsdt') }} as integer) as ADY,
    cast({{ dbt.datediff('censoring_date_raised_to_start.start_date',
        'censoring_date_raised_to_start.analysis_date', 'day') }} + 1 as integer) as AVAL,
    'DAYS' as AVALU,
    cast(censoring_date_raised_to_start.cnsr as integer) as CNSR,
    censoring_date_raised_to_start.event_description as EVNTDESC,
    censoring_date_raised_to_start.censoring_date_description as CNSDTDSC,
    censoring_date_raised_to_start.source_domain as SRCDOM,
    censoring_date_raised_to_start.source_variable as SRCVAR,
    case when censoring_date_raised_to_start.cnsr = 8 then 'Y' end as CMPEVFL,
    -- single period: the planned / actual treatment of the period is the subject's (ADSL)
    subjects.trt01p as TRTP,
    subjects.trt01a as TRTA
from censoring_date_raised_to_start
inner join subjects
    on censoring_date_raised_to_start.usubjid = subjects.usubjid
inner join parameters
    on censoring_date_raised_to_start.paramcd = parameters.paramcd
-- Sorted by the dataset's key (meta.keys in _adtte.yml), so every build (and its .xpt file) lists
-- rows the same way.
order by {{ adam_order_by() }}
