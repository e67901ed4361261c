-- The 151 authorities' notifications add to the national total, and every authority is in one band.
with la as (
    select year, sum(notifications) as la_total, count() as authorities
    from {{ ref('fct_local_authority_notifications') }} group by year
),
bands as (
    select year, sum(local_authorities) as in_bands from {{ ref('rpt_notifications_per_la_band') }} group by year
)
select la.year as year from la
join {{ ref('rpt_notifications') }} as n on n.year = la.year and n.harm_type = 'total'
join bands as b on b.year = la.year
where la.la_total != n.notifications or la.authorities != 151 or b.in_bands != 151
