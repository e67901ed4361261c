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
    select y.year as year, '{{ dim }}' as dimension, e.enum_value as value, e.position as position
    from {{ ref('int_report_years') }} as y cross join {{ enum_values(dim) }} as e
    {%- endfor %}

)

select
    g.year as year,
    g.dimension as dimension,
    g.value as value,
    h.enum_value as harm_type,
    g.position as position,
    toUInt64(coalesce(c.notifications, 0)) as notifications
from grid as g
cross join {{ enum_values('harm_type') }} as h
left join counts as c
    on c.year = g.year and c.dimension = g.dimension and c.value = g.value and c.harm_type = h.enum_value
order by year, dimension, position, harm_type
