{#- The required columns of one model or source, as one test: dbt's not_null is one node per
    column, and every node costs dbt and Dagster ~25 ms of bookkeeping whatever the data size
    (bench/results.md). Failing rows name the column, so nothing is lost by grouping them.

    Returns one row per NULL value found (so dbt's failure count is the number of NULLs, as
    with not_null), with the column it was found in. -#}
{% test columns_not_null(model, columns) %}
{%- for column in columns %}
select '{{ column }}' as column_name
from {{ model }}
where {{ column }} is null
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}
