"""Every panel's SQL runs on the marts built from the calibrated 2020 history, and a panel that
shows a figure of the annual report shows the acceptance value."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from dashboards import builders
from dashboards.marts import PENDING
from dashboards.panel import Panel, fill

YEAR_2020 = {"from_time": "2020-01-01 00:00:00", "to_time": "2020-12-31 23:59:59"}
# the data-quality marts are about arrival (ingested_at = when the test loaded the history)
UP_TO_NOW = {"from_time": "2018-01-01 00:00:00", "to_time": f"{dt.date.today() + dt.timedelta(days=1)} 00:00:00"}
DATA_QUALITY = {p.key for p in builders()["data_quality"]().specs}
LEEDS = "E08000035"
ALL = [spec for make in builders().values() for spec in make().specs]


def tables(p: Panel) -> set[str]:
    return set(re.findall(r"\$\{database\}\.(\w+)", p.sql))


def run(built, p: Panel, **time) -> list[dict]:
    sql = fill(p.sql, database=built.database, local_authority=LEEDS, **(time or YEAR_2020))
    res = built.client.query(sql)
    return [dict(zip(res.column_names, r, strict=True)) for r in res.result_rows]


def by(rows: list[dict], key: str, value: str) -> dict:
    return {str(r[key]): r[value] for r in rows}


def test_the_pending_marts_are_exactly_those_dbt_does_not_build(report_2020_marts):
    have = {r[0] for r in report_2020_marts.client.query(
        f"SELECT name FROM system.tables WHERE database = '{report_2020_marts.database}'").result_rows}
    read = set().union(*(tables(p) for p in ALL))
    assert read - have == PENDING, "update dashboards.marts.PENDING"


@pytest.mark.parametrize("p", [p for p in ALL if not tables(p) & PENDING], ids=lambda p: p.key)
def test_every_panel_query_runs_on_the_marts_and_returns_its_columns(report_2020_marts, p):
    rows = run(report_2020_marts, p, **(UP_TO_NOW if p.key in DATA_QUALITY else {}))
    assert rows, f"{p.key} returned nothing for 2020"
    wanted = ([p.x] if p.x else []) + list(p.series)
    assert set(wanted) <= set(rows[0]), f"{p.key}: columns {list(rows[0])}, wanted {wanted}"


def panel(key: str) -> Panel:
    (p,) = [p for p in ALL if p.key == key]
    return p


def test_national_overview_shows_the_report_figures(report_2020_marts):
    f = report_2020_marts.figures
    rows = run(report_2020_marts, panel("notifications_by_harm_type_barchart"))
    assert by(rows, "harm_type", "notifications") == {k: v for k, v in f["notifications"].items() if k != "total"}
    (change,) = run(report_2020_marts, panel("change_on_a_year_earlier_stat"))
    pc = f["period_change"]
    assert (change["current"], change["previous"], change["pct_change"]) == (pc["current"], pc["previous"], pc["pct_change"])
    months = run(report_2020_marts, panel("notifications_by_month_barchart"))
    assert [m["month"] for m in months] == [f"2020-{m:02d}" for m in range(1, 13)]
    total = {m["month"]: m["death"] + m["serious_harm"] + m["other"] for m in months}
    assert sum(total.values()) == f["notifications"]["total"]
    assert sum(total[f"2020-{m:02d}"] for m in range(4, 10)) == pc["current"]  # April–September
    rolling = run(report_2020_marts, panel("rolling_twelve_months_timeseries"))
    assert len(rolling) == 12 and rolling[-1]["rolling_twelve_months"] == f["notifications"]["total"]
    earlier = run(report_2020_marts, panel("rolling_twelve_months_timeseries"),
                  from_time="2019-09-01 00:00:00", to_time="2019-09-30 23:59:59")
    assert earlier[0]["rolling_twelve_months"] > 0  # months of 2018-2019 are summed too
    quarters = run(report_2020_marts, panel("quarter_on_a_year_earlier_table"))
    assert [q["quarter"] for q in quarters] == ["2020 Q1", "2020 Q2", "2020 Q3", "2020 Q4"]
    assert sum(q["notifications"] for q in quarters) == f["notifications"]["total"]


def test_timeliness_panels_show_tables_6_to_8(report_2020_marts):
    t = report_2020_marts.figures["rapid_review_timeliness"]
    rows = run(report_2020_marts, panel("timeliness_buckets_barchart"))
    assert {r["timeliness_bucket"]: {"received": r["received"], "not_received": r["not_received"]}
            for r in rows} == t["all"]
    split = run(report_2020_marts, panel("relaxation_window_barchart"))
    for r in split:
        for period in ("relaxation", "outside_relaxation"):
            assert r[period] == sum(t[period][r["timeliness_bucket"]].values())
    ranges = run(report_2020_marts, panel("not_received_working_days_table"))
    assert {r["period"]: {"min": r["min_working_days"], "max": r["max_working_days"]} for r in ranges} == \
        t["not_received_working_days"]
    (on_time,) = run(report_2020_marts, panel("on_time_share_stat"))
    assert on_time["on_time"] == t["all"]["1-15"]["received"]
    assert on_time["due"] == sum(sum(b.values()) for b in t["all"].values())


def test_lcspr_panels_show_paragraphs_67_and_70(report_2020_marts):
    f = report_2020_marts.figures
    assert by(run(report_2020_marts, panel("lcspr_decisions_piechart")), "decision", "notifications") == \
        f["lcspr_decisions"]
    (agree,) = run(report_2020_marts, panel("panel_agreement_stat"))
    assert {k: agree[k] for k in ("agrees", "disagrees", "agreement_pct")} == f["panel_feedback"]
    assert agree["reviews_received"] == f["rapid_reviews_received_in_year"]
    assert by(run(report_2020_marts, panel("lcspr_initiated_barchart")), "year", "initiated") == \
        f["lcspr_initiated_by_year"]
    reports = by(run(report_2020_marts, panel("lcspr_reports_barchart")), "status", "reports")
    assert reports == {k: f["lcspr_reports"][k] for k in ("published", "intend_to_publish", "not_publishing")}
    (published,) = run(report_2020_marts, panel("time_to_publish_stat"))
    assert published["published_over_200_working_days"] == f["lcspr_reports"]["published_over_200_working_days"]
    assert published["received"] == f["lcspr_reports"]["received"]


def test_who_is_harmed_panels_show_paragraph_20_and_tables_1_4_5(report_2020_marts):
    f = report_2020_marts.figures
    assert by(run(report_2020_marts, panel("children_by_age_barchart")), "age_band", "children") == \
        f["children"]["age_band"]
    assert by(run(report_2020_marts, panel("children_by_gender_barchart")), "gender", "children") == \
        f["children"]["gender"]
    eth = run(report_2020_marts, panel("ethnicity_against_census_barchart"))
    assert by(eth, "ethnicity", "children") == {k: v for k, v in f["children"]["ethnicity"].items() if k != "not_recorded"}
    # Table 1's percentages where recorded: 7.4, 8.2, 13.4, 69.3, 1.7
    assert by(eth, "ethnicity", "notified_pct") == {"asian": 7.4, "black": 8.2, "mixed": 13.4,
                                                    "white_british": 69.3, "other": 1.7}
    assert by(run(report_2020_marts, panel("deprivation_barchart")), "imd_quintile", "notifications") == \
        f["imd_quintile"]
    chars = run(report_2020_marts, panel("case_characteristics_barchart"))
    assert {r["characteristic"]: {h: r[h] for h in ("death", "serious_harm", "other")} for r in chars} == \
        f["case_characteristics"]
    for key, dim in (("known_to_social_care_table", "known_to_csc"), ("court_orders_table", "court_order"),
                     ("living_situation_table", "living_situation")):
        rows = run(report_2020_marts, panel(key))
        assert {r[dim]: {h: r[h] for h in ("death", "serious_harm", "other")} for r in rows} == \
            f["service_involvement"][dim], key


def test_local_area_panels_show_only_suppressed_counts(report_2020_marts):
    counts = [r["notifications"] for r in run(report_2020_marts, panel("notifications_by_local_authority_table"))]
    assert len(counts) == 151
    assert all(isinstance(c, str) for c in counts)
    assert not any(c in ("1", "2") for c in counts) and "c" in counts
    bands = report_2020_marts.figures["notifications_per_local_authority"]
    assert counts.count("0") == bands["0"]
    leeds = run(report_2020_marts, panel("notifications_by_year_table"))
    assert [r["year"] for r in leeds] == ["2020"]
    region = run(report_2020_marts, panel("region_comparison_table"))
    assert "Leeds" in [r["local_authority_name"] for r in region] and len(region) > 5


def test_data_quality_panels_count_the_replay_rejections_and_arrivals(report_2020_marts):
    replayed = report_2020_marts.replay
    dead = run(report_2020_marts, panel("dead_letters_by_reason_barchart"), **UP_TO_NOW)
    assert by(dead, "reason", "dead_letters") == dict(Counter(r.reason for r in replayed.rejected))
    arrivals = run(report_2020_marts, panel("late_and_out_of_order_timeseries"), **UP_TO_NOW)
    assert sum(r["events"] for r in arrivals) == len(replayed.accepted)
    # the calibrated history delivers some notifications after their case's next event
    assert sum(r["out_of_order"] for r in arrivals) > 0
    (fresh,) = run(report_2020_marts, panel("freshness_stat"), **UP_TO_NOW)
    assert fresh["events"] == len(replayed.accepted) and 0 <= fresh["minutes_since_latest_event"] < 60


def test_the_live_panels_show_the_streams_figures_beside_the_marts(report_2020_marts):
    """The stream's snapshot of the calibrated 2020 history (its viewer rows, as the worker writes
    them) through the national overview's live panels: the annual report's notifications, and no
    difference from the marts built from the same events."""
    f = report_2020_marts.figures
    (live,) = run(report_2020_marts, panel("live_notifications_stat"))
    assert live["notifications"] == f["notifications"]["total"]
    assert 0 <= live["seconds_old"] < 3600
    rows = run(report_2020_marts, panel("live_against_marts_table"))
    assert by(rows, "harm_type", "live") == f["notifications"]
    assert by(rows, "harm_type", "marts") == f["notifications"]
    assert {r["not_yet_in_marts"] for r in rows} == {0}
    # what the panels read is the stream's own national rows, never an authority's
    figures = {r[0] for r in report_2020_marts.client.query(
        f"SELECT DISTINCT figure FROM {report_2020_marts.database}.pub_stream_figures").result_rows}
    assert figures and "notifications_by_la" not in figures and "la_bands" not in figures
