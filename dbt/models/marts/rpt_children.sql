-- Grain: one row per report year x dimension (total, gender, age_band, ethnicity) x value.
-- The children of the notifications in Y (children as corrected at T).
with children as (

    select toUInt16(toYear(notified_date)) as year, gender, age_band, ethnicity
    from {{ ref('int_children_as_at') }}

),

counts as (

    select year, 'total' as dimension, 'total' as value, count() as children from children group by year
    union all
    select year, 'gender', gender, count() from children group by year, gender
    union all
    select year, 'age_band', age_band, count() from children group by year, age_band
    union all
    select year, 'ethnicity', ethnicity, count() from children group by year, ethnicity

),

grid as (

    select year, 'total' as dimension, 'total' as value, toUInt16(0) as position
    from {{ ref('int_report_years') }}
    {%- for dim in ['gender', 'age_band', 'ethnicity'] %}
    union all
    select _y.year, '{{ dim }}', _e.enum_value, _e.position
    from {{ ref('int_report_years') }} as _y cross join {{ enum_values(dim) }} as _e
    {%- endfor %}

)

select
    _g.year as year,
    _g.dimension as dimension,
    _g.value as value,
    _g.position as position,
    toUInt64(coalesce(_c.children, 0)) as children
from grid as _g
left join counts as _c on _c.year = _g.year and _c.dimension = _g.dimension and _c.value = _g.value
order by year, dimension, position
