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

{#- adam.md, ADRS, and response.md section 1: the best response in a window, which every
    best-response parameter (BOR*, CBOR*, ALGCBOR) shares once its own counting rule has chosen
    the time points. Three CTEs, the last named `best_response`: one row per row of `windows`
    (usubjid, paramcd) with the best (lowest) rank among its rows of `counted` (usubjid, paramcd,
    `date_column`, `rank_column`), the response it stands for, and the first date that reached
    it; a window without a counted row is NE with no date (a non-responder in every rate).
    `keep`: further columns of `windows` carried through. -#}
{% macro best_in_window(windows, counted, date_column, rank_column, keep=[]) -%}
best_rank_in_window as (
    -- adam.md order for the best: SCR > ... > SD > PD > NE
    select
        usubjid,
        paramcd,
        min({{ rank_column }}) as best_response_rank
    from {{ counted }}
    group by usubjid, paramcd
),

first_date_reaching_best as (
    select
        {{ counted }}.usubjid,
        {{ counted }}.paramcd,
        min({{ counted }}.{{ date_column }}) as best_response_date
    from {{ counted }}
    inner join best_rank_in_window
        on
            {{ counted }}.usubjid = best_rank_in_window.usubjid
            and {{ counted }}.paramcd = best_rank_in_window.paramcd
            and {{ counted }}.{{ rank_column }} = best_rank_in_window.best_response_rank
    group by {{ counted }}.usubjid, {{ counted }}.paramcd
),

best_response as (
    select
        {{ windows }}.usubjid,
        {{ windows }}.paramcd,
        {%- for column in keep %}
        {{ windows }}.{{ column }},
        {%- endfor %}
        -- no counted row: NE, a non-responder in every rate
        coalesce(best_rank_in_window.best_response_rank, {{ response_rank_of('NE') }}) as best_response_rank,
        {{ response_from_rank('coalesce(best_rank_in_window.best_response_rank, ' ~ response_rank_of('NE') ~ ')') }} as best_response,
        first_date_reaching_best.best_response_date
    from {{ windows }}
    left join best_rank_in_window
        on
            {{ windows }}.usubjid = best_rank_in_window.usubjid
            and {{ windows }}.paramcd = best_rank_in_window.paramcd
    left join first_date_reaching_best
        on
            {{ windows }}.usubjid = first_date_reaching_best.usubjid
            and {{ windows }}.paramcd = first_date_reaching_best.paramcd
)
{%- endmacro %}
