{#- adam.md, ADRS: response order, best first SCR > CR > VGPR > PR > MR > SD > PD > NE, coded
    1 (SCR) ... 7 (PD), 8 (NE). The one place the order is written down. -#}
{% macro response_rank(column) -%}
    case {{ column }}
        when 'SCR' then 1
        when 'CR' then 2
        when 'VGPR' then 3
        when 'PR' then 4
        when 'MR' then 5
        when 'SD' then 6
        when 'PD' then 7
        when 'NE' then 8
    end
{%- endmacro %}

{#- The inverse of response_rank: the IMWG category of a rank 1..8. -#}
{% macro response_from_rank(column) -%}
    case {{ column }}
        when 1 then 'SCR'
        when 2 then 'CR'
        when 3 then 'VGPR'
        when 4 then 'PR'
        when 5 then 'MR'
        when 6 then 'SD'
        when 7 then 'PD'
        when 8 then 'NE'
    end
{%- endmacro %}

{#- A date shifted by whole days, kept a DATE (DuckDB's date + interval is a TIMESTAMP). -#}
{% macro add_days(date_column, days) -%}
    cast({{ dbt.dateadd('day', days, date_column) }} as date)
{%- endmacro %}
