-- Grain: one row per report year x local authority (all 151, zeros included): notifications in
-- Y by harm type. Unsuppressed: for the Panel's own figures, never for viewers (see
-- rpt_local_authority_notifications).
with counts as (

    select
        toUInt16(toYear(notified_date)) as year,
        local_authority,
        count() as notifications,
        countIf(harm_type = 'death') as death,
        countIf(harm_type = 'serious_harm') as serious_harm,
        countIf(harm_type = 'other') as other
    from {{ ref('int_cases_folded_as_at') }}
    group by year, local_authority

)

select
    _y.year as year,
    _la.code as local_authority,
    _la.name as local_authority_name,
    _la.region_code as region_code,
    _la.region_name as region_name,
    toUInt64(coalesce(_c.notifications, 0)) as notifications,
    toUInt64(coalesce(_c.death, 0)) as death,
    toUInt64(coalesce(_c.serious_harm, 0)) as serious_harm,
    toUInt64(coalesce(_c.other, 0)) as other,
    multiIf(notifications = 0, '0', notifications <= 2, '1-2', notifications <= 6, '3-6', '7+') as band
from {{ ref('int_report_years') }} as _y
cross join {{ ref('local_authorities') }} as _la
left join counts as _c on _c.year = _y.year and _c.local_authority = _la.code
order by year, local_authority
