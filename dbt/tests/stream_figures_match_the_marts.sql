{{ config(severity='error') }}
-- Two computations, one answer: every figure the stream's snapshot and the marts can compare
-- (same report date, or a figure that does not depend on it) has the same value on both sides.
select figure, year, dimension, stream_value, dbt_value, difference
from {{ ref('rpt_stream_reconciliation') }}
where comparable = 1 and matches = 0
