{#- Laboratory findings. LAB_RESULT_UNREADABLE (lb): a result that is there but is not what its
    test records (site_extracts.md: a number, or POS/NEG for SIFE, UIFE, BMCLON, SIFEADJ).
    LBORRES is text in the contract, so ingestion loads the row; ADLB keeps the text in AVALC and
    never uses it as a value (int_lab_results_typed), and the site is asked for the number here.
    MAJOR: a response computed without that sample may be wrong. -#}
with

lab_records as (
    select
        usubjid,
        site_id,
        subject_id,
        sample_date,
        upper(trim(test_code)) as test_code,
        trim(result_text) as result_text
    from {{ ref('stg_lb') }}
    where result_text is not null and trim(result_text) <> ''
),

lb_first_seen as (
    {{ record_first_seen('lb', {'LBDT': 'sample_date', 'LBTESTCD': 'test_code', 'LBORRES': 'result_text'}) }}
),

unreadable_results as (
    select *
    from lab_records
    where
        (test_code in {{ lab_numeric_tests() }} and {{ lab_numeric_value('test_code', 'result_text') }} is null)
        or (test_code in {{ lab_flag_tests() }} and {{ lab_flag_value('test_code', 'result_text') }} is null)
),

lab_result_unreadable as (
    select
        unreadable_results.usubjid,
        unreadable_results.site_id,
        'lb' as form,
        'LAB_RESULT_UNREADABLE' as rule,
        'MAJOR' as severity,
        'LBORRES ' || unreadable_results.result_text || ' for ' || unreadable_results.test_code
        || ' on LBDT ' || coalesce(cast(unreadable_results.sample_date as varchar), '(empty)')
        || case
            when unreadable_results.test_code in {{ lab_numeric_tests() }} then ': not a number'
            else ': not POS or NEG'
        end as detail,
        lb_first_seen.first_transfer_id as first_seen_transfer
    from unreadable_results
    left join lb_first_seen
        on unreadable_results.site_id = lb_first_seen.site_id
        and unreadable_results.subject_id = lb_first_seen.subject_id
        and unreadable_results.sample_date is not distinct from lb_first_seen.sample_date
        and unreadable_results.test_code = upper(trim(lb_first_seen.test_code))
        and unreadable_results.result_text = trim(lb_first_seen.result_text)
)

select * from lab_result_unreadable
