{#- adam.md, Partial dates, death: missing day -> 1st of month, missing month -> 1 January,
    but not before LSTALVDT + 1; never after the cut-off. LSTALVDT here is the last-alive date
    computed WITHOUT death (int_subject_last_alive_derived), which breaks the circularity.
    The bound never moves the date out of the period the partial date reports: a death reported
    in March stays in March (at the 31st) even if some record wrongly dates the subject alive in May. -#}
with

data_cut as (
    select cutoff_date from {{ ref('stg_data_cut') }}
),

deaths as (
    select * from {{ ref('stg_dth') }}
),

last_alive as (
    select * from {{ subject_ref('int_subject_last_alive_derived') }}
),

dated_deaths as (
    -- a death without any date cannot be placed before the cut-off: not a death of this analysis.
    select
        deaths.usubjid,
        deaths.death_date_text,
        deaths.death_cause,
        {{ partial_date_floor('deaths.death_date_text') }} as earliest_possible_date,
        {{ partial_date_ceiling('deaths.death_date_text') }} as latest_possible_date,
        {{ partial_date_flag('deaths.death_date_text') }} as imputation_flag
    from deaths
    where deaths.death_date_text is not null
),

day_after_last_alive as (
    select
        dated_deaths.usubjid,
        dated_deaths.death_cause,
        dated_deaths.imputation_flag,
        dated_deaths.earliest_possible_date,
        dated_deaths.latest_possible_date,
        cast({{ dbt.dateadd('day', 1, 'last_alive.last_alive_date_before_death') }} as date) as first_day_not_known_alive
    from dated_deaths
    left join last_alive on dated_deaths.usubjid = last_alive.usubjid
),

bound_by_last_alive as (
    select
        usubjid,
        death_cause,
        imputation_flag,
        case
            -- a complete date is data, never moved.
            when imputation_flag is null then earliest_possible_date
            when first_day_not_known_alive is null
                or first_day_not_known_alive <= earliest_possible_date
                then earliest_possible_date
            -- L + 1 past the reported period: last seen alive on its last day (so died that day) or
            -- inconsistent data; either way stay inside the reported month / year.
            when first_day_not_known_alive > latest_possible_date then latest_possible_date
            else first_day_not_known_alive
        end as death_date_uncut
    from day_after_last_alive
),

capped_at_cutoff as (
    -- adam.md, Data cut-off: an imputed date never falls after CUTOFFDT.
    select
        bound_by_last_alive.usubjid,
        least(bound_by_last_alive.death_date_uncut, data_cut.cutoff_date) as death_date,
        bound_by_last_alive.imputation_flag as death_date_imputation_flag,
        bound_by_last_alive.death_cause
    from bound_by_last_alive
    cross join data_cut
)

select
    usubjid,
    death_date,
    death_date_imputation_flag,
    death_cause
from capped_at_cutoff
