{#- response.md section 3: ALGCBOR, the best confirmed computed response on study. One row per ITT
    subject: the best ALGCOVR among the computed time points dated on or after ICFDT, before
    NACTDT, up to and including the first ALGCOVR = PD, up to CUTOFFDT (the CBOR window). The
    rules are the macro best_confirmed_response_by_window, shared with CBORIND/CBORASCT/CBOR. -#}
with

itt_subjects as (
    select
        usubjid,
        icf_date,
        second_line_start_date as next_therapy_date,
        melphalan_date,
        first_maintenance_dose_date as maintenance_start_date,
        end_of_treatment_date,
        cutoff_date
    from {{ subject_ref('int_subjects_derived') }}
    where is_itt
),

computed_covr as (
    select
        usubjid,
        adt,
        algcovr as covr
    from {{ subject_ref('int_imwg_response_confirmed') }}
),

best_confirmed_computed_response as (
    {{ best_confirmed_response_by_window('computed_covr', 'itt_subjects', windows={'ALGCBOR': 'on_study'}) }}
)

select * from best_confirmed_computed_response
