"""The reference calculator's learning figures in the learning marts' long shape:
``{(grouping, group_value, item): n}`` per mart (producers/reference/LEARNING.md)."""

from __future__ import annotations

from collections import Counter
from typing import Any

LONG_MARTS = ("rpt_practice_themes", "rpt_covid_factors_by_case_theme", "rpt_review_recording",
              "rpt_no_lcspr_reasons", "rpt_panel_disagreement", "rpt_rapid_review_quality",
              "rpt_partnership_yearly_reports")
Long = dict[tuple[str, str, str], int]


def _block(out: Long, grouping: str, group: str, block: dict[str, Any]) -> None:
    for item, n in block.items():
        if isinstance(n, int) and not isinstance(n, bool):
            out[(grouping, group, item)] = n


def reference_long(learning: dict[str, Any]) -> dict[str, Long]:
    """Each long mart's counts for the year of ``learning`` (compute_learning's answer)."""
    themes: Long = {}
    t = learning["practice_themes"]
    _block(themes, "all", "all", t["all"])
    for quarter, block in t["by_quarter"].items():
        _block(themes, "quarter", quarter[-2:], block)
    for grouping in ("harm_type", "category", "age_band"):
        for group, block in t[f"by_{grouping}"].items():
            _block(themes, grouping, group, block)
    covid: Long = {}
    total: Counter[str] = Counter()
    for theme, block in learning["covid_factors_by_case_theme"].items():
        _block(covid, "case_theme", theme, block)
        total.update(block)
    _block(covid, "all", "all", dict(total))
    recording: Long = {}
    for name in ("ethnicity_recorded", "family_detail_recorded"):
        _block(recording, "field", name, learning[name])
    reasons: Long = {("question", "reason", "no_lcspr"): learning["no_lcspr_reasons"]["no_lcspr"]}
    _block(reasons, "question", "reason", learning["no_lcspr_reasons"]["reason"])
    _block(reasons, "question", "alternative_review_proposed", learning["no_lcspr_reasons"]["alternative_review_proposed"])
    disagreement: Long = {}
    _block(disagreement, "all", "all", learning["panel_disagreement"])
    quality: Long = {}
    q = learning["rapid_review_quality"]
    for dim, block in q.items():
        if dim != "assessed":
            _block(quality, "dimension", dim, {"assessed": q["assessed"], **block})
    p = learning["partnership_yearly_reports"]
    partnerships: Long = {}
    _block(partnerships, "all", "all", {k: p[k] for k in ("partnerships", "local_authorities_covered", "reports_received")})
    _block(partnerships, "all", "all", p["evidence"])
    for requirement, block in p["by_requirement"].items():
        _block(partnerships, "requirement", requirement, block)
    return {"rpt_practice_themes": themes, "rpt_covid_factors_by_case_theme": covid,
            "rpt_review_recording": recording, "rpt_no_lcspr_reasons": reasons,
            "rpt_panel_disagreement": disagreement, "rpt_rapid_review_quality": quality,
            "rpt_partnership_yearly_reports": partnerships}


def mart_long(client: Any, database: str, mart: str, year: int) -> Long:
    rows = client.query(f"SELECT grouping, group_value, item, n FROM {database}.{mart} WHERE year = {year}").result_rows
    return {(g, v, i): int(n) for g, v, i, n in rows}
