{#- Transplant chronology: ASCT before consent (site_extracts.md, bad input), and ASCT on or
    before the last induction dose (the protocol gives induction, then melphalan and ASCT). -#}
with

transplants as (
    select usubjid, site_id, subject_id, asct_date
    from {{ ref('stg_sct') }}
    where asct_date is not null
),

consents as (
    select usubjid, site_id, subject_id, icf_date
    from {{ ref('stg_enr') }}
    where icf_date is not null
),

induction_doses as (
    select
        usubjid,
        max(administration_date) as last_induction_date
    from {{ ref('stg_ex') }}
    where phase = 'INDUCTION'
        and dose > 0
    group by usubjid
),

sct_first_seen as (
    {{ record_first_seen('sct', {'ASCTDT': 'asct_date'}) }}
),

enr_first_seen as (
    {{ record_first_seen('enr', {'ICFDT': 'icf_date'}) }}
),

transplants_seen as (
    select
        transplants.*,
        sct_first_seen.first_transfer_id,
        sct_first_seen.first_extract_datetime
    from transplants
    left join sct_first_seen
        on transplants.site_id = sct_first_seen.site_id
        and transplants.subject_id = sct_first_seen.subject_id
        and transplants.asct_date = sct_first_seen.asct_date
),

asct_before_consent as (
    select
        transplants_seen.usubjid,
        transplants_seen.site_id,
        'sct' as form,
        'ASCT_BEFORE_CONSENT' as rule,
        'CRITICAL' as severity,
        'ASCTDT ' || cast(transplants_seen.asct_date as varchar) || ' before ICFDT '
        || cast(consents.icf_date as varchar) as detail,
        {{ later_transfer('transplants_seen', 'enr_first_seen') }} as first_seen_transfer
    from transplants_seen
    inner join consents
        on transplants_seen.usubjid = consents.usubjid
    left join enr_first_seen
        on consents.site_id = enr_first_seen.site_id
        and consents.subject_id = enr_first_seen.subject_id
        and consents.icf_date = enr_first_seen.icf_date
    where transplants_seen.asct_date < consents.icf_date
),

asct_before_induction_end as (
    select
        transplants_seen.usubjid,
        transplants_seen.site_id,
        'sct' as form,
        'ASCT_BEFORE_INDUCTION_END' as rule,
        'MAJOR' as severity,
        'ASCTDT ' || cast(transplants_seen.asct_date as varchar) || ' not after the last induction dose ('
        || cast(induction_doses.last_induction_date as varchar) || ')' as detail,
        transplants_seen.first_transfer_id as first_seen_transfer
    from transplants_seen
    inner join induction_doses
        on transplants_seen.usubjid = induction_doses.usubjid
    where transplants_seen.asct_date <= induction_doses.last_induction_date
)

select * from asct_before_consent
union all
select * from asct_before_induction_end
