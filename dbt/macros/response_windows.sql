{#- adam.md, ADRS: the last day of the window of BORIND ('induction': before MELDT; no
    transplant: up to EOTDT, or CUTOFFDT while still on treatment), BORASCT ('up_to_maintenance':
    before MNTSDT; no maintenance: likewise) and BOR ('on_study': up to CUTOFFDT). response.md
    section 1 gives CBORIND, CBORASCT, CBOR and ALGCBOR the same windows, so both derivations
    call this. `subjects`: the alias of a relation with melphalan_date, maintenance_start_date,
    end_of_treatment_date and cutoff_date. -#}
{% macro best_response_window_end(window, subjects) -%}
    {%- if window == 'induction' -%}
    case
        when {{ subjects }}.melphalan_date is not null then {{ add_days(subjects ~ '.melphalan_date', -1) }}
        else coalesce({{ subjects }}.end_of_treatment_date, {{ subjects }}.cutoff_date)
    end
    {%- elif window == 'up_to_maintenance' -%}
    case
        when {{ subjects }}.maintenance_start_date is not null then {{ add_days(subjects ~ '.maintenance_start_date', -1) }}
        else coalesce({{ subjects }}.end_of_treatment_date, {{ subjects }}.cutoff_date)
    end
    {%- elif window == 'on_study' -%}
    {{ subjects }}.cutoff_date
    {%- else -%}
    {{ exceptions.raise_compiler_error("best_response_window_end: unknown window '" ~ window ~ "'") }}
    {%- endif -%}
{%- endmacro %}
