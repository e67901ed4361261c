-- Grain: one row per report year: cases whose first rapid_review.submitted has received_date in
-- Y (any notification year), and of those the Panel's latest feedback known at T (agrees /
-- disagrees, agreement in per cent to one decimal; null when no feedback).
with reviewed as (

    select toUInt16(toYear(assumeNotNull(first_received_date))) as year, panel_agrees
    from {{ ref('int_cases_folded_as_at') }}
    where rapid_review_received

),

counts as (

    select
        year,
        count() as reviews_received,
        countIf(panel_agrees = 1) as agrees,
        countIf(panel_agrees = 0) as disagrees
    from reviewed group by year

)

select
    _y.year as year,
    toUInt64(coalesce(_c.reviews_received, 0)) as reviews_received,
    toUInt64(coalesce(_c.agrees, 0)) as agrees,
    toUInt64(coalesce(_c.disagrees, 0)) as disagrees,
    {{ pct_one_decimal('agrees', 'agrees + disagrees') }} as agreement_pct
from {{ ref('int_report_years') }} as _y
left join counts as _c on _c.year = _y.year
order by year
