{#- On study (adam.md: RESPFL, DOR count "on-study" responses; response.md's confirmed parameters
    take the rows "dated on or after ICFDT"): the rows of `records` (a relation with usubjid)
    whose `date_column` is on or after the subject's ICFDT. A row dated before consent, or of a
    subject without an enr record, is none of the study's; an undated row is on no day. -#}
{% macro on_study(records, date_column) -%}
    select records.*
    from {{ records }} as records
    inner join {{ ref('stg_enr') }} as enrolment
        on records.usubjid = enrolment.usubjid
    where records.{{ date_column }} >= enrolment.icf_date
{%- endmacro %}
