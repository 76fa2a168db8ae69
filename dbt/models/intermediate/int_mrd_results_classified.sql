{#- site_extracts.md, mrd: "A result counts as MRD-negative at 10^-5 only when MRDMETH = NGF,
    MRDRES = NEGATIVE and MRDSENS <= 1E-5." One row per dated mrd record, classified. -#}
with

mrd_results as (
    select
        usubjid,
        sample_date,
        method,
        sensitivity,
        result
    from {{ ref('stg_mrd') }}
    -- an undated sample cannot be placed in any window
    where sample_date is not null
),

classified as (
    select
        usubjid,
        sample_date,
        method,
        sensitivity,
        result,
        -- a missing sensitivity or method never proves negativity at 10^-5
        coalesce(
            method = 'NGF' and result = 'NEGATIVE' and sensitivity <= 1e-5, false
        ) as is_negative_at_1e5,
        -- any POSITIVE breaks sustained negativity, whatever the sensitivity reached
        coalesce(result = 'POSITIVE', false) as is_positive
    from mrd_results
)

select * from classified
