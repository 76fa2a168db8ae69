{#- An AE whose resolution is before its onset. Partial dates are compared at their widest
    (latest possible end against earliest possible start), so only a certain contradiction is
    queried. -#}
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
)

select * from ae_end_before_start
