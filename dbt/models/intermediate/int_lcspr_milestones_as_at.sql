-- One row per case of int_cases_folded_as_at with any LCSPR report or publication known at T:
-- its lcspr.report_received and lcspr.published events as arrays of
-- (time, case_seq, date[, publication_intent]) sorted by (time, case_seq), and its latest
-- initiated_date. Arrays because the report's status depends on the report year (dates on or
-- before 31 December Y), which the mart applies per year.
with cases as (

    select subject, lcspr_initiated_date from {{ ref('int_cases_folded_as_at') }}

),

reports as (

    select
        subject,
        arraySort(groupArray((event_time, case_seq, received_date, publication_intent))) as reports
    from {{ effective_as_at('stg_lcspr_report_received') }}
    group by subject

),

publications as (

    select
        subject,
        arraySort(groupArray((event_time, case_seq, published_date))) as publications
    from {{ effective_as_at('stg_lcspr_published') }}
    group by subject

)

select
    subject,
    c.lcspr_initiated_date as lcspr_initiated_date,
    r.reports as reports,
    p.publications as publications
from cases as c
left join reports as r using (subject)
left join publications as p using (subject)
where notEmpty(r.reports) or notEmpty(p.publications)
