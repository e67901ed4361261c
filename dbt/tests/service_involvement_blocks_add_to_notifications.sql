-- Table 5: each block (known_to_csc, court_order, living_situation) adds up, per harm type, to
-- the notifications of that harm type.
with blocks as (
    select year, dimension, harm_type, sum(notifications) as block_total
    from {{ ref('rpt_service_involvement') }} group by year, dimension, harm_type
)
select _b.*, _n.notifications
from blocks as _b
join {{ ref('rpt_notifications') }} as _n on _n.year = _b.year and _n.harm_type = _b.harm_type
where _b.block_total != _n.notifications
