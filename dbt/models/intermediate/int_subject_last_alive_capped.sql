{#- adam.md, ADSL LSTALVDT, final step: the last-alive date computed without death
    (int_subject_last_alive_derived, already within the cut-off) capped at the death date
    imputed from it (int_subject_death_imputed): never after DTHDT or CUTOFFDT. -#}
with

last_alive as (
    select * from {{ subject_ref('int_subject_last_alive_derived') }}
),

deaths as (
    select * from {{ subject_ref('int_subject_death_imputed') }}
),

capped_at_death as (
    select
        last_alive.usubjid,
        case
            when deaths.death_date < last_alive.last_alive_date_before_death then deaths.death_date
            else last_alive.last_alive_date_before_death
        end as last_alive_date
    from last_alive
    left join deaths on last_alive.usubjid = deaths.usubjid
)

select
    usubjid,
    last_alive_date
from capped_at_death
