{{ config(materialized='table') }}
{#- Extra columns (site_extracts.md, What bad input gets): a column the contract does not name
    is kept in the working file's raw layer for audit and never published, and a finding names
    the site, form and column so the data manager can stop it at the source (a site may send a
    patient's name by mistake). One finding per site, form and column of the transfer in
    force; the values are never read. A site-level finding: USUBJID is NULL, so the model is a
    table rebuilt whole (the by-subject strategy replaces rows by USUBJID). -#}
with

transfers_in_force as (
    select transfer_id, site_id
    from {{ ref('stg_transfers_in_force') }}
),

loaded_transfers as (
    select
        TRANSFER_ID as transfer_id,
        SITEID as site_id,
        EXTRACT_DATETIME as extract_datetime
    from {{ source('raw', 'transfers') }}
    where STATUS = 'LOADED'
),

extra_columns_sent as (
    select
        loaded_transfers.site_id,
        loaded_transfers.transfer_id,
        loaded_transfers.extract_datetime,
        extra_columns.FORM as form,
        extra_columns.COLUMN as column_name
    from {{ source('raw', 'extra_columns') }} as extra_columns
    inner join loaded_transfers
        on extra_columns.TRANSFER_ID = loaded_transfers.transfer_id
),

first_sent as (
    select
        site_id,
        form,
        column_name,
        arg_min(transfer_id, (extract_datetime, transfer_id)) as first_seen_transfer
    from extra_columns_sent
    group by site_id, form, column_name
),

extra_column_in_force as (
    select
        cast(null as varchar) as usubjid,
        extra_columns_sent.site_id,
        extra_columns_sent.form,
        'EXTRA_COLUMN' as rule,
        'MAJOR' as severity,
        extra_columns_sent.column_name || ' is not a column of ' || extra_columns_sent.form
        || '.csv (transfer ' || extra_columns_sent.transfer_id || '): kept only in the raw layer '
        || 'of the working warehouse, never published; ask the site to stop sending it' as detail,
        first_sent.first_seen_transfer
    from extra_columns_sent
    inner join transfers_in_force
        on extra_columns_sent.transfer_id = transfers_in_force.transfer_id
    inner join first_sent
        on extra_columns_sent.site_id = first_sent.site_id
        and extra_columns_sent.form = first_sent.form
        and extra_columns_sent.column_name = first_sent.column_name
)

select * from extra_column_in_force
