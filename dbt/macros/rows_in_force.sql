{#- The rows of one raw form that the analysis may use: those of the transfers in force
    (each site's newest LOADED transfer, adam.md Data cut-off), each with the cut-off date.
    Every staging model starts from this, so the rule lives in one place. -#}
{% macro rows_in_force(form) -%}
    select
        raw_rows.*,
        data_cut.cutoff_date
    from {{ source('raw', form) }} as raw_rows
    inner join {{ ref('stg_transfers_in_force') }} as transfers_in_force
        on raw_rows.TRANSFER_ID = transfers_in_force.transfer_id
    cross join {{ ref('stg_data_cut') }} as data_cut
{%- endmacro %}
