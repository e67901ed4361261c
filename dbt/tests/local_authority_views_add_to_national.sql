-- The 151 authorities' notifications add to the national total, and every authority is in one band.
with la as (
    select year, sum(notifications) as la_total, count() as authorities
    from {{ ref('fct_local_authority_notifications') }} group by year
),
bands as (
    select year, sum(local_authorities) as in_bands from {{ ref('rpt_notifications_per_la_band') }} group by year
)
select _la.year as year from la as _la
join {{ ref('rpt_notifications') }} as _n on _n.year = _la.year and _n.harm_type = 'total'
join bands as _b on _b.year = _la.year
where _la.la_total != _n.notifications or _la.authorities != 151 or _b.in_bands != 151
