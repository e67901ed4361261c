-- Disclosure control: no shown count is 1..threshold; within a year 0 or >= 2 regions are
-- suppressed (unless the only non-zero region); within a region whose total is shown, 0 or >= 2 authorities are
-- suppressed; within a suppressed region, at least 1. Zeros are never suppressed.
with la as (
    select * from {{ ref('rpt_local_authority_notifications') }}
),
regions as (
    select * from {{ ref('rpt_region_notifications') }}
),
region_counts as (
    select year, countIf(suppressed) as suppressed_regions,
           countIf(not suppressed and notifications != '0') as other_non_zero_regions
    from regions group by year
),
la_counts as (
    select l.year as year, l.region_code as region_code, countIf(l.suppressed) as suppressed_las,
           any(r.suppressed) as region_suppressed
    from la as l join regions as r on r.year = l.year and r.region_code = l.region_code
    group by l.year, l.region_code
)
select year, 'small count shown' as problem from la
where not suppressed and toUInt64OrZero(notifications) between 1 and {{ var('suppression_threshold') }}
union all
select l.year, 'zero suppressed' from la as l
join {{ ref('fct_local_authority_notifications') }} as f
    on f.year = l.year and f.local_authority = l.local_authority
where l.suppressed and f.notifications = 0
union all
-- (a lone suppressed region with no other non-zero region equals the national total, which is
-- published: nothing can protect it)
select year, 'one region suppressed' from region_counts
where suppressed_regions = 1 and other_non_zero_regions > 0
union all
select year, concat('one LA suppressed in shown region ', region_code) from la_counts
where not region_suppressed and suppressed_las = 1
union all
select year, concat('no LA suppressed in suppressed region ', region_code) from la_counts
where region_suppressed and suppressed_las = 0
