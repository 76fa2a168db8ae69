{#- adam.md, Partial dates: AE start (ASTDT/ASTDTF) and AE end (AENDT/AENDTF) imputed from the partial
    text the site sent. One row per AE of stg_ae. -#}
with

adverse_events as (
    select * from {{ ref('stg_ae') }}
),

subjects as (
    select
        usubjid,
        first_dose_date as treatment_start_date,
        death_date,
        cutoff_date
    from {{ subject_ref('int_subjects_derived') }}
),

end_date_imputed as (
    -- AE end: missing day -> last day of the month, missing month -> 31 Dec; an imputed end date is never
    -- after the death date or the cut-off (least() skips a missing death date). A complete date is kept as sent.
    select
        adverse_events.*,
        subjects.treatment_start_date,
        case
            when adverse_events.end_date_text is null then null
            when length(adverse_events.end_date_text) = 10 then cast(adverse_events.end_date_text as date)
            else least(
                {{ partial_date_ceiling('adverse_events.end_date_text') }},
                subjects.death_date,
                subjects.cutoff_date
            )
        end as end_date,
        {{ partial_date_flag('adverse_events.end_date_text') }} as end_date_flag
    from adverse_events
    left join subjects
        on adverse_events.usubjid = subjects.usubjid
),

start_date_in_first_dose_period as (
    -- The partial start covers TRTSDT's month (YYYY-MM) or year (YYYY) exactly when TRTSDT lies between the
    -- first and the last day the partial date can mean.
    select
        end_date_imputed.*,
        coalesce(
            length(end_date_imputed.start_date_text) in (4, 7)
            and end_date_imputed.treatment_start_date
                between {{ partial_date_floor('end_date_imputed.start_date_text') }}
                and {{ partial_date_ceiling('end_date_imputed.start_date_text') }},
            false
        ) as is_in_first_dose_period
    from end_date_imputed
),

start_date_imputed as (
    -- AE start: missing day -> 1st of the month, missing month -> 1 Jan; when that month (year) is TRTSDT's,
    -- TRTSDT. Interpretation: TRTSDT is not used when the AE ended before TRTSDT (the AE cannot have
    -- started on treatment, and a start after the end is impossible). A wholly missing start stays missing.
    select
        start_date_in_first_dose_period.*,
        case
            when start_date_in_first_dose_period.start_date_text is null then null
            when
                start_date_in_first_dose_period.is_in_first_dose_period
                and (
                    start_date_in_first_dose_period.end_date is null
                    or start_date_in_first_dose_period.end_date
                    >= start_date_in_first_dose_period.treatment_start_date
                )
                then start_date_in_first_dose_period.treatment_start_date
            else {{ partial_date_floor('start_date_in_first_dose_period.start_date_text') }}
        end as start_date,
        {{ partial_date_flag('start_date_in_first_dose_period.start_date_text') }} as start_date_flag
    from start_date_in_first_dose_period
)

select
    usubjid,
    site_id,
    subject_id,
    ae_sequence,
    reported_term,
    preferred_term,
    system_organ_class,
    start_date_text,
    cast(start_date as date) as start_date,
    start_date_flag,
    end_date_text,
    cast(end_date as date) as end_date,
    end_date_flag,
    toxicity_grade,
    is_serious,
    causality,
    action_taken,
    is_second_primary_malignancy
from start_date_imputed
