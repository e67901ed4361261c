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
from schemas.figures import pct
from tests.dbt.loading import build, load_replay

AS_OF = dt.date(2021, 3, 31)
YEAR_2020 = {"from_time": "2020-01-01 00:00:00", "to_time": "2020-12-31 23:59:59"}
PANELS = {p.key: p for p in builders()["learning"]().specs}
TEMPLATES = Path(__file__).resolve().parents[2] / "dashboards" / "templates"


@pytest.fixture(scope="module")
def history():
    return split(report_2020(0, "v2"))


@pytest.fixture(scope="module")
def v2(warehouse, history):
    db = warehouse.new_database("dashlearn")
    load_replay(warehouse.client, db, history.replay)
    build(warehouse.data_dir, db, AS_OF, "--exclude-resource-type", "test")
    yield warehouse.client, db, learning_from_input(history, 2020, AS_OF)
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
    factors = oracle["covid_factors_by_case_theme"]  # the year's, summed over the case themes
    recorded = sum(t["recorded"] for t in factors.values())
    for factor in section.covid_factors:
        n = sum(t[factor.factor] for t in factors.values())
        assert (factor.reviews, factor.share_pct) == (str(n), pct(n, recorded)) and n > 2
    weak = {q.dimension: q.weak_pct for q in section.quality}
    assert weak["family_detail"] in (None, oracle["rapid_review_quality"]["family_detail"]["weak_pct"])
    (overdue,) = client.query(f"SELECT rapid_reviews_overdue FROM {db}.rpt_quarterly_learning "
                              "WHERE year = 2020 AND quarter = 3").result_rows[0]
    assert section.overdue_reviews == overdue
    # Q1 moves against the previous year's Q4
    assert learning_section(client, db, 2020, 1).previous_period == "2019 Q4"


def test_the_learning_section_shows_the_years_decisions_and_partnerships_as_the_reference_counts_them(v2):
    client, db, oracle = v2
    section = learning_section(client, db, 2020, 3)
    reasons = oracle["no_lcspr_reasons"]
    assert section.no_lcspr == str(reasons["no_lcspr"])
    assert [(r.key, r.count, r.share_pct) for r in section.no_lcspr_reasons] == [
        (k, str(n), pct(n, reasons["no_lcspr"])) for k, n in reasons["reason"].items()]
    disagreement = oracle["panel_disagreement"]
    assert section.disagrees == str(disagreement["disagrees"])
    assert [(r.key, r.count, r.share_pct) for r in section.disagreement] == [
        (k, str(n), pct(n, disagreement["disagrees"])) for k, n in disagreement.items() if k != "disagrees"]
    rates = oracle["lcspr_decision_rates"]
    assert [(r.group, r.notifications, r.lcspr, r.lcspr_pct) for r in section.decision_rates] == [
        *((g, str(v["notifications"]), str(v["lcspr"]), v["lcspr_pct"]) for g, v in rates.items()),
        ("all", str(sum(v["notifications"] for v in rates.values())), str(sum(v["lcspr"] for v in rates.values())),
         pct(sum(v["lcspr"] for v in rates.values()), sum(v["notifications"] for v in rates.values())))]
    assert [r.lcspr_pct for r in section.decision_rates[:2]] == [47.2, 37.6]  # para 67's 47% and 38%
    reports = oracle["partnership_yearly_reports"]
    assert (section.partnerships_as_of, section.partnerships, section.reports_received) == (
        reports["as_of"], str(reports["partnerships"]), str(reports["reports_received"]))
    assert [(r.key, r.count, r.share_pct) for r in section.report_evidence] == [
        (k, str(n), pct(n, reports["reports_received"])) for k, n in reports["evidence"].items()]
    # all large enough to show: no figure is suppressed in 2020
    counts = [r.count for rows in (section.no_lcspr_reasons, section.disagreement, section.report_evidence)
              for r in rows]
    assert "c" not in counts and all(int(n) > 2 for n in counts)


def test_a_small_count_in_the_decisions_shows_c_and_no_share(v2, history):
    client, db, _ = v2
    oracle = learning_from_input(history, 2021, AS_OF)["panel_disagreement"]  # 2021 Q1 only: small
    section = learning_section(client, db, 2021, 1)
    assert section.disagrees == str(oracle["disagrees"])
    suppressed = [r for r in section.disagreement if r.count == "c"]
    assert suppressed and all(r.share_pct is None for r in suppressed)
    assert min(oracle[r.key] for r in suppressed) <= 2  # the threshold: 1 to 2 are suppressed
    for r in section.disagreement:
        if r.count != "c":
            assert (r.count, r.share_pct) == (str(oracle[r.key]), pct(oracle[r.key], oracle["disagrees"]))
    html = _environment().get_template("briefing/_learning.html.j2").render(learning=section)
    for r in suppressed:
        assert f'<th scope="row">{r.label}</th>\n        <td>c</td>\n        <td>–</td>' in html
    # the partial never puts a share beside a 'c', even one handed a share by mistake
    leaky = dataclasses.replace(section, disagreement=tuple(dataclasses.replace(r, share_pct=12.3) for r in suppressed))
    assert "12.3%" not in _environment().get_template("briefing/_learning.html.j2").render(learning=leaky)


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)


def test_the_partial_renders_an_accessible_escaped_section(v2):
    client, db, _ = v2
    section = learning_section(client, db, 2020, 3)
    html = _environment().get_template("briefing/_learning.html.j2").render(learning=section)
    assert '<h2 id="learning-heading">What reviews found in 2020 Q3</h2>' in html
    assert html.count("<caption>") == 7 and 'scope="col"' in html and 'scope="row"' in html
    assert "<script" not in html and " style=" not in html
    assert (f"as known at {section.partnerships_as_of}:\n      {section.reports_received} of {section.partnerships} "
            "partnerships with a report received") in html
    unpublished = dataclasses.replace(section, partnerships_as_of=None)
    assert "Working Together 2018" not in _environment().get_template("briefing/_learning.html.j2").render(
        learning=unpublished)
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
