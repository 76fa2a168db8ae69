{#- response.md section 1: CBORIND, CBORASCT, CBOR. One row per ITT subject x parameter: the best
    COVR among the investigator's confirmed time points dated on or after ICFDT, before NACTDT,
    up to and including the first COVR = PD, in the window of BORIND / BORASCT / BOR. The rules
    are the macro best_confirmed_response_by_window, shared with the computed ALGCBOR. -#}
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

investigator_covr as (
    select
        usubjid,
        adt,
        covr
    from {{ subject_ref('int_response_confirmed') }}
),

best_confirmed_response as (
    {{ best_confirmed_response_by_window('investigator_covr', 'itt_subjects') }}
)

select * from best_confirmed_response
