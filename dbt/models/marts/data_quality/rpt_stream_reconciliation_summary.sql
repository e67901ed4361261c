-- Grain: one row per figure x year of rpt_stream_reconciliation: how many of its rows were
-- compared, agree, differ or were not compared. For viewers (the Data quality panel): the rows
-- themselves carry exact counts per local authority and per band, which are for analysts only.
select
    figure,
    year,
    count() as dimensions,
    countIf(comparable = 1 and matches = 1) as agreeing,
    countIf(comparable = 1 and matches = 0) as differing,
    countIf(comparable = 0) as not_compared,
    any(stream_as_of) as stream_as_of,
    any(dbt_as_of) as dbt_as_of,
    any(taken_at) as taken_at
from {{ ref('rpt_stream_reconciliation') }}
group by figure, year
order by differing desc, figure, year
