"""The dbt marts the panels read (``dbt/models/marts/``), by name, in one place.

The report marts have one row per report year × category, built "as at" the report date T
(dbt var ``as_of``): corrections known at T applied, cases withdrawn by T left out. Panels pick
years with the time range (``IN_YEARS``). Viewers read marts only, never the raw event store;
local-area panels read the suppressed viewer marts, whose small counts are already 'c'.
"""

IN_YEARS = "year BETWEEN toYear($__fromTime) AND toYear($__toTime)"

NOTIFICATIONS = "rpt_notifications"  # year × harm_type (+ 'total')
CHILDREN = "rpt_children"  # year × dimension (total, gender, age_band, ethnicity) × value
IMD_QUINTILES = "rpt_imd_quintiles"  # year × imd_quintile
CASE_CHARACTERISTICS = "rpt_case_characteristics"  # year × characteristic × harm_type
SERVICE_INVOLVEMENT = "rpt_service_involvement"  # year × dimension × value × harm_type
DEATH_CATEGORIES = "rpt_death_categories"  # year × category
NON_FATAL_CATEGORIES = "rpt_non_fatal_categories"  # year × category × harm_type
NOTIFICATIONS_MONTHLY = "rpt_notifications_monthly"  # month × harm_type
PERIOD_CHANGE = "rpt_period_change"  # year: current, previous, pct_change
TIMELINESS = "rpt_rapid_review_timeliness"  # year × period × bucket: received, not_received
OVERDUE = "rpt_overdue_rapid_reviews"  # one row per review not received and past its due date
REVIEWS_RECEIVED = "rpt_rapid_reviews_received"  # year: reviews received
PANEL_FEEDBACK = "rpt_panel_feedback"  # year: agrees, disagrees, agreement_pct
LCSPR_DECISIONS = "rpt_lcspr_decisions"  # year × decision
LCSPR_INITIATED = "rpt_lcspr_initiated"  # year: initiated
LCSPR_REPORTS = "rpt_lcspr_reports"  # year: received, published, ..., published_over_200_working_days
LOCAL_AREA = "rpt_local_area_notifications"  # viewer mart, suppressed: year × local authority
DEAD_LETTERS = "rpt_dead_letters"  # day × reason
FRESHNESS = "rpt_event_freshness"  # one row: latest event time, latest ingested_at, built_at
RECONCILIATION = "rpt_stream_reconciliation"  # figure × stream_value × dbt_value
