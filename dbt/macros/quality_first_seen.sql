{#- quality.findings FIRST_SEEN_TRANSFER. Transfers are cumulative snapshots, so a record first
    appears in one transfer and stays until corrected: for every record of raw.<form>, named by
    SITEID, SUBJID and `columns` (raw name -> alias: the record key plus the values a rule
    judges), the first LOADED transfer of its site that carried it (within as_of when set). -#}
{% macro record_first_seen(form, columns) -%}
    select
        raw_rows.SITEID as site_id,
        raw_rows.SUBJID as subject_id,
        {%- for raw_name, alias in columns.items() %}
        raw_rows."{{ raw_name }}" as {{ alias }},
        {%- endfor %}
        arg_min(transfers.TRANSFER_ID, transfers.EXTRACT_DATETIME) as first_transfer_id,
        min(transfers.EXTRACT_DATETIME) as first_extract_datetime
    from {{ source('raw', form) }} as raw_rows
    inner join {{ source('raw', 'transfers') }} as transfers
        on raw_rows.TRANSFER_ID = transfers.TRANSFER_ID
    where transfers.STATUS = 'LOADED'
    {%- if var('as_of') %}
        and transfers.EXTRACT_DATETIME <= cast('{{ var("as_of") }}' as timestamp)
    {%- endif %}
    group by all
{%- endmacro %}

{#- A finding built from two records exists from the later of their first transfers. -#}
{% macro later_transfer(first, second) -%}
    case
        when {{ second }}.first_extract_datetime is null
            or {{ first }}.first_extract_datetime >= {{ second }}.first_extract_datetime
            then {{ first }}.first_transfer_id
        else {{ second }}.first_transfer_id
    end
{%- endmacro %}
