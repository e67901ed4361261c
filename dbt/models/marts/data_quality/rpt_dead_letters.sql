-- Grain: one row per day (UTC date dead-lettered) x reason: rejected messages.
select
    toDate(dead_lettered_at) as day,
    reason,
    toUInt64(count()) as dead_letters
from {{ ref('stg_dead_letters') }}
group by day, reason
order by day, reason
