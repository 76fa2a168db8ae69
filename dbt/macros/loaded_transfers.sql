{#- The transfers an analysis may use (adam.md, Data cut-off): LOADED, and extracted at or before
    as_of when it is set. `transfers`: the alias of a raw.transfers relation. One definition for
    stg_transfers_in_force (the newest of them per site) and the quality findings' first-seen
    lookups (the earliest carrying a record). -#}
{% macro is_loaded_transfer(transfers) -%}
    {{ transfers }}.STATUS = 'LOADED'
    {%- if var('as_of') %}
        and {{ transfers }}.EXTRACT_DATETIME <= cast('{{ var("as_of") }}' as timestamp)
    {%- endif %}
{%- endmacro %}
