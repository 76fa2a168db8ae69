{#- adam.md, Data cut-off: the transfers in force are each site's newest LOADED transfer,
    optionally only among those extracted at or before as_of. -#}
with

source as (
    select * from {{ source('raw', 'transfers') }}
),

loaded_transfers as (
    select
        TRANSFER_ID as transfer_id,
        SITEID as site_id,
        EXTRACT_DATETIME as extract_datetime,
        CONTRACT_VERSION as contract_version
    from source
    where {{ is_loaded_transfer('source') }}
),

newest_transfer_per_site as (
    select
        transfer_id,
        site_id,
        extract_datetime,
        contract_version,
        row_number() over (
            partition by site_id order by extract_datetime desc, transfer_id desc
        ) as recency_rank
    from loaded_transfers
)

select
    transfer_id,
    site_id,
    extract_datetime,
    contract_version
from newest_transfer_per_site
where recency_rank = 1
