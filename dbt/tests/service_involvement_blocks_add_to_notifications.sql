-- Table 5: each block (known_to_csc, court_order, living_situation) adds up, per harm type, to
-- the notifications of that harm type.
with blocks as (
    select year, dimension, harm_type, sum(notifications) as block_total
    from {{ ref('rpt_service_involvement') }} group by year, dimension, harm_type
)
select b.*, n.notifications
from blocks as b
join {{ ref('rpt_notifications') }} as n on n.year = b.year and n.harm_type = b.harm_type
where b.block_total != n.notifications
