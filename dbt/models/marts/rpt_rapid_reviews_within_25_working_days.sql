-- Grain: one row per report year x period (relaxation, outside_relaxation, all) (para 64;
-- producers/reference/LEARNING.md): the rapid reviews of rpt_rapid_review_timeliness, received
-- or not, and those received within 25 working days (buckets 1-15 and 16-25).
with counts as (

    select
        year,
        period,
        sum(received + not_received) as reviews,
        sumIf(received, bucket in ('1-15', '16-25')) as within_25
    from {{ ref('rpt_rapid_review_timeliness') }}
    group by year, period

)

select
    _c.year as year,
    _c.period as period,
    toUInt64(_c.reviews) as reviews,
    toUInt64(_c.within_25) as within_25,
    {{ pct_one_decimal('_c.within_25', '_c.reviews') }} as pct
from counts as _c
order by year, period
