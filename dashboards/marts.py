"""The dbt marts the panels read (``dbt/models/marts/``), by name, in one place.

The report marts have one row per report year × category, built "as at" the report date T
(dbt var ``as_of``): corrections known at T applied, cases withdrawn by T left out. Panels pick
years with the time range (``IN_YEARS``). Viewers read marts only, never the raw event store;
local-area panels read the suppressed viewer tables (``pub_*``, infra/warehouse/viewer.py), whose
small counts are already 'c'. Every table here is one Grafana's ClickHouse user may read (an
explicit list in infra/clickhouse/users.d/cspr-users.xml); the exact per-authority marts
(``fct_*``, ``rpt_notifications_per_la_band``), the case-level overdue list and the
reconciliation rows are for analysts only.
"""

IN_YEARS = "year BETWEEN toYear($__fromTime) AND toYear($__toTime)"

NOTIFICATIONS = "rpt_notifications"  # year × harm_type (+ 'total')
CHILDREN = "rpt_children"  # year × dimension (total, gender, age_band, ethnicity) × value
IMD_QUINTILES = "rpt_imd_quintiles"  # year × imd_quintile
CASE_CHARACTERISTICS = "rpt_case_characteristics"  # year × characteristic × harm_type
SERVICE_INVOLVEMENT = "rpt_service_involvement"  # year × dimension × value × harm_type
MONTHLY = "rpt_notifications_monthly"  # month × harm_type (dbt/models/marts/dashboards/)
PERIOD_CHANGE = "rpt_period_change"  # year: current, previous, pct_change
QUARTERLY = "rpt_quarterly_learning"  # year × quarter: notifications, reviews due/on time/overdue, ...
TIMELINESS = "rpt_rapid_review_timeliness"  # year × period × bucket: received, not_received
NOT_RECEIVED_RANGE = "rpt_rapid_review_not_received_range"  # year × period: min/max working days
REVIEWS_RECEIVED = "rpt_rapid_reviews_received"  # year: reviews received, agrees, disagrees, agreement_pct
LCSPR_DECISIONS = "rpt_lcspr_decisions"  # year × decision
LCSPR_INITIATED = "rpt_lcspr_initiated_by_year"  # initiated_year: lcspr_initiated
LCSPR_REPORTS = "rpt_lcspr_reports"  # year: received, published, intend_to_publish, not_publishing, ...
# viewer tables, suppressed: counts from 1 to the threshold are the string 'c'; period Q1..Q4 or 'year'
LOCAL_AUTHORITIES = "pub_local_authority_notifications"  # year × period × local authority: notifications
REGIONS = "pub_region_notifications"  # year × period × region (and England, E92000001): notifications
LA_BANDS = "pub_notifications_per_la_band"  # year × band of the published figure ('0', 'c', ...): authorities
# year × figure × grouping × group × item: every learning figure (contract v2, LEARNING.md), value 'c'
# or digits, pct null unless the count and its denominator are shown (infra/warehouse/learning_viewer.py)
LEARNING = "pub_learning"
# data quality (dbt/models/marts/data_quality/): about the pipeline, never about a case
DEAD_LETTERS = "rpt_dead_letters"  # day × reason: dead_letters
FRESHNESS = "rpt_event_freshness"  # one row: latest_ingested_at, built_at
ARRIVALS = "rpt_event_arrivals_daily"  # day: late, out_of_order
RECONCILIATION = "rpt_stream_reconciliation_summary"  # figure x year: dimensions agreeing, differing

# the stream's live figures (streams/figures/public.py): national only, written by the worker with
# each snapshot into the raw store's database (cspr, not a vintage: common.LIVE_TABLES)
LIVE_FIGURES = "pub_stream_figures"  # snapshot (taken_at) x figure x year x dimension: value

# Marts a dashboard reads that dbt does not build yet; their panels show "No data" in Grafana until
# they land. The warehouse test fails when one lands (remove it from here then).
PENDING: frozenset[str] = frozenset()
