{#- adam.md, ADSL: TRTSDT / TRTEDT = first / last administration with EXDOSE > 0 (any drug);
    MNTSDT = first MAINTENANCE administration with EXDOSE > 0. A skipped dose (EXDOSE = 0) is
    not an exposure, so it never starts or ends treatment. Records after the cut-off are
    already removed in staging. -#}
with

administrations as (
    select * from {{ ref('stg_ex') }}
),

doses_given as (
    -- site_extracts.md, ex: EXDOSE = 0 means the dose was skipped.
    select
        usubjid,
        phase,
        administration_date
    from administrations
    where dose > 0
        and administration_date is not null
),

treatment_dates as (
    select
        usubjid,
        min(administration_date) as first_dose_date,
        max(administration_date) as last_dose_date,
        min(case when phase = 'MAINTENANCE' then administration_date end) as first_maintenance_dose_date
    from doses_given
    group by usubjid
)

select
    usubjid,
    first_dose_date,
    last_dose_date,
    first_maintenance_dose_date
from treatment_dates
