-- Grain: one row per report year x local authority (151): notifications in Y, for viewers.
-- Counts from 1 to the suppression threshold show as 'c'; zeros stay 0. Secondary suppression
-- within each region: when the region's total is shown (rpt_region_notifications), a region
-- needs 0 or at least 2 suppressed authorities; when the region's total is itself suppressed, at
-- least 1 (so the shown authorities never add up to it).
with authorities as (

    select
        year, local_authority, local_authority_name, region_code, region_name, notifications as notification_count,
        {{ is_primary_suppressed('notification_count') }} as primary_suppressed
    from {{ ref('fct_local_authority_notifications') }}

),

regions as (

    select year, region_code, suppressed as region_suppressed
    from {{ ref('rpt_region_notifications') }}

),

ranked as (

    select
        a.*,
        r.region_suppressed as region_suppressed,
        countIf(a.primary_suppressed) over (partition by a.year, a.region_code) as primary_in_region,
        row_number() over (
            partition by a.year, a.region_code
            order by (a.primary_suppressed or a.notification_count = 0), a.notification_count, a.local_authority
        ) as candidate_rank
    from authorities as a
    left join regions as r on r.year = a.year and r.region_code = a.region_code

),

flagged as (

    select
        *,
        -- how many more must be suppressed in this region
        if(region_suppressed, if(primary_in_region = 0, 1, 0), if(primary_in_region = 1, 1, 0))
            as secondary_needed
    from ranked

)

select
    year,
    local_authority,
    local_authority_name,
    region_code,
    region_name,
    primary_suppressed
        or (secondary_needed = 1 and candidate_rank = 1 and notification_count > 0 and not primary_suppressed)
        as suppressed,
    {{ shown('notification_count', 'suppressed') }} as notifications
from flagged
order by year, local_authority
