{#- submission.md: every dataset's key (Define-XML KeySequence) is unique, and its sequence
    number counts 1..n within USUBJID in the dataset's sort order. The key is read from the
    dataset's meta.keys (macros/adam_keys.sql), the one place it is written, so this test, the
    table's sort order and define.xml agree by construction.

    Returns one row per duplicated key value (with its number of records), and, when `sequence`
    names the sequence variable (ASEQ, AESEQ), one row per record whose number is not its
    1-based position within USUBJID in key order.

    With a sequence variable, both rules read one ordering of the rows (USUBJID, then the key):
    the key holds USUBJID, so rows sharing a key are neighbours there, and a row whose every key
    variable is that of the row before it (NULL matching NULL, as `group by` groups them)
    repeats a key. One sort then serves both rules, where a `group by` over every row came on
    top of the window (ADLB, ADRS, ADEX at 100,000 subjects: 35 s for the two). A sequence
    numbers a subject's records, so a dataset with one has USUBJID in its key (ADaMIG); one
    without fails to compile. Without a sequence (ADSL), a `group by` finds repeated keys. -#}
{% test adam_keys_unique(model, dataset, sequence=none) %}
{%- set keys = adam_keys_of(dataset) or ['USUBJID'] -%}
{%- if sequence and 'USUBJID' not in keys -%}
    {{ exceptions.raise_compiler_error(dataset ~ ': ' ~ sequence ~ ' numbers records within USUBJID, but its key (' ~ keys | join(', ') ~ ') has no USUBJID') }}
{%- endif -%}
{%- set key_value -%}
    concat_ws('|', {% for key in keys %}cast({{ key }} as varchar){{ ", " if not loop.last }}{% endfor %})
{%- endset -%}
with

records as (
    select * from {{ model }}
),

{%- if sequence %}

in_key_order as (
    select
        {{ keys | join(', ') }},
        {{ sequence }},
        row_number() over by_subject as position,
        row_number() over by_subject > 1
        {%- for key in keys if key != 'USUBJID' %}
            and {{ key }} is not distinct from lag({{ key }}) over by_subject
        {%- endfor %} as repeats_the_key_before
    from records
    window by_subject as (partition by USUBJID order by {{ keys | join(', ') }})
),

duplicated_keys as (
    select
        'duplicated key ({{ keys | join(", ") }})' as failure,
        {{ key_value }} as key_value,
        count(*) + 1 as n_records
    from in_key_order
    where repeats_the_key_before
    group by {{ keys | join(', ') }}
),

sequence_out_of_order as (
    select
        '{{ sequence }} is not 1..n within USUBJID in key order' as failure,
        {{ key_value }} as key_value,
        1 as n_records
    from in_key_order
    where {{ sequence }} is distinct from position
)

{%- else %}

duplicated_keys as (
    select
        'duplicated key ({{ keys | join(", ") }})' as failure,
        {{ key_value }} as key_value,
        count(*) as n_records
    from records
    group by {{ keys | join(', ') }}
    having count(*) > 1
)
{%- endif %}

select * from duplicated_keys
{%- if sequence %}
union all
select * from sequence_out_of_order
{%- endif %}
{% endtest %}
