{#- adam.md, ADSL: AGE = completed years from 1 July of BRTHYR (only the birth year is
    collected; mid-year is the convention) to ICFDT; AGEGR1 = <65, 65-74, >=75. -#}
with

enrolment as (
    select * from {{ ref('stg_enr') }}
),

demographics as (
    select * from {{ ref('stg_dm') }}
),

age_at_consent as (
    -- the assumed birthday is 1 July: a consent before July falls before that year's birthday;
    -- consent on 1 July itself completes the year.
    select
        enrolment.usubjid,
        cast(
            extract(year from enrolment.icf_date) - demographics.birth_year
            - case when extract(month from enrolment.icf_date) < 7 then 1 else 0 end
            as integer
        ) as age_years
    from enrolment
    inner join demographics on enrolment.usubjid = demographics.usubjid
    where enrolment.icf_date is not null
        and demographics.birth_year is not null
),

age_group as (
    select
        usubjid,
        age_years,
        case
            when age_years < 65 then '<65'
            when age_years < 75 then '65-74'
            else '>=75'
        end as age_group
    from age_at_consent
)

select * from age_group
