{{ config(post_hook="{{ restamp_mrd_windows_complete_at_cutoff() }}") }}
{#- adam.md, ADRS MRD12, MRD24, MRDSUS, MRDANY. One row per ITT subject x parameter: whether the
    rule is met and the date of the NGF 10^-5 negative result that met it (empty when not met);
    for MRD12 and MRD24 also whether the window is complete at the cut-off (WINCMPFL). Only
    results on study count, dated on or after ICFDT ("any negative result on study"): a sample
    dated before consent (a finding, MRD_BEFORE_CONSENT) is none of the study's, neither a
    negative nor a positive that breaks sustained negativity. -#}
with

itt_subjects as (
    select
        usubjid,
        icf_date,
        asct_date,
        end_of_study_date,
        death_date,
        cutoff_date
    from {{ subject_ref('int_subjects_derived') }}
    where is_itt
),

on_study_results as (
    select
        results.usubjid,
        results.sample_date,
        results.is_negative_at_1e5,
        results.is_positive
    from {{ subject_ref('int_mrd_results_classified') }} as results
    inner join itt_subjects
        on results.usubjid = itt_subjects.usubjid
    where results.sample_date >= itt_subjects.icf_date
),

negatives as (
    select
        usubjid,
        sample_date
    from on_study_results
    where is_negative_at_1e5
),

positives as (
    select
        usubjid,
        sample_date
    from on_study_results
    where is_positive
),

negative_within_12_months_of_asct as (
    -- MRD12 (a): a negative dated in (ASCTDT, ASCTDT + 365]; the first one is the ADT
    select
        itt_subjects.usubjid,
        min(negatives.sample_date) as met_date
    from itt_subjects
    inner join negatives
        on itt_subjects.usubjid = negatives.usubjid
    where
        negatives.sample_date > itt_subjects.asct_date
        and negatives.sample_date <= {{ add_days('itt_subjects.asct_date', 365) }}
    group by itt_subjects.usubjid
),

early_leavers as (
    -- MRD12 (b): left the study (EOSDT present, any reason) before ASCTDT + 365, or without ASCT
    select
        usubjid,
        end_of_study_date
    from itt_subjects
    where
        end_of_study_date is not null
        and (asct_date is null or end_of_study_date < {{ add_days('asct_date', 365) }})
),

negative_before_early_leaving as (
    -- MRD12 (b): any negative on study up to the day the subject left; the first one is the ADT
    select
        early_leavers.usubjid,
        min(negatives.sample_date) as met_date
    from early_leavers
    inner join negatives
        on early_leavers.usubjid = negatives.usubjid
    where negatives.sample_date <= early_leavers.end_of_study_date
    group by early_leavers.usubjid
),

negative_in_second_year_after_asct as (
    -- MRD24: a negative dated in (ASCTDT + 365, ASCTDT + 730]
    select
        itt_subjects.usubjid,
        min(negatives.sample_date) as met_date
    from itt_subjects
    inner join negatives
        on itt_subjects.usubjid = negatives.usubjid
    where
        negatives.sample_date > {{ add_days('itt_subjects.asct_date', 365) }}
        and negatives.sample_date <= {{ add_days('itt_subjects.asct_date', 730) }}
    group by itt_subjects.usubjid
),

negative_pairs_a_year_apart as (
    select
        first_negative.usubjid,
        first_negative.sample_date as first_date,
        second_negative.sample_date as second_date
    from negatives as first_negative
    inner join negatives as second_negative
        on
            first_negative.usubjid = second_negative.usubjid
            and {{ dbt.datediff('first_negative.sample_date', 'second_negative.sample_date', 'day') }} >= 365
),

positives_between_pair as (
    select
        negative_pairs_a_year_apart.usubjid,
        negative_pairs_a_year_apart.first_date,
        negative_pairs_a_year_apart.second_date,
        count(positives.sample_date) as positive_count
    from negative_pairs_a_year_apart
    left join positives
        on
            negative_pairs_a_year_apart.usubjid = positives.usubjid
            and positives.sample_date > negative_pairs_a_year_apart.first_date
            and positives.sample_date < negative_pairs_a_year_apart.second_date
    group by
        negative_pairs_a_year_apart.usubjid,
        negative_pairs_a_year_apart.first_date,
        negative_pairs_a_year_apart.second_date
),

sustained_negativity as (
    -- MRDSUS: two negatives >= 365 days apart with no positive between; ADT = the second of the
    -- pair, and of all such pairs the one confirmed first
    select
        usubjid,
        min(second_date) as met_date
    from positives_between_pair
    where positive_count = 0
    group by usubjid
),

any_negative as (
    -- MRDANY: any negative on study; the first one is the ADT
    select
        usubjid,
        min(sample_date) as met_date
    from negatives
    group by usubjid
),

mrd12 as (
    -- (a) decides the date when both branches apply: it is the protocol's primary definition
    select
        itt_subjects.usubjid,
        'MRD12' as paramcd,
        coalesce(
            negative_within_12_months_of_asct.met_date, negative_before_early_leaving.met_date
        ) as met_date,
        case
            when negative_within_12_months_of_asct.met_date is not null then 'A'
            when negative_before_early_leaving.met_date is not null then 'B'
        end as met_by_branch
    from itt_subjects
    left join negative_within_12_months_of_asct
        on itt_subjects.usubjid = negative_within_12_months_of_asct.usubjid
    left join negative_before_early_leaving
        on itt_subjects.usubjid = negative_before_early_leaving.usubjid
),

mrd24 as (
    select
        itt_subjects.usubjid,
        'MRD24' as paramcd,
        negative_in_second_year_after_asct.met_date,
        cast(null as varchar) as met_by_branch
    from itt_subjects
    left join negative_in_second_year_after_asct
        on itt_subjects.usubjid = negative_in_second_year_after_asct.usubjid
),

mrdsus as (
    select
        itt_subjects.usubjid,
        'MRDSUS' as paramcd,
        sustained_negativity.met_date,
        cast(null as varchar) as met_by_branch
    from itt_subjects
    left join sustained_negativity
        on itt_subjects.usubjid = sustained_negativity.usubjid
),

mrdany as (
    select
        itt_subjects.usubjid,
        'MRDANY' as paramcd,
        any_negative.met_date,
        cast(null as varchar) as met_by_branch
    from itt_subjects
    left join any_negative
        on itt_subjects.usubjid = any_negative.usubjid
),

evaluated as (
    select * from mrd12
    union all
    select * from mrd24
    union all
    select * from mrdsus
    union all
    select * from mrdany
),

window_ends as (
    -- adam.md WINCMPFL: the end of the MRD12 / MRD24 window; none without ASCT
    select
        usubjid,
        'MRD12' as paramcd,
        {{ add_days('asct_date', 365) }} as window_end_date
    from itt_subjects
    union all
    select
        usubjid,
        'MRD24' as paramcd,
        {{ add_days('asct_date', 730) }} as window_end_date
    from itt_subjects
),

window_complete_at_cutoff as (
    -- adam.md WINCMPFL: complete when the rule is met, the window ended on or before the
    -- cut-off, or the subject left the study or died before its end; without ASCT the window
    -- never opens, so complete once the subject left or died, open while still on study
    select
        evaluated.usubjid,
        evaluated.paramcd,
        window_ends.window_end_date,
        coalesce(
            evaluated.met_date is not null
            or window_ends.window_end_date <= itt_subjects.cutoff_date
            or itt_subjects.end_of_study_date < window_ends.window_end_date
            or itt_subjects.death_date < window_ends.window_end_date
            or (
                window_ends.window_end_date is null
                and (itt_subjects.end_of_study_date is not null or itt_subjects.death_date is not null)
            ),
            false
        ) as is_window_complete
    from evaluated
    inner join window_ends
        on
            evaluated.usubjid = window_ends.usubjid
            and evaluated.paramcd = window_ends.paramcd
    inner join itt_subjects
        on evaluated.usubjid = itt_subjects.usubjid
)

select
    evaluated.usubjid,
    evaluated.paramcd,
    evaluated.met_date is not null as is_met,
    evaluated.met_date,
    evaluated.met_by_branch,
    window_complete_at_cutoff.window_end_date,
    window_complete_at_cutoff.is_window_complete
from evaluated
-- MRDSUS and MRDANY have no window: both columns empty
left join window_complete_at_cutoff
    on
        evaluated.usubjid = window_complete_at_cutoff.usubjid
        and evaluated.paramcd = window_complete_at_cutoff.paramcd
