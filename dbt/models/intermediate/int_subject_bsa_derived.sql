{#- endpoints.md, T11: BSA (Mosteller) = sqrt(height (cm) x weight (kg) / 3600) in m2, from the
    baseline dm HEIGHT and WEIGHT; no BSA without both, or with a value that is not positive. -#}
with

demographics as (
    select * from {{ ref('stg_dm') }}
),

body_surface_area_mosteller as (
    select
        usubjid,
        case
            when height_cm > 0 and weight_kg > 0
                then sqrt(cast(height_cm as double) * cast(weight_kg as double) / 3600.0)
        end as body_surface_area
    from demographics
)

select * from body_surface_area_mosteller
