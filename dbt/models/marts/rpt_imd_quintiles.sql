-- Grain: one row per report year x imd_quintile ('1'..'5', 'not_recorded'): notifications in Y.
with cases as (

    select
        toUInt16(toYear(notified_date)) as year,
        if(imd_quintile is null, 'not_recorded', toString(imd_quintile)) as imd_quintile
    from {{ ref('int_cases_folded_as_at') }}

),

counts as (

    select year, imd_quintile, count() as notifications from cases group by year, imd_quintile

)

select
    _y.year as year,
    _e.enum_value as imd_quintile,
    _e.position as position,
    toUInt64(coalesce(_c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as _y
cross join {{ enum_values('imd_quintile') }} as _e
left join counts as _c on _c.year = _y.year and _c.imd_quintile = _e.enum_value
order by year, position
