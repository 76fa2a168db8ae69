{#- submission.md: every dataset's key (Define-XML KeySequence) is unique, and its sequence
    number counts 1..n within USUBJID in the dataset's sort order. The key is read from the
    dataset's meta.keys (macros/adam_keys.sql), the one place it is written, so this test, the
    table's sort order and define.xml agree by construction.

    Returns one row per duplicated key value (with its number of records), and, when `sequence`
    names the sequence variable (ASEQ, AESEQ), one row per record whose number is not its
    1-based position within USUBJID in key order. -#}
{% test adam_keys_unique(model, dataset, sequence=none) %}
{%- set keys = adam_keys_of(dataset) or ['USUBJID'] -%}
with

records as (
    select * from {{ model }}
),

duplicated_keys as (
    select
        'duplicated key ({{ keys | join(", ") }})' as failure,
        concat_ws('|', {% for key in keys %}cast({{ key }} as varchar){{ ", " if not loop.last }}{% endfor %}) as key_value,
        count(*) as n_records
    from records
    group by {{ keys | join(', ') }}
    having count(*) > 1
)
{%- if sequence %},

sequence_out_of_order as (
    select
        '{{ sequence }} is not 1..n within USUBJID in key order' as failure,
        concat_ws('|', {% for key in keys %}cast({{ key }} as varchar){{ ", " if not loop.last }}{% endfor %}) as key_value,
        1 as n_records
    from records
    qualify {{ sequence }} is distinct from row_number() over (
        partition by USUBJID order by {{ keys | join(', ') }}
    )
)
{%- endif %}

select * from duplicated_keys
{%- if sequence %}
union all
select * from sequence_out_of_order
{%- endif %}
{% endtest %}
