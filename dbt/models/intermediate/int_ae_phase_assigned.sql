{#- adam.md, ADAE: the treatment-emergent flag (TRTEMFL) and the treatment phase (APHASE) of each AE,
    from its imputed start date and the subject's ADSL treatment dates. -#}
with

adverse_events as (
    select * from {{ subject_ref('int_ae_dates_imputed') }}
),

subjects as (
    select
        usubjid,
        first_dose_date as treatment_start_date,
        last_dose_date as treatment_end_date,
        melphalan_date,
        first_maintenance_dose_date as maintenance_start_date,
        cutoff_date
    from {{ subject_ref('int_subjects_derived') }}
),

treatment_window as (
    -- The treatment-emergent window closes 30 days after the last dose (TRTEDT + 30, inclusive).
    select
        adverse_events.*,
        subjects.treatment_start_date,
        subjects.melphalan_date,
        subjects.maintenance_start_date,
        subjects.cutoff_date,
        cast({{ dbt.dateadd('day', 30, 'subjects.treatment_end_date') }} as date) as treatment_window_end
    from adverse_events
    left join subjects
        on adverse_events.usubjid = subjects.usubjid
),

treatment_emergent as (
    -- TRTEMFL: TRTSDT <= ASTDT <= TRTEDT + 30 and ASTDT <= CUTOFFDT. Interpretation: an AE with a wholly
    -- missing start (no imputation rule) is counted as treatment-emergent for a treated subject unless it
    -- ended before TRTSDT: the conservative choice, it cannot be ruled out.
    select
        treatment_window.*,
        coalesce(
            case
                when treatment_window.start_date is not null
                    then treatment_window.start_date >= treatment_window.treatment_start_date
                    and treatment_window.start_date <= treatment_window.treatment_window_end
                    and treatment_window.start_date <= treatment_window.cutoff_date
                else treatment_window.treatment_start_date is not null
                    and (
                        treatment_window.end_date is null
                        or treatment_window.end_date >= treatment_window.treatment_start_date
                    )
            end,
            false
        ) as is_treatment_emergent
    from treatment_window
),

phase_assigned as (
    -- APHASE: INDUCTION before MELDT; ASCT from MELDT to MNTSDT - 1, or to TRTEDT + 30 without maintenance;
    -- MAINTENANCE from MNTSDT (open-ended, as adam.md says). Interpretation: no phase before TRTSDT
    -- (pre-treatment) or when the start is missing; after the ASCT window of a subject without maintenance,
    -- none (post-treatment); a subject without transplant (and without maintenance) is in INDUCTION up to
    -- TRTEDT + 30, the same bound adam.md gives the last phase reached before maintenance.
    select
        treatment_emergent.*,
        case
            when treatment_emergent.start_date is null
                or treatment_emergent.treatment_start_date is null
                or treatment_emergent.start_date < treatment_emergent.treatment_start_date
                then null
            when treatment_emergent.start_date >= treatment_emergent.maintenance_start_date
                then 'MAINTENANCE'
            when treatment_emergent.start_date >= treatment_emergent.melphalan_date
                then case
                    when treatment_emergent.maintenance_start_date is not null
                        or treatment_emergent.start_date <= treatment_emergent.treatment_window_end
                        then 'ASCT'
                end
            when treatment_emergent.melphalan_date is not null
                or treatment_emergent.maintenance_start_date is not null
                or treatment_emergent.start_date <= treatment_emergent.treatment_window_end
                then 'INDUCTION'
        end as analysis_phase
    from treatment_emergent
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
    start_date,
    start_date_flag,
    end_date_text,
    end_date,
    end_date_flag,
    toxicity_grade,
    is_serious,
    causality,
    action_taken,
    is_second_primary_malignancy,
    is_treatment_emergent,
    analysis_phase
from phase_assigned
