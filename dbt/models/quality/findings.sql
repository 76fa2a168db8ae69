{{ config(materialized='table') }}
{#- Every cross-form consistency finding: one row per query to raise with a site. The rows
    behind a finding still load (site_extracts.md, bad input); this table is what the quality
    page and the per-site summary show. Site-level findings (EXTRA_COLUMN) have no USUBJID. -#}
with

findings_by_family as (
    select * from {{ ref('findings_death') }}
    union all
    select * from {{ ref('findings_withdrawal') }}
    union all
    select * from {{ ref('findings_enrolment') }}
    union all
    select * from {{ ref('findings_adverse_events') }}
    union all
    select * from {{ ref('findings_dosing') }}
    union all
    select * from {{ ref('findings_dose_reductions') }}
    union all
    select * from {{ ref('findings_transplant') }}
    union all
    select * from {{ ref('findings_assessments') }}
    union all
    select * from {{ ref('findings_labs') }}
    union all
    select * from {{ ref('findings_extra_columns') }}
)

select
    usubjid as USUBJID,
    site_id as SITEID,
    form as FORM,
    rule as RULE,
    severity as SEVERITY,
    detail as DETAIL,
    first_seen_transfer as FIRST_SEEN_TRANSFER
from findings_by_family
order by SITEID, USUBJID, RULE, DETAIL
