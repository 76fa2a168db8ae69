{#- ADaMIG study day of a date relative to the first dose (TRTSDT): there is no day 0, so the
    first dose is day 1, the day before it day -1. ADT >= TRTSDT: ADT - TRTSDT + 1; else
    ADT - TRTSDT. Empty when either date is. The one definition of the rule: ADY in ADRS, ADTTE
    and ADLB, ASTDY and AENDY in ADAE call it (submission.md, Study days). -#}
{% macro study_day(analysis_date, reference_date) -%}
    case
        when {{ analysis_date }} >= {{ reference_date }}
            then {{ dbt.datediff(reference_date, analysis_date, 'day') }} + 1
        else {{ dbt.datediff(reference_date, analysis_date, 'day') }}
    end
{%- endmacro %}
