"""The live page's panels on the calibrated 2020 warehouse: the dashboards' own panels, run for a
quarter, equal to what ``safeguarding report figures`` reads from the same marts, suppressed as
the viewer tables are, and drawn with autoescaping. (The page served by a running stack, in
Chromium, is tests/infra/stack/test_live_page.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dashboards import live
from dashboards.briefing.data import Quarter
from dashboards.briefing.render import Result, Section
from dashboards.panel import Panel
from infra.warehouse.figures import read_figures
from infra.warehouse.vintages import Vintage
from tests.dashboards.conftest import AS_OF


@pytest.fixture(scope="module")
def drawn(report_2020_marts: Any) -> tuple[Any, live.Panels]:
    b = report_2020_marts
    vintage = Vintage("latest", b.database, AS_OF, "ok", dt.datetime.now(dt.UTC), 0)
    return b, live.panels(b.client, vintage, Quarter(2020, 4), threshold=2)


def test_the_page_draws_every_dashboards_panel_that_needs_no_local_authority(drawn: Any) -> None:
    _, shown = drawn
    want = {p.key for b in live.boards() for p in b.panels}
    assert want and set(shown.values) == want
    assert "notifications_by_year_table" not in want  # the Local area dashboard's chosen authority: Grafana only
    assert shown.html.count('<figure class="panel"') == len(want)


def test_the_year_to_date_of_q4_equals_report_figures(drawn: Any) -> None:
    b, shown = drawn
    figures = read_figures(b.client, b.database, 2020, AS_OF)  # what `report figures` prints
    by_harm = dict(map(tuple, shown.values["notifications_by_harm_type_barchart"]))
    assert by_harm == {k: v for k, v in figures["notifications"].items() if k != "total"}
    buckets = {r[0]: {"received": r[1], "not_received": r[2]} for r in shown.values["timeliness_buckets_barchart"]}
    assert buckets == figures["rapid_review_timeliness"]["all"]


def test_the_local_authority_table_shows_what_the_viewer_table_publishes(drawn: Any) -> None:
    b, shown = drawn
    published = dict(b.client.query(f"SELECT local_authority_name, notifications FROM {b.database}."
                                     "pub_local_authority_notifications WHERE year = 2020 AND period = 'year'"
                                     ).result_rows)
    page = {r[0]: r[2] for r in shown.values["notifications_by_local_authority_table"]}
    assert page == published and "c" in page.values()
    assert not any(isinstance(v, int) or (str(v).isdigit() and 1 <= int(v) <= 2) for v in page.values())


def test_text_from_the_marts_is_escaped_and_the_charts_stay_markup() -> None:
    p = Panel(title="<script>alert(1)</script>", kind="barchart", sql="", description="a & b", x="k",
              key="evil_barchart")
    result = Result(p, ("k", "n"), (("<img src=x onerror=alert(1)>", 3),))
    html = live.page(quarter=Quarter(2020, 3), choices=[Quarter(2020, 3)],
                     shown=live.Panels(Quarter(2020, 3), {"name": "latest", "as_of": "2020-12-31", "events": 1,
                                                          "built_at": "2021-01-01T00:00:00+00:00"},
                                       live.render("live/_panels.html.j2",
                                                   sections=live.figures([Section("S", "i", (result,))], 2)),
                                       {}, None),
                     freshness={"age": "1 s"}, counters={"as_of": "x", "threshold": 2, **dict.fromkeys(
                         ("notifications_in_quarter", "notifications_year_to_date", "overdue_rapid_reviews",
                          "events_accepted", "dead_lettered", "latest_event_time"))}, refresh_s=2)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<svg id="chart-1-evil-barchart" class="chart" role="img"' in html  # the chart is not escaped
    assert "Showing <strong id=\"period\">2020 Q3</strong>" in html and 'id="vintage-name">latest<' in html


# --- the alerts on the page ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def alert_states(report_2020_marts: Any) -> dict[str, Any]:
    """The alert rules evaluated on the calibrated 2020 warehouse at 2021-04-20 (rapid reviews of
    early-2021 notifications are overdue by then; no worker ever wrote a heartbeat), twice, as the
    worker's heartbeat does: ``since`` is the first evaluation's time."""
    from infra.warehouse.alerts import evaluate
    from streams.heartbeat import with_since

    b = report_2020_marts
    now = dt.datetime(2021, 4, 20, 12, tzinfo=dt.UTC)
    since: dict[Any, str] = {}
    first = with_since(evaluate(b.client, b.database, b.database, now=now), "2021-04-20T12:00:00+00:00", since)
    second = with_since(evaluate(b.client, b.database, b.database, now=now), "2021-04-20T12:00:15+00:00", since)
    return {"first": first, "states": {"evaluated_at": "2021-04-20T12:00:15+00:00", "rules": second}}


def test_the_page_says_in_words_which_checks_fire_and_since_when(alert_states: dict[str, Any]) -> None:
    from infra.warehouse.alerts import RULES

    states = alert_states["states"]
    by_uid = {r["uid"]: r for r in states["rules"]}
    overdue = by_uid["cspr-overdue-rapid-reviews"]
    assert overdue["state"] == "firing" and overdue["firing"], "the history has overdue reviews at that date"
    assert by_uid["cspr-stream-silent"]["state"] == "firing"  # no heartbeat at all
    shown = live.alerts(states, now=dt.datetime(2021, 4, 20, 12, 1, tzinfo=dt.UTC))
    assert [r["uid"] for r in shown["rules"]][: shown["firing"]] == [r["uid"] for r in shown["rules"]
                                                                      if r["state"] == "firing"]
    assert {r["uid"] for r in shown["rules"]} == {r.uid for r in RULES}
    page = {r["uid"]: r for r in shown["rules"]}
    for uid, rule in by_uid.items():
        assert page[uid]["state"] == rule["state"]
        assert page[uid]["state_text"] == {"firing": "Firing", "ok": "OK", "error": "Not checked"}[rule["state"]]
    # since the first evaluation that saw it firing, not the latest
    assert page["cspr-overdue-rapid-reviews"]["since"] == "2021-04-20T12:00:00+00:00"
    assert page["cspr-overdue-rapid-reviews"]["since_text"] == "2021-04-20 12:00:00 UTC (60 s ago)"
    assert shown["firing"] == sum(r["state"] == "firing" for r in states["rules"])


def test_the_page_never_shows_a_count_per_local_authority(alert_states: dict[str, Any]) -> None:
    from schemas.local_authorities import LOCAL_AUTHORITIES

    states = alert_states["states"]
    overdue = next(r for r in states["rules"] if r["uid"] == "cspr-overdue-rapid-reviews")
    shown = live.alerts(states)
    row = next(r for r in shown["rules"] if r["uid"] == "cspr-overdue-rapid-reviews")
    assert row["details"] == [] and row["withheld"]
    html = live.render("live/alerts_fragment.html.j2", alerts=shown)
    codes = {la.code for la in LOCAL_AUTHORITIES} | {la.name for la in LOCAL_AUTHORITIES}
    assert not [c for c in codes if c in html]
    for instance in overdue["firing"]:  # the analysts' rows exist, and none reaches the page
        assert instance["labels"]["local_authority"] not in html
    # a platform rule's rows are about the platform, and are shown
    silent = next(r for r in shown["rules"] if r["uid"] == "cspr-stream-silent")
    assert silent["details"] and not silent["withheld"]


def test_each_state_is_a_word_with_a_symbol_not_a_colour_alone(alert_states: dict[str, Any]) -> None:
    import re

    html = live.render("live/alerts_fragment.html.j2", alerts=live.alerts(alert_states["states"]))
    items = re.findall(r'<li class="alert alert-(\w+)" data-alert="[^"]+" data-state="(\w+)">\s*<p><strong class="state">'
                       r'<span aria-hidden="true">(.)</span> ([\w ]+)</strong>', html)
    assert len(items) == len(alert_states["states"]["rules"])
    for css, state, symbol, word in items:
        assert css == state and (symbol, word) == {"firing": ("▲", "Firing"), "ok": ("✓", "OK"),
                                                   "error": ("?", "Not checked")}[state]
    assert "checks are firing" in html or "check is firing" in html


def test_since_is_kept_while_firing_and_forgotten_when_quiet() -> None:
    from streams.heartbeat import with_since

    def rule(state: str, *las: str) -> dict[str, Any]:
        return {"uid": "r", "state": state, "firing": [{"labels": {"la": la}, "value": 1.0} for la in las]}

    since: dict[Any, str] = {}
    (a,) = with_since([rule("firing", "x")], "t1", since)
    (b,) = with_since([rule("firing", "x", "y")], "t2", since)
    assert (a["since"], b["since"]) == ("t1", "t1")
    assert [i["since"] for i in b["firing"]] == ["t1", "t2"]  # each instance from when it began
    (c,) = with_since([rule("error")], "t3", since)  # not evaluated: nothing known either way
    assert c["since"] == "t1"
    (d,) = with_since([rule("firing", "y")], "t4", since)
    assert d["since"] == "t1" and [i["since"] for i in d["firing"]] == ["t2"]
    (e,) = with_since([rule("ok")], "t5", since)
    assert e["since"] is None and since == {}
    (f,) = with_since([rule("firing", "x")], "t6", since)
    assert f["since"] == "t6"  # fires again: a new since


# --- a local authority picked ---------------------------------------------------------------------


def _pub(b: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in b.client.query(sql.replace("$db", b.database)).result_rows]


def test_an_authoritys_panels_read_the_viewer_tables_only() -> None:
    board = live.authority_board()
    assert {p.key for p in board.panels} == {"notifications_by_year_table", "region_comparison_table"}
    for p in board.panels:
        assert set(live.VIEWER_TABLE.findall(p.sql)) == {"pub_local_authority_notifications"}


def test_a_panel_of_an_authority_reading_anything_but_a_viewer_table_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from dashboards.local_area import main

    original = main.dashboard

    def leaky() -> Any:
        board = original()
        spec = board.specs[0]
        board.specs[0] = dataclasses.replace(spec, sql=spec.sql.replace(
            "pub_local_authority_notifications", "rpt_notifications_by_local_authority"))
        return board

    monkeypatch.setattr(main, "dashboard", leaky)
    with pytest.raises(ValueError, match="pub_\\* tables only"):
        live.authority_board()


def test_an_authority_picked_shows_its_published_cells_c_where_suppressed(report_2020_marts: Any) -> None:
    """For an authority whose 2020 count is suppressed and one whose count is published, the
    page's rows equal the viewer table's, 'c' included; England's panels are unchanged."""
    from schemas.local_authorities import LA_BY_CODE

    b = report_2020_marts
    rows = _pub(b, "SELECT local_authority, notifications FROM $db.pub_local_authority_notifications "
                   "WHERE year = 2020 AND period = 'year' ORDER BY local_authority")
    small = next(code for code, n in rows if n == "c")
    large = next(code for code, n in rows if n not in ("c", "0"))
    vintage = Vintage("latest", b.database, AS_OF, "ok", dt.datetime.now(dt.UTC), 0)
    england = live.panels(b.client, vintage, Quarter(2020, 4), threshold=2)
    for code in (small, large):
        shown = live.panels(b.client, vintage, Quarter(2020, 4), threshold=2, authority=code)
        assert shown.authority == {"code": code, "name": LA_BY_CODE[code].name}
        by_year = _pub(b, f"SELECT toString(year), notifications FROM $db.pub_local_authority_notifications "
                          f"WHERE local_authority = '{code}' AND period = 'year' AND year <= 2020 ORDER BY year")
        assert [tuple(r) for r in shown.values["notifications_by_year_table"]] == by_year
        region = _pub(b, f"SELECT local_authority_name, notifications FROM $db.pub_local_authority_notifications "
                         f"WHERE year = 2020 AND period = 'year' AND region_code = '{LA_BY_CODE[code].region_code}' "
                         "ORDER BY local_authority_name")
        assert [tuple(r) for r in shown.values["region_comparison_table"]] == region
        # live_*: the stream's, with their age; freshness_stat's first two columns are minutes since
        # now, which can tick between the two renderings, so only its clock-free columns are compared.
        same = {k for k in england.values if not k.startswith("live_") and k != "freshness_stat"}
        assert {k: shown.values[k] for k in same} == {k: england.values[k] for k in same}
        assert [r[2:] for r in shown.values["freshness_stat"]] == [r[2:] for r in england.values["freshness_stat"]]
        assert f"{LA_BY_CODE[code].name}: Local area" in shown.html
    shown = live.panels(b.client, vintage, Quarter(2020, 4), threshold=2, authority=small)
    assert dict(map(tuple, shown.values["notifications_by_year_table"]))["2020"] == "c"
    assert ">c</td>" in shown.html
