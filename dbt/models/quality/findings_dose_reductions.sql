{#- The ae and ex forms reconciled on dose reductions (issue 30: T07 counted AEs with AEACN DOSE
    REDUCED, T08 reductions for an adverse event, and nothing said which of them disagree).
    Window: an AE covers the administrations from the earliest day AESTDT can mean to 28 days
    after the latest day AEENDT can mean (the longest gap between two scheduled administrations
    is 28 days, maintenance cycle 13+, so the first dose after the AE resolved is inside it);
    no lower bound when AESTDT is empty and no upper bound while the AE is ongoing (empty
    AEENDT). Judged at the widest, as findings_adverse_events does, so only a certain
    disagreement is queried. Reduced: int_administrations_compared_to_plan (0 < EXDOSE < the
    planned dose, the ADEX rule T08 counts), with EXADJ ADVERSE EVENT. -#}
with

adverse_events as (
    select
        usubjid,
        site_id,
        subject_id,
        ae_sequence,
        preferred_term,
        start_date_text,
        end_date_text,
        action_taken,
        {{ partial_date_floor('start_date_text') }} as start_earliest_date,
        {{ dbt.dateadd('day', 28, partial_date_ceiling('end_date_text')) }} as window_end_date
    from {{ ref('stg_ae') }}
),

dose_reduced_adverse_events as (
    select * from adverse_events
    where action_taken = 'DOSE REDUCED'
),

administrations_given as (
    select
        usubjid,
        treatment,
        phase,
        cycle,
        cycle_day,
        administration_date,
        -- EXDOSE and EXDOSU as the site recorded them (the finding quotes them)
        recorded_dose as dose,
        recorded_dose_unit as dose_unit,
        coalesce(is_reduced and reduction_reason = 'ADVERSE EVENT', false) as is_reduced_for_adverse_event
    from {{ subject_ref('int_administrations_compared_to_plan') }}
    where is_given
        and administration_date is not null
),

reductions_for_adverse_event as (
    select * from administrations_given
    where is_reduced_for_adverse_event
),

subjects_with_reductions as (
    select distinct usubjid from reductions_for_adverse_event
),

reduction_starts as (
    -- A reduction for an AE is usually kept at the following doses (dexamethasone halved from
    -- a day on): one AE explains the run, so only its first administration needs an AE. A run
    -- starts where the previous administration given of that drug was not reduced for an AE.
    -- The window runs over the subjects with a reduction only.
    select
        administrations_given.*,
        lag(administrations_given.is_reduced_for_adverse_event) over (
            partition by administrations_given.usubjid, administrations_given.treatment
            order by administrations_given.administration_date, administrations_given.phase,
                administrations_given.cycle, administrations_given.cycle_day
        ) as previous_is_reduced_for_adverse_event
    from administrations_given
    semi join subjects_with_reductions
        on administrations_given.usubjid = subjects_with_reductions.usubjid
),

first_reductions_of_runs as (
    select * from reduction_starts
    where is_reduced_for_adverse_event
        and not coalesce(previous_is_reduced_for_adverse_event, false)
),

-- An open window bound (empty AESTDT or AEENDT) is the widest date, not `is null or ...`:
-- with the OR, DuckDB ran both anti joins as nested loops over every pair of rows (quadratic:
-- 0.42 of 0.54 s at 10,000 subjects, ~40 s at 100,000); with plain comparisons it hashes on
-- USUBJID. The same 1,550 findings at 10,000 subjects.
adverse_events_without_reduction as (
    select dose_reduced_adverse_events.*
    from dose_reduced_adverse_events
    anti join reductions_for_adverse_event
        on dose_reduced_adverse_events.usubjid = reductions_for_adverse_event.usubjid
        and reductions_for_adverse_event.administration_date
            >= coalesce(dose_reduced_adverse_events.start_earliest_date, date '0001-01-01')
        and reductions_for_adverse_event.administration_date
            <= coalesce(dose_reduced_adverse_events.window_end_date, date '9999-12-31')
),

reductions_without_adverse_event as (
    select first_reductions_of_runs.*
    from first_reductions_of_runs
    anti join dose_reduced_adverse_events
        on first_reductions_of_runs.usubjid = dose_reduced_adverse_events.usubjid
        and first_reductions_of_runs.administration_date
            >= coalesce(dose_reduced_adverse_events.start_earliest_date, date '0001-01-01')
        and first_reductions_of_runs.administration_date
            <= coalesce(dose_reduced_adverse_events.window_end_date, date '9999-12-31')
),

