{#- adam.md, ADSL: NT2SDT = NTSTDT of NTLINE 2; PD2DT = NTPDDT of NTLINE 2, or, when that is
    empty and an NTLINE 3 exists, the NTSTDT of line 3 (starting a third line implies
    progression on the second). PD2DTSRC names the variable PD2DT came from: NTPDDT (line 2)
    or NTSTDT (line 3). Staging drops lines started after the cut-off and blanks NTPDDT after it. -#}
with

next_therapy as (
    select * from {{ ref('stg_nt') }}
),

second_line as (
    -- nt key is (SUBJID, NTLINE): at most one record per subject and line.
    select
        usubjid,
        start_date,
        progression_date
    from next_therapy
    where line_number = 2
),

third_line as (
    select
        usubjid,
        start_date
    from next_therapy
    where line_number = 3
),

subjects_with_next_therapy as (
    select usubjid from second_line
    union
    select usubjid from third_line
),

second_progression as (
    select
        subjects_with_next_therapy.usubjid,
        second_line.start_date as second_line_start_date,
        coalesce(second_line.progression_date, third_line.start_date) as second_progression_date,
        case
            when second_line.progression_date is not null then 'NTPDDT'
            when third_line.start_date is not null then 'NTSTDT'
        end as second_progression_date_source
    from subjects_with_next_therapy
    left join second_line on subjects_with_next_therapy.usubjid = second_line.usubjid
    left join third_line on subjects_with_next_therapy.usubjid = third_line.usubjid
)

select * from second_progression
