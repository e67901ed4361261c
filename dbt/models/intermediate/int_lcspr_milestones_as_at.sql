-- One row per case of int_cases_folded_as_at with any LCSPR report or publication known at T:
-- its lcspr.report_received and lcspr.published events as arrays of
-- (time, case_seq, date[, publication_intent]) sorted by (time, case_seq), and its latest
-- initiated_date. Arrays because the report's status depends on the report year (dates on or
-- before 31 December Y), which the mart applies per year. A view over the incremental fold.
{{ config(materialized='view') }}
select
    subject,
    lcspr_initiated_date,
    lcspr_reports as reports,
    lcspr_publications as publications
from {{ ref('int_cases_folded_as_at') }}
where notEmpty(lcspr_reports) or notEmpty(lcspr_publications)
