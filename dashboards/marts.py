"""The dbt marts the panels read (``dbt/models/marts/``), by name, in one place.

Viewers read marts only, never the raw event store. Local-area panels read the suppressed
``viewer`` marts, whose small counts are already the string 'c'.
"""

NOTIFICATIONS = "fct_notifications"
CHILDREN = "fct_children"
RAPID_REVIEWS = "fct_rapid_reviews"
LCSPRS = "fct_lcsprs"
CASE_CHARACTERISTICS = "fct_case_characteristics"
LOCAL_AREA = "rpt_local_area_notifications"
DEAD_LETTERS = "rpt_dead_letters"
FRESHNESS = "rpt_event_freshness"
RECONCILIATION = "rpt_stream_reconciliation"
