{#- Partial dates arrive as text YYYY, YYYY-MM or YYYY-MM-DD (validated at ingestion). -#}

{#- The earliest day a partial date can mean: used to decide whether a record lies after the cut-off. -#}
{% macro partial_date_floor(column) -%}
    case length({{ column }})
        when 4 then cast({{ column }} || '-01-01' as date)
        when 7 then cast({{ column }} || '-01' as date)
        else cast({{ column }} as date)
    end
{%- endmacro %}

{#- The last day a partial date can mean (AE end: last day of month / 31 Dec). -#}
{% macro partial_date_ceiling(column) -%}
    case length({{ column }})
        when 4 then cast({{ column }} || '-12-31' as date)
        when 7 then cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, "cast(" ~ column ~ " || '-01' as date)")) }} as date)
        else cast({{ column }} as date)
    end
{%- endmacro %}

{#- ADaM imputation flag: D when the day was imputed, M when month (and day) were. -#}
{% macro partial_date_flag(column) -%}
    case length({{ column }}) when 4 then 'M' when 7 then 'D' end
{%- endmacro %}

{% macro yn_to_boolean(column) -%}
    case {{ column }} when 'Y' then true when 'N' then false end
{%- endmacro %}
