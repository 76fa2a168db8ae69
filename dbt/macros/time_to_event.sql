{#- adam.md, ADTTE: the row of a subject x parameter is the first applicable rule, in the order the
    spec lists them (rule_order); among the event sources of one rule ("earliest of"), the earliest
    date wins and tie_order breaks a same-day tie. This is admiral's derive_param_tte pattern
    (event_source / censor_source), written once for every int_tte_* model.
    `candidates` is a relation with: usubjid, paramcd, start_date, rule_order, tie_order,
    event_or_censoring_date, cnsr, event_description, censoring_date_description, source_domain,
    source_variable. -#}
{% macro first_applicable_tte_rule(candidates) -%}
    select
        usubjid,
        paramcd,
        start_date,
        event_or_censoring_date,
        cnsr,
        event_description,
        censoring_date_description,
        source_domain,
        source_variable
    from {{ candidates }}
    qualify row_number() over (
        partition by usubjid, paramcd
        order by rule_order, event_or_censoring_date, tie_order
    ) = 1
{%- endmacro %}

{#- The select list of one candidate rule of an int_tte_* model, from a CTE that has `usubjid` and
    `start_date` (and `paramcd` when paramcd is none: one CTE for several parameters). Literal
    arguments are quoted here; date_column is an expression. -#}
{% macro tte_candidate(
    paramcd, rule_order, tie_order, date_column, cnsr, event_description,
    censoring_date_description=none, source_variable=none, source_domain='ADSL'
) -%}
    usubjid,
    {% if paramcd is none %}paramcd{% else %}'{{ paramcd }}' as paramcd{% endif %},
    start_date,
    {{ rule_order }} as rule_order,
    {{ tie_order }} as tie_order,
    {{ date_column }} as event_or_censoring_date,
    {{ cnsr }} as cnsr,
    '{{ event_description }}' as event_description,
    {% if censoring_date_description -%}
    '{{ censoring_date_description }}'
    {%- else -%}
    cast(null as varchar)
    {%- endif %} as censoring_date_description,
    '{{ source_domain }}' as source_domain,
    '{{ source_variable }}' as source_variable
{%- endmacro %}
