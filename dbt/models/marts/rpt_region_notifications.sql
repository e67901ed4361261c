-- Grain: one row per report year x region: notifications in Y, for viewers. Counts from 1 to the
-- suppression threshold show as 'c'; if exactly one region of a year is suppressed, the
-- next-smallest non-zero region is suppressed too, so the national total (published,
-- unsuppressed) minus the shown regions never reveals it.
with regions as (

    select year, region_code, any(region_name) as region_name, sum(notifications) as notification_count
    from {{ ref('fct_local_authority_notifications') }}
    group by year, region_code

),

primary_flags as (

    select *, {{ is_primary_suppressed('notification_count') }} as primary_suppressed
    from regions

),

ranked as (

    select
        *,
        countIf(primary_suppressed) over (partition by year) as primary_in_year,
        row_number() over (
            partition by year
            order by (primary_suppressed or notification_count = 0), notification_count, region_code
        ) as candidate_rank
    from primary_flags

)

select
    year,
    region_code,
    region_name,
    primary_suppressed or (primary_in_year = 1 and candidate_rank = 1 and notification_count > 0
                           and not primary_suppressed) as suppressed,
    {{ shown('notification_count', 'suppressed') }} as notifications
from ranked
order by year, region_code