-- The site of a subject with an unexplained reduction, from its ex records (the compared
-- administrations carry USUBJID only); few subjects, so the distinct is cheap.
reduction_subjects as (
    select distinct stg_ex.usubjid, stg_ex.site_id, stg_ex.subject_id
    from {{ ref('stg_ex') }} as stg_ex
    semi join reductions_without_adverse_event
        on stg_ex.usubjid = reductions_without_adverse_event.usubjid
),

reductions_without_adverse_event_at_site as (
    select
        reductions_without_adverse_event.*,
        reduction_subjects.site_id,
        reduction_subjects.subject_id
    from reductions_without_adverse_event
    inner join reduction_subjects
        on reductions_without_adverse_event.usubjid = reduction_subjects.usubjid
),

-- First-seen transfers for the subjects with a finding only (findings_dosing: over every raw
-- transfer the lookup outgrew the DuckDB memory limit at 100,000 subjects).
ae_first_seen as (
    {{ record_first_seen('ae', {'AESPID': 'ae_sequence', 'AEACN': 'action_taken', 'AESTDT': 'start_date_text', 'AEENDT': 'end_date_text'}, subjects='adverse_events_without_reduction') }}
),

ex_first_seen as (
    -- the administration's key and what the rule judges: its dose and EXADJ (a dose first sent
    -- in full and reduced for an AE in a later transfer is a finding from that transfer on)
    {{ record_first_seen('ex', {'EXTRT': 'treatment', 'EXSTDT': 'administration_date', 'PHASE': 'phase', 'CYCLE': 'cycle', 'DAY': 'cycle_day', 'EXDOSE': 'dose', 'EXADJ': 'adjustment_reason'}, subjects='reductions_without_adverse_event_at_site') }}
),

ae_dose_reduced_without_reduction as (
    select
        adverse_events_without_reduction.usubjid,
        adverse_events_without_reduction.site_id,
        'ae' as form,
        'AE_DOSE_REDUCED_WITHOUT_REDUCTION' as rule,
        'MAJOR' as severity,
        'AESPID ' || cast(adverse_events_without_reduction.ae_sequence as varchar) || ' '
        || coalesce(adverse_events_without_reduction.preferred_term, '')
        || ' (AESTDT ' || coalesce(adverse_events_without_reduction.start_date_text, 'empty')
        || ', AEENDT ' || coalesce(adverse_events_without_reduction.end_date_text, 'empty')
        || '): AEACN DOSE REDUCED, but no administration reduced for an ADVERSE EVENT (ex, EXADJ)'
        || ' from AESTDT to AEENDT + 28 days' as detail,
        ae_first_seen.first_transfer_id as first_seen_transfer
    from adverse_events_without_reduction
    left join ae_first_seen
        on adverse_events_without_reduction.site_id = ae_first_seen.site_id
        and adverse_events_without_reduction.subject_id = ae_first_seen.subject_id
        and adverse_events_without_reduction.ae_sequence = ae_first_seen.ae_sequence
        and adverse_events_without_reduction.action_taken = ae_first_seen.action_taken
        and adverse_events_without_reduction.start_date_text is not distinct from ae_first_seen.start_date_text
        and adverse_events_without_reduction.end_date_text is not distinct from ae_first_seen.end_date_text
),

reduction_for_ae_without_ae as (
    select
        reductions_without_adverse_event_at_site.usubjid,
        reductions_without_adverse_event_at_site.site_id,
        'ex' as form,
        'REDUCTION_FOR_AE_WITHOUT_AE' as rule,
        'MAJOR' as severity,
        reductions_without_adverse_event_at_site.treatment || ' ' || coalesce(reductions_without_adverse_event_at_site.phase, '?')
        || ' cycle ' || coalesce(cast(reductions_without_adverse_event_at_site.cycle as varchar), '?')
        || ' day ' || coalesce(cast(reductions_without_adverse_event_at_site.cycle_day as varchar), '?')
        || ' (EXSTDT ' || cast(reductions_without_adverse_event_at_site.administration_date as varchar)
        || ', EXDOSE ' || cast(reductions_without_adverse_event_at_site.dose as varchar)
        || ' ' || coalesce(reductions_without_adverse_event_at_site.dose_unit, '')
        || '): reduced for an ADVERSE EVENT, but no AE with AEACN DOSE REDUCED from its AESTDT'
        || ' to AEENDT + 28 days covers it' as detail,
        ex_first_seen.first_transfer_id as first_seen_transfer
    from reductions_without_adverse_event_at_site
    left join ex_first_seen
        {{ same_administration('reductions_without_adverse_event_at_site', 'ex_first_seen') }}
        and reductions_without_adverse_event_at_site.dose = ex_first_seen.dose
        and ex_first_seen.adjustment_reason = 'ADVERSE EVENT'
)

select * from ae_dose_reduced_without_reduction
union all
select * from reduction_for_ae_without_ae
