-- Every rapid review due in a year (requested completion date in Y) is in exactly one bucket of
-- 'all', and 'relaxation' + 'outside_relaxation' = 'all', bucket by bucket.
with due as (
    select toUInt16(toYear(requested_completion_date)) as year, count() as reviews_due
    from {{ ref('int_cases_folded_as_at') }} group by year
),
buckets as (
    select year, sum(reviews_due) as in_buckets
    from {{ ref('rpt_rapid_review_timeliness') }} where period = 'all' group by year
),
split as (
    select year, bucket,
           sumIf(reviews_due, period = 'all') as all_due,
           sumIf(reviews_due, period != 'all') as parts_due
    from {{ ref('rpt_rapid_review_timeliness') }} group by year, bucket
)
select _b.year as year, 'bucket total' as problem from buckets as _b
left join due as _d on _d.year = _b.year
where _b.in_buckets != coalesce(_d.reviews_due, 0)
union all
select year, concat('periods of ', bucket) from split where all_due != parts_due
