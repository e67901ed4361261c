"""Learning: what the rapid reviews found (contract v2), and how the system around them works.

Every panel reads the one learning viewer table (``pub_learning``, infra/warehouse/
learning_viewer.py): counts from 1 to the suppression threshold, and whatever would let one be
worked out, are the string 'c' (drawn as no bar), and a share is null unless its count and its
denominator are shown. Definitions: producers/reference/LEARNING.md.
"""

from __future__ import annotations

from dashboards.marts import LEARNING
from dashboards.panel import Panel, panel

YEAR = "year = toYear($__toTime)"
THEMES = "item NOT IN ('reviews', 'recorded')"


def _table(figure: str) -> str:
    return f"${{database}}.{LEARNING} WHERE figure = '{figure}'"


@panel
def themes_most_cited_barchart() -> Panel:
    return Panel(
        title="Practice themes most cited",
        kind="barchart",
        x="theme",
        series=("reviews",),
        width=12,
        suppressed=True,
        description="Of the rapid reviews first received in the year that record their practice themes, "
        "how many evidence each of the six key themes (latest submission; a review may evidence several).",
        sql=f"""
SELECT item AS theme, toUInt64OrNull(value) AS reviews, pct AS share_pct
FROM {_table('practice_themes')} AND {YEAR} AND grouping = 'all' AND {THEMES}
ORDER BY toUInt64OrZero(value) DESC, item_position
""",
    )


@panel
def themes_by_quarter_table() -> Panel:
    return Panel(
        title="Practice themes by quarter",
        kind="table",
        x="theme",
        width=12,
        suppressed=True,
        description="Reviews evidencing each theme by the quarter the review was first received: how the "
        "themes moved. 'recorded' counts the reviews that record their themes at all.",
        sql=f"""
SELECT item AS theme,
       anyIf(value, group_value = 'Q1') AS Q1, anyIf(value, group_value = 'Q2') AS Q2,
       anyIf(value, group_value = 'Q3') AS Q3, anyIf(value, group_value = 'Q4') AS Q4
FROM {_table('practice_themes')} AND {YEAR} AND grouping = 'quarter' AND item != 'reviews'
GROUP BY item, item_position
ORDER BY item_position
""",
    )


@panel
def covid_factors_by_case_theme_table() -> Panel:
    return Panel(
        title="COVID-19 factors by case theme",
        kind="table",
        x="case_theme",
        width=24,
        suppressed=True,
        description="The report's graph 2: of the year's rapid reviews in each case theme, how many cite "
        "each of the four COVID-19 factors (reviews that record factors; a review may cite several).",
        sql=f"""
SELECT group_value AS case_theme,
       anyIf(value, item = 'reviews') AS reviews, anyIf(value, item = 'recorded') AS recorded,
       anyIf(value, item = 'parental_family_stressors') AS parental_family_stressors,
       anyIf(value, item = 'child_vulnerabilities') AS child_vulnerabilities,
       anyIf(value, item = 'school_closures') AS school_closures,
       anyIf(value, item = 'covid_safe_practice') AS covid_safe_practice
FROM {_table('covid_factors')} AND {YEAR}
GROUP BY grouping, group_value, group_position
ORDER BY grouping = 'all', group_position
""",
    )


@panel
def rapid_review_quality_barchart() -> Panel:
    return Panel(
        title="Quality of rapid reviews, by dimension",
        kind="barchart",
        x="dimension",
        series=("strong_pct", "adequate_pct", "weak_pct"),
        unit="percent",
        stacked=True,
        width=12,
        description="The Panel's rating of the year's rapid reviews it assessed, per dimension: the share "
        "rated strong, adequate and weak (null where a count is suppressed).",
        sql=f"""
SELECT group_value AS dimension, anyIf(pct, item = 'strong') AS strong_pct,
       anyIf(pct, item = 'adequate') AS adequate_pct, anyIf(pct, item = 'weak') AS weak_pct
FROM {_table('rapid_review_quality')} AND {YEAR}
GROUP BY group_value, group_position
ORDER BY group_position
""",
    )


@panel
def detail_recorded_stat() -> Panel:
    return Panel(
        title="Reviews recording ethnicity and family detail",
        kind="stat",
        series=("ethnicity_recorded_pct", "family_detail_recorded_pct"),
        unit="percent",
        width=12,
        description="Of the year's rapid reviews that say either way, the share recording the child's "
        "ethnicity, and family detail (para 66: a common omission).",
        sql=f"""
SELECT anyIf(pct, group_value = 'ethnicity_recorded' AND item = 'yes') AS ethnicity_recorded_pct,
       anyIf(pct, group_value = 'family_detail_recorded' AND item = 'yes') AS family_detail_recorded_pct
FROM {_table('review_recording')} AND {YEAR}
""",
    )


@panel
def no_lcspr_reasons_piechart() -> Panel:
    return Panel(
        title="Why no local review",
        kind="piechart",
        x="reason",
        series=("decisions",),
        width=8,
        suppressed=True,
        description="Notifications of the year decided 'no LCSPR': the reason of the latest decision.",
        sql=f"""
SELECT item AS reason, toUInt64OrNull(value) AS decisions
FROM {_table('no_lcspr_reasons')} AND {YEAR} AND group_value = 'reason' AND item != 'no_lcspr'
ORDER BY item_position
""",
    )


@panel
def disagreement_direction_piechart() -> Panel:
    return Panel(
        title="Where the Panel disagreed",
        kind="piechart",
        x="direction",
        series=("reviews",),
        width=8,
        suppressed=True,
        description="Rapid reviews of the year whose latest Panel feedback disagrees with the decision: "
        "the Panel thinks a local review is needed, or not.",
        sql=f"""
SELECT item AS direction, toUInt64OrNull(value) AS reviews
FROM {_table('panel_disagreement')} AND {YEAR} AND item != 'disagrees'
ORDER BY item_position
""",
    )


@panel
def lcspr_decision_rates_barchart() -> Panel:
    return Panel(
        title="Local reviews decided, by group of harm",
        kind="barchart",
        x="harm_group",
        series=("lcspr_pct",),
        unit="percent",
        width=8,
        description="Notifications of the year that proceed to a local review, by group of harm (para 67: "
        "47% of direct and extra-familial deaths, 38% of deaths related to maltreatment in 2020).",
        sql=f"""
SELECT group_value AS harm_group, anyIf(pct, item = 'lcspr') AS lcspr_pct
FROM {_table('lcspr_decision_rates')} AND {YEAR} AND grouping = 'harm_group'
GROUP BY group_value, group_position
ORDER BY group_position
""",
    )


@panel
def partnership_compliance_barchart() -> Panel:
    return Panel(
        title="Partnerships' yearly reports against Working Together 2018",
        kind="barchart",
        x="evidence",
        series=("partnerships",),
        width=24,
        suppressed=True,
        description="Safeguarding partnerships with a yearly report received, as known at the vintage's date, "
        "by how far their latest read report evidences the four requirements (fully, partly, not).",
        sql=f"""
SELECT item AS evidence, toUInt64OrNull(value) AS partnerships, pct AS share_pct
FROM {_table('partnership_yearly_reports')} AND grouping = 'all'
ORDER BY item_position
""",
    )
