{{ config(materialized='table') }}
{#- response.md section 4: the ITT subjects whose best confirmed response by the investigator
    (CBOR) and computed from the labs (ALGCBOR) differ, listed for medical review in the quality
    report. Not a query to the site: the investigator's call may be right (a clinical PD, a
    marrow the lab form lacks), so each row is for a physician to read beside the labs. A
    subject without a computed time point has ALGCBOR NE, so a contract 1.0 trial lists every
    subject with an investigator response; the report says why. -#}
with

itt_subjects as (
    select
        usubjid,
        site_id
    from {{ ref('int_subjects_derived') }}
    where is_itt
),

investigator_best_confirmed as (
    select
        usubjid,
        best_response,
        best_response_rank,
        best_response_date
    from {{ ref('int_best_confirmed_response_by_window_derived') }}
    where paramcd = 'CBOR'
),

computed_best_confirmed as (
    select
        usubjid,
        best_response,
        best_response_rank,
        best_response_date
    from {{ ref('int_best_confirmed_computed_response_derived') }}
),

both_raters as (
    select
        itt_subjects.site_id,
        itt_subjects.usubjid,
        coalesce(investigator_best_confirmed.best_response, 'NE') as cbor,
        coalesce(investigator_best_confirmed.best_response_rank, 8) as cbor_rank,
        investigator_best_confirmed.best_response_date as cbor_date,
        coalesce(computed_best_confirmed.best_response, 'NE') as algcbor,
        coalesce(computed_best_confirmed.best_response_rank, 8) as algcbor_rank,
        computed_best_confirmed.best_response_date as algcbor_date
    from itt_subjects
    left join investigator_best_confirmed
        on itt_subjects.usubjid = investigator_best_confirmed.usubjid
    left join computed_best_confirmed
        on itt_subjects.usubjid = computed_best_confirmed.usubjid
),

discordant as (
    select
        *,
        -- the response order's rank: lower is better
        case
            when cbor_rank < algcbor_rank then 'INVESTIGATOR BETTER'
            else 'COMPUTED BETTER'
        end as direction,
        abs(cbor_rank - algcbor_rank) as categories_apart
    from both_raters
    where cbor <> algcbor
)

select
    site_id as SITEID,
    usubjid as USUBJID,
    cbor as CBOR,
    cbor_date as CBOR_ADT,
    algcbor as ALGCBOR,
    algcbor_date as ALGCBOR_ADT,
    direction as DIRECTION,
    cast(categories_apart as integer) as CATEGORIES_APART
from discordant
order by SITEID, USUBJID
