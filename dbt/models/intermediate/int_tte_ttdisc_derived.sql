{{ config(post_hook="{{ restamp_tte_censored_at_cutoff() }}") }}
{#- adam.md, ADTTE TTDISC: safety population (SAFFL = Y), STARTDT = TRTSDT.
    With an END OF TREATMENT record (EOTDT present), DCTREAS decides at EOTDT: ADVERSE EVENT, or
    DEATH with DTHCAUS ADVERSE EVENT / SECOND PRIMARY MALIGNANCY, is the event (0); PROGRESSIVE
    DISEASE, or DEATH with any other (or no recorded) DTHCAUS, is a competing event (8, CMPEVFL = Y);
    any other reason, or none, is censored (7).
    Without an END OF TREATMENT record: a death from ADVERSE EVENT / SECOND PRIMARY MALIGNANCY is the
    event at DTHDT (0); a death from another cause is a competing event at DTHDT (8); otherwise
    LOST TO FOLLOW-UP at LSTALVDT (2), else CUTOFFDT (3). -#}
with

safety_subjects as (
    select
        usubjid,
        first_dose_date as start_date,
        end_of_treatment_date,
        treatment_discontinuation_reason,
        death_date,
        -- the causes that make a death (at EOT or without an EOT record) the event of interest
        coalesce(death_cause in ('ADVERSE EVENT', 'SECOND PRIMARY MALIGNANCY'), false)
            as is_death_from_ae_or_spm,
        study_discontinuation_reason,
        last_alive_date,
        cutoff_date
    from {{ subject_ref('int_subjects_derived') }}
    where is_safety
),

with_end_of_treatment as (
    select * from safety_subjects
    where end_of_treatment_date is not null
),

without_end_of_treatment as (
    select * from safety_subjects
    where end_of_treatment_date is null
),

event_discontinuation_for_adverse_event as (
    select {{ tte_candidate('TTDISC', 1, 1, 'end_of_treatment_date', 0,
        'DISCONTINUED DUE TO ADVERSE EVENT', source_variable='EOTDT') }}
    from with_end_of_treatment
    where treatment_discontinuation_reason = 'ADVERSE EVENT'
),

event_discontinuation_for_death_from_ae_or_spm as (
    select {{ tte_candidate('TTDISC', 1, 1, 'end_of_treatment_date', 0,
        'DISCONTINUED DUE TO DEATH FROM AE OR SPM', source_variable='EOTDT') }}
    from with_end_of_treatment
    where treatment_discontinuation_reason = 'DEATH' and is_death_from_ae_or_spm
),

competing_discontinuation_for_progression as (
    select {{ tte_candidate('TTDISC', 1, 1, 'end_of_treatment_date', 8,
        'DISCONTINUED DUE TO PROGRESSIVE DISEASE', 'END OF TREATMENT DATE', 'EOTDT') }}
    from with_end_of_treatment
    where treatment_discontinuation_reason = 'PROGRESSIVE DISEASE'
),

competing_discontinuation_for_death_from_other_cause as (
    select {{ tte_candidate('TTDISC', 1, 1, 'end_of_treatment_date', 8,
        'DISCONTINUED DUE TO DEATH FROM OTHER CAUSE', 'END OF TREATMENT DATE', 'EOTDT') }}
    from with_end_of_treatment
    where treatment_discontinuation_reason = 'DEATH' and not is_death_from_ae_or_spm
),

censor_end_of_treatment_for_other_reason as (
    select {{ tte_candidate('TTDISC', 1, 1, 'end_of_treatment_date', 7,
        'END OF TREATMENT FOR ANOTHER REASON', 'END OF TREATMENT DATE', 'EOTDT') }}
    from with_end_of_treatment
    where
        treatment_discontinuation_reason is null
        or treatment_discontinuation_reason not in ('ADVERSE EVENT', 'PROGRESSIVE DISEASE', 'DEATH')
),

event_death_from_ae_or_spm as (
    select {{ tte_candidate('TTDISC', 2, 1, 'death_date', 0,
        'DEATH FROM AE OR SPM', source_variable='DTHDT') }}
    from without_end_of_treatment
    where death_date is not null and is_death_from_ae_or_spm
),

competing_death_from_other_cause as (
    select {{ tte_candidate('TTDISC', 2, 1, 'death_date', 8,
        'DEATH FROM OTHER CAUSE', 'DATE OF DEATH', 'DTHDT') }}
    from without_end_of_treatment
    where death_date is not null and not is_death_from_ae_or_spm
),

censor_lost_to_follow_up as (
    select {{ tte_candidate('TTDISC', 3, 1, 'last_alive_date', 2,
        'LOST TO FOLLOW-UP', 'DATE LAST KNOWN ALIVE', 'LSTALVDT') }}
    from without_end_of_treatment
    where study_discontinuation_reason = 'LOST TO FOLLOW-UP'
),

censor_at_cutoff as (
    select {{ tte_candidate('TTDISC', 4, 1, 'cutoff_date', 3,
        'NO END OF TREATMENT BY CUT-OFF', 'CLINICAL CUT-OFF DATE', 'CUTOFFDT') }}
    from without_end_of_treatment
),

candidates as (
    select * from event_discontinuation_for_adverse_event
    union all
    select * from event_discontinuation_for_death_from_ae_or_spm
    union all
    select * from competing_discontinuation_for_progression
    union all
    select * from competing_discontinuation_for_death_from_other_cause
    union all
    select * from censor_end_of_treatment_for_other_reason
    union all
    select * from event_death_from_ae_or_spm
    union all
    select * from competing_death_from_other_cause
    union all
    select * from censor_lost_to_follow_up
    union all
    select * from censor_at_cutoff
)

{{ first_applicable_tte_rule('candidates') }}
