{#- A build by subject (docs/incremental_by_subject.md). When one site sends its next
    transfer, only some subjects can change: the subjects of the sites whose transfer in force
    changed, and those with a date after the previous cut-off. The dbt asset
    (lib/warehouse/build_scope.py) decides before dbt starts whether this build may be by subject, and
    writes that decision and those subjects to two small tables read here at run time:

    - quality.build_mode: one row, BY_SUBJECT true for a build by subject;
    - quality.build_scope: the subjects to rebuild (SUBJID, USUBJID).

    A var would not do: a var is compiled into the staging views, and other vars make dbt
    parse the whole project again, so every new scope would. With no row, or BY_SUBJECT
    false, every rule below is the full build's. -#}

{#- on-run-start: the tables exist before any view that reads them is created (a plain `dbt
    build` outside Dagster, the unit tests). -#}
{% macro create_build_scope_tables() %}
    create schema if not exists quality;
    create table if not exists quality.build_mode (BY_SUBJECT boolean not null);
    create table if not exists quality.build_scope (SUBJID varchar not null, USUBJID varchar not null);
{% endmacro %}

{#- on-run-end, and the dbt asset again after dbt exits whatever happened: the staging views
    show every row once the build is over. -#}
{% macro end_build_by_subject() %}
    delete from quality.build_mode;
{% endmacro %}

{#- A condition on raw rows or a model's rows: true for every row in a full build, for the
    scope's rows in a build by subject. It is always compiled (staging views are created once
    and read in both kinds of build); inactive it cost nothing measurable. -#}
{% macro in_build_scope(subject_column, scope_column='SUBJID') -%}
    (not coalesce((select bool_or(BY_SUBJECT) from quality.build_mode), false)
        or {{ subject_column }} in (select {{ scope_column }} from quality.build_scope))
{%- endmacro %}

{#- Whether this build is by subject, read at run time (execute) by the strategies and hooks. -#}
{% macro build_is_by_subject() %}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set found = run_query(
        "select coalesce(bool_or(BY_SUBJECT), false) from quality.build_mode") -%}
    {{ return(found.columns[0].values()[0]) }}
{% endmacro %}

{#- Incremental strategy `by_subject` (every model keyed by USUBJID). By subject: the scope's
    subjects are deleted from the table (all of them, so a subject whose rows all went away
    loses them; dbt's delete+insert deletes only the keys of the new rows) and the model's rows
    for them inserted. The model's own rows are filtered to the scope too, which keeps a model
    right even where it reads a whole table (outside the scope its rows would mix whole tables
    with scoped staging; `subject_ref` below keeps it cheap). An ADaM model is written in the order of its key
    (meta.keys, macros/adam_keys.sql; a model may still name another order as `sort_by` in its
    config) again, in one rewrite: the export and the fingerprints read ADaM tables in row order. Not by
    subject (a plain `dbt build` on an existing warehouse): every row is replaced, as a table
    build would. -#}
{% macro get_incremental_by_subject_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set sort_by = config.get('sort_by') or adam_sort_order() -%}
    {%- set by_subject = build_is_by_subject() -%}
    {%- if by_subject and sort_by %}
    {#- one rewrite in order instead of a delete, an insert and a rewrite -#}
    create or replace table {{ target }} as
        select {{ columns }} from {{ target }}
        where USUBJID not in (select USUBJID from quality.build_scope)
        union all
        select {{ columns }} from {{ temp }}
        where USUBJID in (select USUBJID from quality.build_scope)
        order by {{ sort_by }};
    {%- elif by_subject %}
    delete from {{ target }} where USUBJID in (select USUBJID from quality.build_scope);
    insert into {{ target }} ({{ columns }})
        select {{ columns }} from {{ temp }}
        where USUBJID in (select USUBJID from quality.build_scope);
    {%- else %}
    delete from {{ target }};
    insert into {{ target }} ({{ columns }}) select {{ columns }} from {{ temp }};
    {%- if sort_by %}
    create or replace table {{ target }} as select * from {{ target }} order by {{ sort_by }};
    {%- endif %}
    {%- endif %}
{% endmacro %}

{#- Incremental strategy `new_keys`, for int_dose_plan_by_age: a lookup keyed by AGE, phase and
    cycle, not by subject. By subject it gains the keys the scope brings; a key no subject has
    any more stays, and joins nothing (every reader looks up a subject's own age, phase and
    cycle). The full build has exactly the keys in use. -#}
{% macro get_incremental_new_keys_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- if build_is_by_subject() %}
    insert into {{ target }} ({{ columns }})
        select {{ columns }} from {{ temp }}
        except
        select {{ columns }} from {{ target }};
    {%- else %}
    delete from {{ target }};
    insert into {{ target }} ({{ columns }}) select {{ columns }} from {{ temp }};
    {%- endif %}
{% endmacro %}

{#- Post-hook of the models that hold the cut-off's value (tests/e2e/test_cutoff_reach.py
    lists them). A subject outside the scope has no date after the previous cut-off C0, so its
    rows are the full build's except where they hold the cut-off itself: those are set to the
    new cut-off (set from it, not moved by C1 - C0, so a hook run twice changes nothing).
    `assignments` and `condition` may use `new_cutoff`. Full build: nothing to do. -#}
{% macro restamp_cutoff_outside_scope(assignments, condition='true', from_clause='') %}
    {%- if build_is_by_subject() -%}
    update {{ this }} as stamped
    set {{ assignments }}
    from (select cutoff_date as new_cutoff from {{ relation_of('stg_data_cut') }}) as data_cut
    {%- if from_clause %}, {{ from_clause }}{% endif %}
    where ({{ condition }})
        and stamped.usubjid not in (select USUBJID from quality.build_scope)
    {%- endif -%}
{% endmacro %}

{#- A model's relation without ref(): a ref only in a hook would be a dependency dbt cannot see
    when it parses (and each unit test of the model would need it as an input). Both models
    are built before any model whose hook reads them. -#}
{% macro relation_of(model_name) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', model_name) | first -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}

{#- The rows holding the cut-off's value, one macro per rule (adam.md). -#}

{#- ADSL: CUTOFFDT. -#}
{% macro restamp_adsl_cutoff() %}
    {{- restamp_cutoff_outside_scope('CUTOFFDT = data_cut.new_cutoff') -}}
{% endmacro %}

{#- int_subjects_derived, ADSL's source: cutoff_date. -#}
{% macro restamp_subjects_cutoff() %}
    {{- restamp_cutoff_outside_scope('cutoff_date = data_cut.new_cutoff') -}}
{% endmacro %}

{#- ADTTE: the rows censored at the cut-off (SRCVAR CUTOFFDT): ADT, AVAL = ADT - STARTDT + 1
    days (STARTDT is on or before C0 for such a subject, so ADT is not raised to it), and ADY,
    the study day of the new ADT from the subject's TRTSDT (macro study_day). -#}
{% macro restamp_adtte_censored_at_cutoff() %}
    {{- restamp_cutoff_outside_scope(
        "ADT = data_cut.new_cutoff, "
        ~ "AVAL = cast(date_diff('day', stamped.STARTDT, data_cut.new_cutoff) + 1 as integer), "
        ~ "ADY = cast(" ~ study_day('data_cut.new_cutoff', 'subject.first_dose_date') ~ " as integer)",
        "stamped.SRCVAR = 'CUTOFFDT' and subject.usubjid = stamped.USUBJID",
        relation_of('int_subjects_derived') ~ ' as subject') -}}
{% endmacro %}

{#- int_tte_os_derived, int_tte_time_to_response_derived, int_tte_ttdisc_derived: the date of the
    rule that censors at the cut-off. Keyed on that rule's source variable, not on who it applies
    to: OS censors at CUTOFFDT only subjects still on study (no END OF STUDY record); one who left
    is censored at LSTALVDT or EOSDT, dates of its own records, and keeps its row. PFS2 has no
    cut-off rule (its lost subjects are at LSTALVDT), so it has no hook. -#}
{% macro restamp_tte_censored_at_cutoff() %}
    {{- restamp_cutoff_outside_scope(
        'event_or_censoring_date = data_cut.new_cutoff',
        "stamped.source_variable = 'CUTOFFDT'") -}}
{% endmacro %}

{#- int_best_response_by_window_derived: the windows that end at the cut-off. BOR always; BORIND
    without MELDT and EOTDT; BORASCT without MNTSDT and EOTDT (the model's window rules). -#}
{% macro restamp_best_response_windows_at_cutoff() %}
    {{- restamp_cutoff_outside_scope(
        'window_end_date = data_cut.new_cutoff',
        "subject.usubjid = stamped.usubjid and ("
        ~ "stamped.paramcd = 'BOR'"
        ~ " or (stamped.paramcd = 'BORIND' and subject.melphalan_date is null"
        ~ " and subject.end_of_treatment_date is null)"
        ~ " or (stamped.paramcd = 'BORASCT' and subject.first_maintenance_dose_date is null"
        ~ " and subject.end_of_treatment_date is null))",
        relation_of('int_subjects_derived') ~ ' as subject') -}}
{% endmacro %}

{#- int_mrd_windows_evaluated: a window (MRD12, MRD24) that ends in (C0, C1] is complete at C1
    though the subject has no date after C0 (ASCTDT + 365 is no date of the records). Set from
    the new cut-off, so a hook run twice changes nothing; a complete window never reopens. -#}
{% macro restamp_mrd_windows_complete_at_cutoff() %}
    {{- restamp_cutoff_outside_scope(
        'is_window_complete = true',
        'stamped.window_end_date <= data_cut.new_cutoff and not stamped.is_window_complete') -}}
{% endmacro %}

{#- ADRS: WINCMPFL from the restamped int_mrd_windows_evaluated (built before ADRS). -#}
{% macro restamp_adrs_windows_complete_at_cutoff() %}
    {{- restamp_cutoff_outside_scope(
        "WINCMPFL = 'Y'",
        "mrd_window.usubjid = stamped.USUBJID and mrd_window.paramcd = stamped.PARAMCD"
        ~ " and mrd_window.is_window_complete and stamped.WINCMPFL is null",
        relation_of('int_mrd_windows_evaluated') ~ ' as mrd_window') -}}
{% endmacro %}

{#- A subject-keyed model read by another model built by subject: only the scope's rows in a
    build by subject, every row otherwise. Without it a model driven by a full table (ADSL,
    another int_*) would compute every subject, of which the strategy keeps only the scope's.
    Not for the tables that are not keyed by subject (int_dose_plan_by_age, protocol_schedule)
    nor for the models rebuilt from whole tables (findings, findings_by_site). -#}
{% macro subject_ref(model_name) -%}
    (select * from {{ ref(model_name) }} where {{ in_build_scope('USUBJID', 'USUBJID') }})
{%- endmacro %}
