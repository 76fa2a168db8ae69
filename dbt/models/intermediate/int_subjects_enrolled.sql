{#- Every subject with an enr record in force, by site: quality.findings_by_site counts a site's
    subjects here. Per subject, so a build by subject keeps it whole (scoped stg_enr would count
    only the scope's subjects). -#}
select distinct
    site_id,
    usubjid
from {{ ref('stg_enr') }}
