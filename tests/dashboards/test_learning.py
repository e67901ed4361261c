"""The Learning dashboard and the briefing's learning section, on marts built from the calibrated
2020 history in contract v2: every panel's SQL runs on chDB and reads only the viewer table; what
they show equals the reference calculator where it is shown; the section's partial renders as
accessible, escaped HTML with a strict Jinja2 environment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from dashboards import builders
from dashboards.briefing.learning import learning_section
from dashboards.marts import LEARNING
from dashboards.panel import fill
from producers.reference.learning import learning_from_input, split
from producers.simulator import report_2020
from tests.dbt.loading import build, load_replay

AS_OF = dt.date(2021, 3, 31)
YEAR_2020 = {"from_time": "2020-01-01 00:00:00", "to_time": "2020-12-31 23:59:59"}
PANELS = {p.key: p for p in builders()["learning"]().specs}
TEMPLATES = Path(__file__).resolve().parents[2] / "dashboards" / "templates"


@pytest.fixture(scope="module")
def v2(warehouse):
    data = split(report_2020(0, "v2"))
    db = warehouse.new_database("dashlearn")
    load_replay(warehouse.client, db, data.replay)
    build(warehouse.data_dir, db, AS_OF, "--exclude-resource-type", "test")
    yield warehouse.client, db, learning_from_input(data, 2020, AS_OF)
    warehouse.drop(db)


def run(client, db: str, key: str) -> list[dict]:
    res = client.query(fill(PANELS[key].sql, database=db, **YEAR_2020))
    return [dict(zip(res.column_names, r, strict=True)) for r in res.result_rows]


@pytest.mark.parametrize("key", sorted(PANELS))
def test_every_learning_panel_runs_and_reads_only_the_viewer_table(v2, key):
    client, db, _ = v2
    assert set(re.findall(r"\$\{database\}\.(\w+)", PANELS[key].sql)) == {LEARNING}
    rows = run(client, db, key)
    assert rows, key
    p = PANELS[key]
    assert set(([p.x] if p.x else []) + list(p.series)) <= set(rows[0])


def test_the_panels_show_the_reference_figures(v2):
    client, db, oracle = v2
    themes = {r["theme"]: r["reviews"] for r in run(client, db, "themes_most_cited_barchart")}
    assert themes == {t: n if n > 2 else themes[t] for t, n in oracle["practice_themes"]["all"].items()
                      if t not in ("reviews", "recorded")}
    rates = {r["harm_group"]: r["lcspr_pct"] for r in run(client, db, "lcspr_decision_rates_barchart")}
    assert (rates["direct_or_extra_familial_death"], rates["death_related_to_maltreatment"]) == (47.2, 37.6)
    quarters = {r["theme"]: r for r in run(client, db, "themes_by_quarter_table")}
    for q in ("Q1", "Q2", "Q3", "Q4"):
        for theme, n in oracle["practice_themes"]["by_quarter"][f"2020{q}"].items():
            if theme != "reviews":
                assert quarters[theme][q] in ("c", str(n))
    evidence = {r["evidence"]: r["partnerships"] for r in run(client, db, "partnership_compliance_barchart")}
    reports = oracle["partnership_yearly_reports"]
    assert evidence["reports_received"] == reports["reports_received"]
    assert evidence["fully"] + evidence["partly"] == reports["fully_or_partly"]
    (recorded,) = run(client, db, "detail_recorded_stat")
    assert recorded["ethnicity_recorded_pct"] == oracle["ethnicity_recorded"]["pct"]


def test_the_learning_section_leads_with_the_quarters_themes_as_the_reference_counts_them(v2):
    client, db, oracle = v2
    section = learning_section(client, db, 2020, 3)
    this, before = oracle["practice_themes"]["by_quarter"]["2020Q3"], oracle["practice_themes"]["by_quarter"]["2020Q2"]
    assert section.reviews == str(this["reviews"]) and section.recorded == str(this["recorded"])
    for row in section.themes:
        assert row.this_quarter in ("c", str(this[row.theme])) and row.previous_quarter in ("c", str(before[row.theme]))
        if "c" not in (row.this_quarter, row.previous_quarter):
            assert row.change == this[row.theme] - before[row.theme]
    shown = [int(r.this_quarter) for r in section.themes if r.this_quarter != "c"]
    assert shown == sorted(shown, reverse=True) and shown
    assert section.ethnicity_recorded_pct == oracle["ethnicity_recorded"]["pct"]
    weak = {q.dimension: q.weak_pct for q in section.quality}
    assert weak["family_detail"] in (None, oracle["rapid_review_quality"]["family_detail"]["weak_pct"])
    (overdue,) = client.query(f"SELECT rapid_reviews_overdue FROM {db}.rpt_quarterly_learning "
                              "WHERE year = 2020 AND quarter = 3").result_rows[0]
    assert section.overdue_reviews == overdue
    # Q1 moves against the previous year's Q4
    assert learning_section(client, db, 2020, 1).previous_period == "2019 Q4"


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)


def test_the_partial_renders_an_accessible_escaped_section(v2):
    client, db, _ = v2
    section = learning_section(client, db, 2020, 3)
    html = _environment().get_template("briefing/_learning.html.j2").render(learning=section)
    assert '<h2 id="learning-heading">What reviews found in 2020 Q3</h2>' in html
    assert html.count("<caption>") == 3 and 'scope="col"' in html and 'scope="row"' in html
    assert "<script" not in html and " style=" not in html
    top = section.themes[0]
    assert f"<th scope=\"row\">{top.label.replace(chr(39), '&#39;')}</th>" in html
    hostile = dataclasses.replace(section, themes=(dataclasses.replace(top, label="<script>alert(1)</script>"),))
    html = _environment().get_template("briefing/_learning.html.j2").render(learning=hostile)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_partial_says_so_when_no_review_recorded_learning(v2):
    client, db, _ = v2
    section = dataclasses.replace(learning_section(client, db, 2020, 3), recorded="0")
    html = _environment().get_template("briefing/_learning.html.j2").render(learning=section)
    assert "No rapid review of the quarter recorded its learning" in html and "Key practice themes" not in html
    with pytest.raises(Exception, match="undefined"):
        _environment().get_template("briefing/_learning.html.j2").render()
