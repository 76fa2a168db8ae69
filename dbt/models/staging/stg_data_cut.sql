{#- adam.md, Data cut-off: CUTOFFDT is the run's cut-off, by default the date of the newest
    extract_datetime in force. One row. -#}
with

transfers_in_force as (
    select * from {{ ref('stg_transfers_in_force') }}
),

newest_extract as (
    select
        max(extract_datetime) as newest_extract_datetime,
        count(*) as transfers_in_force
    from transfers_in_force
)

select
    {%- if var('cutoff') %}
    cast('{{ var("cutoff") }}' as date) as cutoff_date,
    {%- else %}
    cast(newest_extract_datetime as date) as cutoff_date,
    {%- endif %}
    newest_extract_datetime,
    transfers_in_force,
    {% if var('as_of') %}cast('{{ var("as_of") }}' as timestamp){% else %}cast(null as timestamp){% endif %} as as_of
from newest_extract
