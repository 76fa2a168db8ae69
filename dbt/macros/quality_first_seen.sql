{#- quality.findings FIRST_SEEN_TRANSFER. Transfers are cumulative snapshots, so a record first
    appears in one transfer and stays until corrected: for every record of raw.<form>, named by
    SITEID, SUBJID and `columns` (raw name -> alias: the record key plus the values a rule
    judges), the first LOADED transfer of its site that carried it (within as_of when set).
    `subjects`: optional CTE (site_id, subject_id) restricting the lookup to those subjects.
    `transfers_where`: optional condition on raw.transfers (alias transfers) a transfer must meet
    to count, e.g. its contract version for a rule only that version can break. In a
    build by subject only the scope's subjects: over every transfer it is as dear as a full
    build otherwise. -#}
{% macro record_first_seen(form, columns, subjects=none, transfers_where=none) -%}
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
    {%- if subjects %}
    inner join (select distinct site_id, subject_id from {{ subjects }}) as subjects_of_interest
        on raw_rows.SITEID = subjects_of_interest.site_id
        and raw_rows.SUBJID = subjects_of_interest.subject_id
    {%- endif %}
    where {{ is_loaded_transfer('transfers') }}
        and {{ in_build_scope('raw_rows.SUBJID') }}
    {%- if transfers_where %}
        and {{ transfers_where }}
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

{#- findings_dosing: the raw record behind an administration: same site, subject, drug, date, phase, cycle, day. -#}
{% macro same_administration(records, first_seen) -%}
        on {{ records }}.site_id = {{ first_seen }}.site_id
        and {{ records }}.subject_id = {{ first_seen }}.subject_id
        and {{ records }}.treatment = {{ first_seen }}.treatment
        and {{ records }}.administration_date = {{ first_seen }}.administration_date
        and {{ records }}.phase is not distinct from {{ first_seen }}.phase
        and {{ records }}.cycle is not distinct from {{ first_seen }}.cycle
        and {{ records }}.cycle_day is not distinct from {{ first_seen }}.cycle_day
{%- endmacro %}
