{#- adam.md, ADEX: the causes of the dose reductions, one row per subject x drug x phase x cause,
    plus the drug's causes over all phases (phase ALL): ADEX's PARAMCD = REDCAUS rows. -#}
with

administrations as (
    select * from {{ subject_ref('int_administrations_compared_to_plan') }}
),

reductions as (
    -- A reduction is 0 < EXDOSE < planned (is_given), so its subject is a treated one: ADEX's
    -- population needs no further filter here.
    select usubjid, treatment, phase, reduction_reason
    from administrations
    where is_reduced
),

causes_by_phase as (
    -- a cause counts once per subject, drug and phase however often it recurs
    select distinct usubjid, treatment, phase, reduction_reason
    from reductions
),

causes_over_all_phases as (
    select distinct usubjid, treatment, 'ALL' as phase, reduction_reason
    from reductions
)

select * from causes_by_phase
union all
select * from causes_over_all_phases
