{#- The key of an ADaM dataset is written once, in its yml: the model's meta.keys (Define-XML
    KeySequence, submission.md). These macros read it so the sort order of the table (and of its
    .xpt file), the incremental rewrite (build_by_subject.sql) and the uniqueness test
    (tests/generic/adam_keys_unique.sql) cannot drift from what Define-XML declares. -#}

{#- The keys of the model being built, from its merged config (the yml's meta). At parse time
    the yml is not merged yet and nothing is executed, so an empty list is returned then; a model
    that is executed without keys is not one of ours. -#}
{% macro adam_keys() -%}
    {%- set meta = config.get('meta') or {} -%}
    {{ return(meta.get('keys') or []) }}
{%- endmacro %}

{#- The keys as an `order by` list of the model being built; '' for a model without keys (the
    incremental strategy asks every model). -#}
{% macro adam_sort_order() -%}
    {{ return(adam_keys() | join(', ')) }}
{%- endmacro %}

{#- The `order by` of an ADaM model: its keys. A dbt unit test renders the model under its own
    node, without the model's meta (and without the graph), and compares rows as a set, so any
    order does there; a model built without keys fails to compile rather than go unsorted. -#}
{% macro adam_order_by() -%}
    {%- set order = adam_sort_order() -%}
    {%- if order -%}
        {{ return(order) }}
    {%- elif not execute or model.resource_type == 'unit_test' -%}
        {{ return('USUBJID') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(model.name ~ ': no meta.keys in its yml, so no sort order') }}
    {%- endif -%}
{%- endmacro %}

{#- The keys of another model of this project, by name (for a test, which runs outside the
    model's own config). Empty at parse time, when the graph is not available. -#}
{% macro adam_keys_of(model_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error('adam_keys_of: no model ' ~ model_name) }}
    {%- endif -%}
    {%- set keys = (node.config.meta or {}).get('keys') or [] -%}
    {%- if not keys -%}
        {{ exceptions.raise_compiler_error('adam_keys_of: model ' ~ model_name ~ ' has no meta.keys') }}
    {%- endif -%}
    {{ return(keys) }}
{%- endmacro %}
