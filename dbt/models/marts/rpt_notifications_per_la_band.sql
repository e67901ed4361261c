-- Grain: one row per report year x band (0, 1-2, 3-6, 7+): how many of the 151 local
-- authorities had that many notifications in Y.
with counts as (

    select year, band, count() as local_authorities
    from {{ ref('fct_local_authority_notifications') }}
    group by year, band

)

select
    _y.year as year,
    _e.enum_value as band,
    _e.position as position,
    toUInt64(coalesce(_c.local_authorities, 0)) as local_authorities
from {{ ref('int_report_years') }} as _y
cross join {{ enum_values('la_band') }} as _e
left join counts as _c on _c.year = _y.year and _c.band = _e.enum_value
order by year, position
