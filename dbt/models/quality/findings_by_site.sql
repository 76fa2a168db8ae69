{{ config(materialized='table') }}
{#- Per site in force: subjects, subjects with an open finding, findings by severity. A site
    without findings has a row of zeros, so a clean site is visible as clean. -#}
with

sites as (
    select site_id, transfer_id
    from {{ ref('stg_transfers_in_force') }}
),

subjects as (
    select site_id, count(distinct usubjid) as subjects
    from {{ ref('int_subjects_enrolled') }}
    group by site_id
),

findings as (
    select * from {{ ref('findings') }}
),

findings_per_site as (
    select
        SITEID as site_id,
        count(*) as findings,
        count(*) filter (where SEVERITY = 'CRITICAL') as critical_findings,
        count(*) filter (where SEVERITY = 'MAJOR') as major_findings,
        count(distinct USUBJID) as subjects_with_findings
    from findings
    group by SITEID
)

select
    sites.site_id as SITEID,
    sites.transfer_id as TRANSFER_ID,
    coalesce(subjects.subjects, 0) as SUBJECTS,
    coalesce(findings_per_site.subjects_with_findings, 0) as SUBJECTS_WITH_FINDINGS,
    coalesce(findings_per_site.findings, 0) as FINDINGS,
    coalesce(findings_per_site.critical_findings, 0) as CRITICAL,
    coalesce(findings_per_site.major_findings, 0) as MAJOR
from sites
left join subjects
    on sites.site_id = subjects.site_id
left join findings_per_site
    on sites.site_id = findings_per_site.site_id
order by SITEID
