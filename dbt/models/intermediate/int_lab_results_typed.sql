{#- response.md section 2 (ADLB): the lb results typed by test. LBORRES is text in the contract
    (site_extracts.md: a number, or POS/NEG): the numeric tests get a DOUBLE, the immunofixation
    and clonality tests their upper-case POS/NEG. An unparseable numeric result is not
    quarantined at ingestion (LBORRES is text there), so it is kept with an empty result_value
    and is_result_unparseable: it is not a result for the baseline, the nadir or the response
    (an unreadable number cannot be compared), and the row stays visible in ADLB (AVALC keeps
    the text) for the data manager. Undated rows fit no time point and are dropped. -#}
with

lab_records as (
    select * from {{ ref('stg_lb') }}
),

dated_records as (
    select
        usubjid,
        sample_date,
        upper(trim(test_code)) as test_code,
        trim(result_text) as result_text
    from lab_records
    where sample_date is not null and test_code is not null
),

results_typed_by_test as (
    select
        usubjid,
        sample_date,
        test_code,
        result_text,
        {{ lab_numeric_value('test_code', 'result_text') }} as result_value,
        {{ lab_flag_value('test_code', 'result_text') }} as result_flag,
        test_code in {{ lab_numeric_tests() }} as is_numeric_test
    from dated_records
)

select
    usubjid,
    sample_date,
    test_code,
    result_text,
    result_value,
    result_flag,
    is_numeric_test,
    -- a result that is there but is neither a number (numeric tests) nor POS/NEG (the others)
    result_text is not null
    and (
        (is_numeric_test and result_value is null)
        or (not is_numeric_test and result_flag is null)
    ) as is_result_unparseable
from results_typed_by_test
