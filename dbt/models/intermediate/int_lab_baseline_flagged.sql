{#- response.md section 2 (ADLB): every lb parameter and derived FLC parameter per subject x
    sample date, with the baseline, the change from it and the nadir.
    Baseline: per parameter, the latest result dated on or before REINDSDT (enr, contract 1.1),
    the disease at relapse before the re-induction; no REINDSDT (contract 1.0) means no baseline,
    so BASE, CHG, PCHG and NADIR stay empty. A result counts when it is one: a number for the
    numeric parameters, POS/NEG for the others (an unparseable one is skipped, the previous
    result is the baseline).
    NADIR: "the lowest AVAL of the parameter among the baseline and every earlier sample"
    (running minimum, this sample excluded). Decision: only the baseline and the samples after
    it count; a sample before the baseline is the disease before relapse, which a progression
    after re-induction is not measured against (IMWG measures progression from the lowest value
    since treatment for this relapse started). So NADIR is empty on and before the baseline row
    and on every row of a subject without a baseline. -#}
with

lab_results as (
    select * from {{ subject_ref('int_lab_results_typed') }}
),

flc_results as (
    select * from {{ subject_ref('int_lab_flc_derived') }}
),

enrolment as (
    select
        usubjid,
        reinduction_start_date
    from {{ ref('stg_enr') }}
),

parameters_stacked as (
    select
        usubjid,
        sample_date,
        test_code,
        result_text,
        result_value,
        result_flag,
        is_result_unparseable
    from lab_results
    union all
    select
        usubjid,
        sample_date,
        test_code,
        cast(null as varchar) as result_text,
        result_value,
        cast(null as varchar) as result_flag,
        false as is_result_unparseable
    from flc_results
),

latest_result_on_or_before_reinduction as (
    select
        parameters_stacked.usubjid,
        parameters_stacked.test_code,
        max(parameters_stacked.sample_date) as baseline_date
    from parameters_stacked
    inner join enrolment on parameters_stacked.usubjid = enrolment.usubjid
    where
        parameters_stacked.sample_date <= enrolment.reinduction_start_date
        and (parameters_stacked.result_value is not null or parameters_stacked.result_flag is not null)
    group by parameters_stacked.usubjid, parameters_stacked.test_code
),

baseline_carried as (
    select
        parameters_stacked.*,
        latest_result_on_or_before_reinduction.baseline_date,
        parameters_stacked.sample_date = latest_result_on_or_before_reinduction.baseline_date as is_baseline,
        max(
            case
                when parameters_stacked.sample_date = latest_result_on_or_before_reinduction.baseline_date
                    then parameters_stacked.result_value
            end
        ) over (partition by parameters_stacked.usubjid, parameters_stacked.test_code) as baseline_value
    from parameters_stacked
    left join latest_result_on_or_before_reinduction
        on
            parameters_stacked.usubjid = latest_result_on_or_before_reinduction.usubjid
            and parameters_stacked.test_code = latest_result_on_or_before_reinduction.test_code
),

running_minimum_since_baseline as (
    select
        *,
        min(case when sample_date >= baseline_date then result_value end) over (
            partition by usubjid, test_code
            order by sample_date
            rows between unbounded preceding and 1 preceding
        ) as nadir_value
    from baseline_carried
)

select
    usubjid,
    sample_date,
    test_code,
    result_text,
    result_value,
    result_flag,
    is_result_unparseable,
    baseline_date,
    coalesce(is_baseline, false) as is_baseline,
    baseline_value,
    result_value - baseline_value as change_from_baseline,
    -- response.md: PCHG empty when BASE is 0 or missing
    100 * (result_value - baseline_value) / nullif(baseline_value, 0) as percent_change_from_baseline,
    -- the running minimum is only a nadir from the baseline row on (decision above)
    case when sample_date > baseline_date then nadir_value end as nadir_value
from running_minimum_since_baseline
