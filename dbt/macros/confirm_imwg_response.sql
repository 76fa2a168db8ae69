{#- response.md section 1: IMWG confirmation of a series of response time points, and the best
    confirmed response in a window. Generic on purpose: the investigator's assessments
    (int_response_confirmed) and, later, the algorithm's computed time points go through the
    same two macros. Each returns one `with ... select` statement; wrap it in a CTE. -#}

{#- The COVR ranking: PD outranks every category, NE is the lowest (PD > SCR > ... > SD > NE).
    0 for PD, the IMWG rank (response_rank) for every other category. -#}
{% macro covr_rank(column) -%}
    case when {{ column }} = 'PD' then 0 else {{ response_rank(column) }} end
{%- endmacro %}

{#- confirm_imwg_response(timepoints): `timepoints` is a relation or CTE name with one row per
    time point and the columns
        usubjid              the subject
        adt                  the time point's date (not null)
        category             SCR, CR, VGPR, PR, MR, SD, PD or NE
        is_imaging_pd        boolean: a PD whose basis is imaging (RSPDTYP = IMAGING)
        next_therapy_date    the subject's NACTDT (start of NTLINE 2), null when none
        died_of_progression  boolean: the subject's DTHPD (DTHCAUS = PROGRESSIVE DISEASE)
    Returns every input column plus
        category_rank        response_rank(category), 1 SCR .. 8 NE
        timepoint_order      1.. within subject: by adt, on the same date the worse category first
        confirmed_category   the section 1 table (NE set aside, confirmed as NE)
        covr                 the best confirmed category so far, PD outranking every category
    A time point with no category (uncoded) is set aside like NE and confirmed as NE: it is no
    assessment of the disease. -#}
{% macro confirm_imwg_response(timepoints) -%}
with

time_points as (
    select
        *,
        {{ response_rank('category') }} as category_rank
    from {{ timepoints }}
),

ordered_time_points as (
    -- response.md: order by date, on the same date the worse category first (a higher rank is
    -- worse; NE, rank 8, sorts first and is set aside anyway)
    select
        *,
        row_number() over (
            partition by usubjid
            order by adt, coalesce(category_rank, {{ response_rank_of('NE') }}) desc
        ) as timepoint_order
    from time_points
),

next_remaining_assessment as (
    -- NE set aside: N is the next time point of the subject that is not NE
    select
        usubjid,
        timepoint_order,
        lead(adt) over by_order as next_adt,
        lead(category) over by_order as next_category,
        lead(category_rank) over by_order as next_category_rank
    from ordered_time_points
    where category_rank < {{ response_rank_of('NE') }}
    window by_order as (partition by usubjid order by timepoint_order)
),

confirmed_category as (
    select
        ordered_time_points.*,
        case
            -- NE (and uncoded) time points are confirmed as NE
            when next_remaining_assessment.usubjid is null then 'NE'
            -- SCR..MR: SD when N is PD, missing, or after NACTDT (the next-line therapy, not
            -- study treatment, is responsible for it)
            when ordered_time_points.category_rank <= {{ response_rank_of('MR') }} then
                case
                    when
                        next_remaining_assessment.next_adt is null
                        or next_remaining_assessment.next_category = 'PD'
                        or next_remaining_assessment.next_adt > ordered_time_points.next_therapy_date
                        then 'SD'
                    -- N at least as good as A confirms A
                    when next_remaining_assessment.next_category_rank <= ordered_time_points.category_rank
                        then ordered_time_points.category
                    -- N worse than A (SCR..MR or SD) confirms only N's category
                    else next_remaining_assessment.next_category
                end
            when ordered_time_points.category = 'SD' then 'SD'
            -- PD: imaging, a death from progression with no assessment after it, or a second PD
            -- confirm it; otherwise (N better than PD, or no N and no death from PD) NE
            when
                coalesce(ordered_time_points.is_imaging_pd, false)
                or (
                    coalesce(ordered_time_points.died_of_progression, false)
                    and next_remaining_assessment.next_adt is null
                )
                or next_remaining_assessment.next_category = 'PD'
                then 'PD'
            else 'NE'
        end as confirmed_category
    from ordered_time_points
    left join next_remaining_assessment
        on
            ordered_time_points.usubjid = next_remaining_assessment.usubjid
            and ordered_time_points.timepoint_order = next_remaining_assessment.timepoint_order
),

best_confirmed_so_far as (
    -- COVR: the best confirmed category up to this time point, PD outranking all, NE lowest;
    -- once PD is confirmed every later time point is PD
    select
        *,
        min({{ covr_rank('confirmed_category') }}) over (
            partition by usubjid
            order by timepoint_order
            rows between unbounded preceding and current row
        ) as covr_rank_so_far
    from confirmed_category
)

select
    * exclude (covr_rank_so_far),
    case
        when covr_rank_so_far = 0 then 'PD'
        else {{ response_from_rank('covr_rank_so_far') }}
    end as covr
from best_confirmed_so_far
{%- endmacro %}

{#- best_confirmed_response_by_window(covr_timepoints, subjects, windows): the best confirmed
    response per subject and window (response.md section 1, CBORIND / CBORASCT / CBOR).
    `covr_timepoints`: relation or CTE with usubjid, adt, covr (confirm_imwg_response's output).
    `subjects`: relation or CTE with one row per subject to report (the ITT subjects) and
        usubjid, icf_date, next_therapy_date, melphalan_date, maintenance_start_date,
        end_of_treatment_date, cutoff_date.
    `windows`: a mapping PARAMCD -> window, window one of 'induction', 'up_to_maintenance',
        'on_study' (macro best_response_window_end, the windows of BORIND, BORASCT, BOR). The
        computed ALGCBOR passes {'ALGCBOR': 'on_study'}.
    Counted rows: adt on or after icf_date, before next_therapy_date when there is one, up to and
    including the first covr = PD, and up to the window's end.
    Returns usubjid, paramcd, best_response_rank (1 SCR .. 8 NE, PD 7 as in adam.md),
    best_response, best_response_date (the first counted row that reached it; null when the
    window counts no row, which is NE). -#}
{% macro best_confirmed_response_by_window(covr_timepoints, subjects, windows={'CBORIND': 'induction', 'CBORASCT': 'up_to_maintenance', 'CBOR': 'on_study'}) -%}
with

subjects as (
    select * from {{ subjects }}
),

covr_time_points as (
    select
        usubjid,
        adt,
        covr
    from {{ covr_timepoints }}
),

first_confirmed_progression as (
    select
        usubjid,
        min(adt) as first_covr_pd_date
    from covr_time_points
    where covr = 'PD'
    group by usubjid
),

windows as (
    {%- for paramcd, window in windows.items() %}
    -- {{ paramcd }}: the {{ window }} window
    select
        subjects.usubjid,
        '{{ paramcd }}' as paramcd,
        subjects.icf_date,
        subjects.next_therapy_date,
        {{ best_response_window_end(window, 'subjects') }} as window_end_date
    from subjects
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

counted_time_points as (
    -- on or after ICFDT, before NACTDT, up to and including the first COVR = PD
    select
        windows.usubjid,
        windows.paramcd,
        covr_time_points.adt,
        {{ response_rank('covr_time_points.covr') }} as covr_response_rank
    from windows
    inner join covr_time_points
        on windows.usubjid = covr_time_points.usubjid
    left join first_confirmed_progression
        on windows.usubjid = first_confirmed_progression.usubjid
    where
        covr_time_points.adt >= windows.icf_date
        and (windows.next_therapy_date is null or covr_time_points.adt < windows.next_therapy_date)
        and (
            first_confirmed_progression.first_covr_pd_date is null
            or covr_time_points.adt <= first_confirmed_progression.first_covr_pd_date
        )
        and covr_time_points.adt <= windows.window_end_date
),

{{ best_in_window('windows', 'counted_time_points', 'adt', 'covr_response_rank') }}

select
    usubjid,
    paramcd,
    best_response_rank,
    best_response,
    best_response_date
from best_response
{%- endmacro %}
