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
