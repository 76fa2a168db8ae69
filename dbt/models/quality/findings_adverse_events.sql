{#- An AE whose resolution is before its onset. Partial dates are compared at their widest
    (latest possible end against earliest possible start), so only a certain contradiction is
    queried. An AE whose AETERM, AEDECOD or AEBODSYS the transport file cannot hold as sent
    (SAS v5: ASCII, at most 200 bytes per value; lib/export/xpt.py transport_text writes it
    transliterated or cut, the warehouse keeps it whole): the site is asked for the term in
    ASCII within 200 characters. -#}
{%- set ae_text_columns = {'AETERM': 'reported_term', 'AEDECOD': 'preferred_term', 'AEBODSYS': 'system_organ_class'} %}
with

adverse_events as (
    select
        usubjid,
        site_id,
        subject_id,
        ae_sequence,
        preferred_term,
        start_date_text,
        end_date_text,
        {{ partial_date_floor('start_date_text') }} as start_earliest_date,
        {{ partial_date_ceiling('end_date_text') }} as end_latest_date
    from {{ ref('stg_ae') }}
    where start_date_text is not null
        and end_date_text is not null
),

ae_first_seen as (
    {{ record_first_seen('ae', {'AESPID': 'ae_sequence', 'AESTDT': 'start_date_text', 'AEENDT': 'end_date_text'}) }}
),

ae_end_before_start as (
    select
        adverse_events.usubjid,
        adverse_events.site_id,
        'ae' as form,
        'AE_END_BEFORE_START' as rule,
        'MAJOR' as severity,
        'AESPID ' || cast(adverse_events.ae_sequence as varchar) || ' ' || coalesce(adverse_events.preferred_term, '')
        || ': AEENDT ' || adverse_events.end_date_text || ' before AESTDT ' || adverse_events.start_date_text as detail,
        ae_first_seen.first_transfer_id as first_seen_transfer
    from adverse_events
    left join ae_first_seen
        on adverse_events.site_id = ae_first_seen.site_id
        and adverse_events.subject_id = ae_first_seen.subject_id
        and adverse_events.ae_sequence = ae_first_seen.ae_sequence
        and adverse_events.start_date_text = ae_first_seen.start_date_text
        and adverse_events.end_date_text = ae_first_seen.end_date_text
    where adverse_events.end_latest_date < adverse_events.start_earliest_date
),

ae_text_not_transportable as (
    -- not ASCII: more bytes than characters (UTF-8 writes every other character in 2 to 4)
    select
        usubjid,
        site_id,
        subject_id,
        ae_sequence,
        reported_term,
        preferred_term,
        system_organ_class,
        concat_ws(
            '; ',
            {%- for name, column in ae_text_columns.items() %}
            case
                when strlen({{ column }}) > length({{ column }})
                    then '{{ name }} ' || {{ column }} || ' is not ASCII: the transport file holds it transliterated'
                when strlen({{ column }}) > 200
                    then '{{ name }} is ' || cast(strlen({{ column }}) as varchar) || ' bytes: the transport file holds its first 200'
            end{{ ',' if not loop.last }}
            {%- endfor %}
        ) as problems
    from {{ ref('stg_ae') }}
    where
        {%- for column in ae_text_columns.values() %}
        strlen({{ column }}) > least(length({{ column }}), 200){{ ' or' if not loop.last }}
        {%- endfor %}
),

ae_text_first_seen as (
    {{ record_first_seen('ae', dict(AESPID='ae_sequence', **ae_text_columns), subjects='ae_text_not_transportable') }}
),

ae_text_not_transportable_found as (
    select
        ae_text_not_transportable.usubjid,
        ae_text_not_transportable.site_id,
        'ae' as form,
        'AE_TEXT_NOT_TRANSPORTABLE' as rule,
        'MAJOR' as severity,
        'AESPID ' || cast(ae_text_not_transportable.ae_sequence as varchar) || ': '
        || ae_text_not_transportable.problems as detail,
        ae_text_first_seen.first_transfer_id as first_seen_transfer
    from ae_text_not_transportable
    left join ae_text_first_seen
        on ae_text_not_transportable.site_id = ae_text_first_seen.site_id
        and ae_text_not_transportable.subject_id = ae_text_first_seen.subject_id
        and ae_text_not_transportable.ae_sequence = ae_text_first_seen.ae_sequence
        {%- for column in ae_text_columns.values() %}
        and ae_text_not_transportable.{{ column }} is not distinct from ae_text_first_seen.{{ column }}
        {%- endfor %}
)

select * from ae_end_before_start
union all
select * from ae_text_not_transportable_found
