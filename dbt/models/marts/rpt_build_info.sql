-- Grain: one row: the report date T the marts were built for, and when. `report figures` checks
-- it so it never prints figures of another date.
select
    {{ as_of_date() }} as as_of,
    now64(6, 'UTC') as built_at
