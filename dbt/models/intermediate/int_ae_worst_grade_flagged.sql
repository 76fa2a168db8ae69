{#- adam.md, ADAE: worst-grade flags (AOCCPFL style). Interpretation: only treatment-emergent AEs with a
    grade are considered (T07 counts TEAEs at their worst grade); "first" = earliest ASTDT, then lowest
    AESPID (a missing start sorts last); a tie on grade flags the first AE only. -#}
with

adverse_events as (
    select * from {{ subject_ref('int_ae_phase_assigned') }}
),

treatment_emergent_graded as (
    select
        usubjid,
        ae_sequence,
        preferred_term,
        system_organ_class,
        toxicity_grade,
        start_date
    from adverse_events
    where is_treatment_emergent and toxicity_grade is not null
),

worst_grade_ranked as (
    -- Rank 1 in each group is the first AE (by ASTDT, then AESPID) among those with the highest grade.
    select
        usubjid,
        ae_sequence,
        row_number() over (
            partition by usubjid, preferred_term
            order by toxicity_grade desc, start_date asc nulls last, ae_sequence asc
        ) as preferred_term_rank,
        row_number() over (
            partition by usubjid, system_organ_class
            order by toxicity_grade desc, start_date asc nulls last, ae_sequence asc
        ) as system_organ_class_rank,
        row_number() over (
            partition by usubjid
            order by toxicity_grade desc, start_date asc nulls last, ae_sequence asc
        ) as subject_rank
    from treatment_emergent_graded
),

worst_grade_flagged as (
    select
        adverse_events.*,
        coalesce(worst_grade_ranked.preferred_term_rank = 1, false) as is_worst_grade_in_preferred_term,
        coalesce(worst_grade_ranked.system_organ_class_rank = 1, false) as is_worst_grade_in_system_organ_class,
        coalesce(worst_grade_ranked.subject_rank = 1, false) as is_worst_grade_in_subject
    from adverse_events
    left join worst_grade_ranked
        on adverse_events.usubjid = worst_grade_ranked.usubjid
        and adverse_events.ae_sequence = worst_grade_ranked.ae_sequence
)

select * from worst_grade_flagged
