{#- submission.md / adam.md, ADEX: BDS, one row per subject x drug (PARCAT1) x phase (APHASE, with
    the per-drug totals APHASE = ALL) x parameter. The derivations live in int_exposure_summarised
    (one wide row per subject x drug x phase) and int_dose_reduction_causes_collected (one row per
    cause); this model unpivots them into parameters, names them and numbers the rows. -#}
with

exposure as (
    select * from {{ subject_ref('int_exposure_summarised') }}
),

reduction_causes as (
    select * from {{ subject_ref('int_dose_reduction_causes_collected') }}
),

subjects as (
    select
        STUDYID as studyid,
        USUBJID as usubjid,
        TRT01P as trt01p,
        TRT01A as trt01a
    from {{ subject_ref('adsl') }}
),

parameters as (
    select 1 as paramn, 'CUMDOSE' as paramcd, 'Actual Cumulative Dose' as param
    union all
    select 2, 'PLDOSE', 'Planned Cumulative Dose'
    union all
    select 3, 'RDI', 'Relative Dose Intensity (Fraction)'
    union all
    select 4, 'NADM', 'Number of Administrations Given'
    union all
    select 5, 'NRED', 'Number of Reduced Administrations'
    union all
    select 6, 'NSKIP', 'Number of Skipped Administrations'
    union all
    select 7, 'DURD', 'Duration of Administration (Days)'
    union all
    select 8, 'NCYCLE', 'Number of Started Cycles'
    union all
    select 9, 'REDCAUS', 'Cause of Dose Reduction'
),

relative_dose_intensity as (
    -- RDI = actual / planned cumulative dose, as a fraction. Nothing planned (a drug given only on
    -- unscheduled days): no RDI row, as there is no intensity to report.
    select
        usubjid,
        treatment,
        phase,
        actual_cumulative_dose / planned_cumulative_dose as rdi
    from exposure
    where planned_cumulative_dose > 0
),

duration_first_to_last_administration as (
    -- DURD = last - first administration given (EXDOSE > 0) + 1 days, per phase and over all phases
    -- (ALL). A drug x phase with no dose > 0 (every scheduled dose skipped): no DURD row.
    select
        usubjid,
        treatment,
        phase,
        date_diff('day', first_administration_date, last_administration_date) + 1 as duration_days
    from exposure
    where first_administration_date is not null
),

numeric_parameters_unpivoted as (
    -- Doses in the unit recorded and scheduled (MG/KG, MG, MG/M2; never converted); DURD in DAYS;
    -- counts and the RDI fraction carry no unit.
    select
        usubjid,
        treatment,
        phase,
        'CUMDOSE' as paramcd,
        actual_cumulative_dose as aval,
        dose_unit as avalu
    from exposure
    union all
    select usubjid, treatment, phase, 'PLDOSE', planned_cumulative_dose, dose_unit
    from exposure
    union all
    select usubjid, treatment, phase, 'RDI', rdi, null
    from relative_dose_intensity
    union all
    select usubjid, treatment, phase, 'NADM', administrations_given, null
    from exposure
    union all
    select usubjid, treatment, phase, 'NRED', administrations_reduced, null
    from exposure
    union all
    select usubjid, treatment, phase, 'NSKIP', administrations_skipped, null
    from exposure
    union all
    select usubjid, treatment, phase, 'DURD', duration_days, 'DAYS'
    from duration_first_to_last_administration
    union all
    select usubjid, treatment, phase, 'NCYCLE', started_cycles, null
    from exposure
),

parameter_rows as (
    select
        usubjid,
        treatment,
        phase,
        paramcd,
        cast(aval as double) as aval,
        cast(null as varchar) as avalc,
        avalu
    from numeric_parameters_unpivoted
    union all
    -- REDCAUS: one row per distinct cause of the reductions (AVALC), no AVAL
    select
        usubjid,
        treatment,
        phase,
        'REDCAUS',
        cast(null as double),
        reduction_reason,
        cast(null as varchar)
    from reduction_causes
),

rows_of_adsl_subjects as (
    -- Every ADaM dataset describes subjects of ADSL: the doses of a subject without an ADSL row
    -- (consent record quarantined, consent after the cut-off) wait in raw until the site fixes it.
    select
        subjects.studyid,
        subjects.trt01p,
        subjects.trt01a,
        parameter_rows.*
    from parameter_rows
    inner join subjects
        on parameter_rows.usubjid = subjects.usubjid
),

sequence_numbered as (
    -- ASEQ: 1..n within the subject in the dataset's key order (meta.keys)
    select
        rows_of_adsl_subjects.*,
        parameters.param,
        parameters.paramn,
        row_number() over (
            partition by rows_of_adsl_subjects.usubjid
            order by
                rows_of_adsl_subjects.treatment,
                rows_of_adsl_subjects.phase,
                rows_of_adsl_subjects.paramcd,
                rows_of_adsl_subjects.avalc
        ) as aseq
    from rows_of_adsl_subjects
    inner join parameters
        on rows_of_adsl_subjects.paramcd = parameters.paramcd
)

select
    studyid as STUDYID,
    usubjid as USUBJID,
    cast(aseq as integer) as ASEQ,
    trt01p as TRTP,
    trt01a as TRTA,
    treatment as PARCAT1,
    phase as APHASE,
    paramcd as PARAMCD,
    param as PARAM,
    cast(paramn as integer) as PARAMN,
    aval as AVAL,
    avalc as AVALC,
    avalu as AVALU
from sequence_numbered
-- Sorted by the dataset's key, so every build (and its .xpt file) lists rows the same way.
order by {{ adam_order_by() }}
