{#- adam.md, ADRS: response order, best first SCR > CR > VGPR > PR > MR > SD > PD > NE, coded
    1 (SCR) ... 7 (PD), 8 (NE). The order is the project var imwg_response_order
    (dbt_project.yml), the one place it is written down; these macros and Python's
    contract.RESPONSES derive from it. -#}
{% macro response_rank(column) -%}
    case {{ column }}
    {%- for category in var('imwg_response_order') %}
        when '{{ category }}' then {{ loop.index }}
    {%- endfor %}
    end
{%- endmacro %}

{#- The inverse of response_rank: the IMWG category of a rank 1..8. -#}
{% macro response_from_rank(column) -%}
    case {{ column }}
    {%- for category in var('imwg_response_order') %}
        when {{ loop.index }} then '{{ category }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- The rank of a category by name (a literal): response_rank_of('PD') is 7. -#}
{% macro response_rank_of(category) -%}
    {{ var('imwg_response_order').index(category) + 1 }}
{%- endmacro %}

{#- A date shifted by whole days, kept a DATE (DuckDB's date + interval is a TIMESTAMP). -#}
{% macro add_days(date_column, days) -%}
    cast({{ dbt.dateadd('day', days, date_column) }} as date)
{%- endmacro %}
