{#- response.md section 2 (ADLB): the derived free light chain parameters, from the KAPPA and
    LAMBDA of the same sample date. IFLC is the chain of the subject's LCTYPE (dx), UFLC the
    other one, DFLC = IFLC - UFLC; FLCR = KAPPA / LAMBDA. A subject without LCTYPE has FLCR
    only (which chain is involved is unknown); a LAMBDA of 0 gives no FLCR (no ratio). DFLC and
    FLCR are rounded to 10 decimals, so they are the decimal results of the sites' values. -#}
with

lab_results as (
    select * from {{ subject_ref('int_lab_results_typed') }}
),

diagnoses as (
    select
        usubjid,
        upper(light_chain_type) as light_chain_type
    from {{ ref('stg_dx') }}
),

same_day_light_chains as (
    select
        usubjid,
        sample_date,
        max(case when test_code = 'KAPPA' then result_value end) as kappa_value,
        max(case when test_code = 'LAMBDA' then result_value end) as lambda_value
    from lab_results
    where test_code in ('KAPPA', 'LAMBDA')
    group by usubjid, sample_date
),

involved_chain_by_lctype as (
    select
        same_day_light_chains.usubjid,
        same_day_light_chains.sample_date,
        same_day_light_chains.kappa_value,
        same_day_light_chains.lambda_value,
        case diagnoses.light_chain_type
            when 'KAPPA' then same_day_light_chains.kappa_value
            when 'LAMBDA' then same_day_light_chains.lambda_value
        end as involved,
        case diagnoses.light_chain_type
            when 'KAPPA' then same_day_light_chains.lambda_value
            when 'LAMBDA' then same_day_light_chains.kappa_value
        end as uninvolved
    from same_day_light_chains
    left join diagnoses on same_day_light_chains.usubjid = diagnoses.usubjid
    where same_day_light_chains.kappa_value is not null and same_day_light_chains.lambda_value is not null
),

derived_parameters as (
    select usubjid, sample_date, 'IFLC' as test_code, involved as result_value
    from involved_chain_by_lctype
    union all
    select usubjid, sample_date, 'UFLC', uninvolved
    from involved_chain_by_lctype
    union all
    -- rounded to 10 decimals: the decimal result (in binary floating point 151.2 - 51.2 is
    -- 99.99999999999999 and 67.6 / 260 is 0.25999999999999995, which missed IMWG's
    -- DFLC + 100 and FLCR 0.26 exactly on the threshold)
    select usubjid, sample_date, 'DFLC', round(involved - uninvolved, 10)
    from involved_chain_by_lctype
    union all
    select usubjid, sample_date, 'FLCR', round(kappa_value / nullif(lambda_value, 0), 10)
    from involved_chain_by_lctype
)

select
    usubjid,
    sample_date,
    test_code,
    result_value
from derived_parameters
where result_value is not null
