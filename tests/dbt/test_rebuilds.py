"""The marts are projections: a full rebuild gives identical marts, and an incremental run after
new events gives the same marts as a full rebuild from scratch."""

from __future__ import annotations

import datetime as dt

from producers.reference.history import replay
from tests.dbt.loading import build, load_replay
from tests.dbt.random_history import random_history

AS_OF = dt.date(2021, 12, 31)
COMPARED = (
    "int_case_states_as_at", "rpt_notifications", "rpt_children", "rpt_imd_quintiles", "rpt_death_categories",
    "rpt_maltreatment_subcategories", "rpt_non_fatal_categories", "rpt_case_characteristics",
    "rpt_service_involvement", "fct_local_authority_notifications", "rpt_notifications_per_la_band",
    "pub_local_authority_notifications", "pub_region_notifications", "pub_notifications_per_la_band",
    "rpt_period_change",
    "rpt_rapid_review_timeliness", "rpt_rapid_review_not_received_range", "rpt_rapid_reviews_received",
    "rpt_lcspr_decisions", "rpt_lcspr_initiated_by_year", "rpt_lcspr_reports", "rpt_quarterly_learning",
)
VOLATILE = {"int_case_states_as_at": "last_ingested_at, folded_at"}  # when rows arrived differs between loads


def snapshot(client, db):
    out = {}
    for model in COMPARED:
        except_ = f" EXCEPT ({VOLATILE[model]})" if model in VOLATILE else ""
        out[model] = client.query(f"SELECT *{except_} FROM {db}.{model} ORDER BY ALL").result_rows
    return out


def test_full_rebuild_and_incremental_runs_give_identical_marts(warehouse):
    result = replay(random_history(seed=5, cases=220))
    cut = len(result.accepted) * 2 // 3
    first, rest = result.accepted[:cut], result.accepted[cut:]
    inc, full = warehouse.new_database("inc"), warehouse.new_database("full")
    try:
        # incremental: two thirds of the history, a build, the rest, an incremental build
        load_replay(warehouse.client, inc, type(result)(accepted=first))
        build(warehouse.data_dir, inc, AS_OF)
        partial = snapshot(warehouse.client, inc)
        load_replay(warehouse.client, inc, type(result)(accepted=rest), start_offset=cut)
        build(warehouse.data_dir, inc, AS_OF, "--exclude", "resource_type:test", command="build")
        compiled = next((warehouse.data_dir / "dbt" / "target" / inc / "run").rglob("int_case_states_as_at.sql"))
        assert "ingested_at >= toDateTime64(" in compiled.read_text()  # only the cases with new events
        # full: everything at once, from scratch
        load_replay(warehouse.client, full, result)
        build(warehouse.data_dir, full, AS_OF, "--full-refresh", "--exclude", "resource_type:test")
        once = snapshot(warehouse.client, full)
        assert once != partial  # the new events changed the figures
        assert snapshot(warehouse.client, inc) == once
        # and rebuilding everything again changes nothing
        build(warehouse.data_dir, full, AS_OF, "--full-refresh", "--exclude", "resource_type:test")
        assert snapshot(warehouse.client, full) == once
    finally:
        warehouse.drop(inc)
        warehouse.drop(full)
