{#- The coded columns of one model or source, as one test (see columns_not_null for why one
    node per model). `values` maps each column to its accepted codes; NULL is accepted, as with
    dbt's accepted_values, and the codes are quoted literals, as in dbt's default (DuckDB casts
    them to the column's type, so '1' matches an integer or double 1).

    Returns one row per column x value outside its list, with the number of records holding it
    (dbt's accepted_values counts the same way). -#}
{% test columns_accepted_values(model, values) %}
{%- for column, accepted in values.items() %}
select '{{ column }}' as column_name, {{ column }}::varchar as value, count(*) as n_records
from {{ model }}
where {{ column }} is not null
  and {{ column }} not in (
    {%- for v in accepted %}'{{ v | string | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor -%}
  )
group by {{ column }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}
