{#- The rows of one raw form that the analysis may use: those of the transfers in force
    (each site's newest LOADED transfer, adam.md Data cut-off), each with the cut-off date.
    Every staging model starts from this, so the rule lives in one place. In a build by subject
    only the scope's subjects (macros/build_by_subject.sql). contract_version: the version the
    row's transfer declared (site_extracts.md, Contract versions), for the staging rules that
    read an earlier version's rows (stg_rs.pd_basis). -#}
{% macro rows_in_force(form) -%}
    select
        raw_rows.*,
        transfers_in_force.contract_version,
        data_cut.cutoff_date
    from {{ source('raw', form) }} as raw_rows
    inner join {{ ref('stg_transfers_in_force') }} as transfers_in_force
        on raw_rows.TRANSFER_ID = transfers_in_force.transfer_id
    cross join {{ ref('stg_data_cut') }} as data_cut
    where {{ in_build_scope('raw_rows.SUBJID') }}
{%- endmacro %}
