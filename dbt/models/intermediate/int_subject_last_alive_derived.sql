{#- adam.md, ADSL LSTALVDT, first step: the latest complete date the subject is known alive,
    BEFORE the death date is considered. Death imputation (int_subject_death_imputed) is bounded
    by this date + 1, and the final LSTALVDT (int_subject_last_alive_capped) is this date capped
    at DTHDT; computing the candidate without death breaks the circularity. -#}
with

data_cut as (
    select cutoff_date from {{ ref('stg_data_cut') }}
),

enrolment as (
    select * from {{ ref('stg_enr') }}
),

administrations as (
    select * from {{ ref('stg_ex') }}
),

laboratory as (
    select * from {{ ref('stg_lb') }}
),

responses as (
    select * from {{ ref('stg_rs') }}
),

mrd_samples as (
    select * from {{ ref('stg_mrd') }}
),

transplant as (
    select * from {{ ref('stg_sct') }}
),

adverse_events as (
    select * from {{ ref('stg_ae') }}
),

follow_up as (
    select * from {{ ref('stg_fu') }}
),

next_therapy as (
    select * from {{ ref('stg_nt') }}
),

disposition_events as (
    select * from {{ ref('stg_ds') }}
),

alive_dates as (
    select usubjid, icf_date as alive_date, 'ENR.ICFDT' as alive_source from enrolment
    union all
    select usubjid, eligibility_date, 'ENR.ELIGDT' from enrolment
    -- a skipped dose (EXDOSE = 0) is no administration and no proof of contact: a missed visit is
    -- one reason a dose is skipped.
    union all
    select usubjid, administration_date, 'EX.EXSTDT' from administrations
    where dose > 0
    union all
    select usubjid, sample_date, 'LB.LBDT' from laboratory
    union all
    select usubjid, assessment_date, 'RS.RSDT' from responses
    union all
    select usubjid, sample_date, 'MRD.MRDDT' from mrd_samples
    union all
    select usubjid, melphalan_date, 'SCT.MELDT' from transplant
    union all
    select usubjid, asct_date, 'SCT.ASCTDT' from transplant
    -- AE dates count only when complete (YYYY-MM-DD); a partial date proves nothing about a day.
    -- (the floor of a complete date is the date; the macro never casts a partial text as a day)
    union all
    select usubjid, {{ partial_date_floor('start_date_text') }}, 'AE.AESTDT' from adverse_events
    where length(start_date_text) = 10
    union all
    select usubjid, {{ partial_date_floor('end_date_text') }}, 'AE.AEENDT' from adverse_events
    where length(end_date_text) = 10
    union all
    select usubjid, contact_date, 'FU.FUDT' from follow_up
    where vital_status = 'ALIVE'
    union all
    select usubjid, start_date, 'NT.NTSTDT' from next_therapy
    -- a disposition for death is not a sign of life.
    union all
    select usubjid, disposition_date, 'DS.DSDT' from disposition_events
    where reason is distinct from 'DEATH'
),

alive_dates_up_to_cutoff as (
    -- adam.md, Data cut-off: no derived date after CUTOFFDT (staging already drops later records;
    -- this also keeps ELIGDT, which staging does not blank, within the cut).
    select
        alive_dates.usubjid,
        alive_dates.alive_date,
        alive_dates.alive_source
    from alive_dates
    cross join data_cut
    where alive_dates.alive_date is not null
        and alive_dates.alive_date <= data_cut.cutoff_date
),

latest_alive_date as (
    select
        usubjid,
        max(alive_date) as last_alive_date_before_death
    from alive_dates_up_to_cutoff
    group by usubjid
)

select
    usubjid,
    last_alive_date_before_death
from latest_alive_date
