-- Grain: one row per report year x dimension (known_to_csc, court_order, living_situation) x
-- value x harm_type: notifications in Y by the case's service involvement as corrected at T.
with cases as (

    select toUInt16(toYear(notified_date)) as year, harm_type, known_to_csc, court_order, living_situation
    from {{ ref('int_cases_folded_as_at') }}

),

counts as (

    {%- for dim in ['known_to_csc', 'court_order', 'living_situation'] %}
    {% if not loop.first %}union all{% endif %}
    select year, '{{ dim }}' as dimension, {{ dim }} as value, harm_type, count() as notifications
    from cases group by year, value, harm_type
    {%- endfor %}

),

grid as (

    {%- for dim in ['known_to_csc', 'court_order', 'living_situation'] %}
    {% if not loop.first %}union all{% endif %}
    select _y.year as year, '{{ dim }}' as dimension, _e.enum_value as value, _e.position as position
    from {{ ref('int_report_years') }} as _y cross join {{ enum_values(dim) }} as _e
    {%- endfor %}

)

select
    _g.year as year,
    _g.dimension as dimension,
    _g.value as value,
    _h.enum_value as harm_type,
    _g.position as position,
    toUInt64(coalesce(_c.notifications, 0)) as notifications
from grid as _g
cross join {{ enum_values('harm_type') }} as _h
left join counts as _c
    on _c.year = _g.year and _c.dimension = _g.dimension and _c.value = _g.value and _c.harm_type = _h.enum_value
order by year, dimension, position, harm_type
