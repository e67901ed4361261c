"""The briefing's key points, written from the figures the panels returned — never typed in.

Each sentence is a small function of the results by panel key; one whose figures are missing
(an empty mart, a year with nothing to compare) is left out rather than written with a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dashboards.briefing.charts import label, number
from dashboards.briefing.data import Quarter
from dashboards.briefing.render import Result
from schemas.figures import pct

Results = Mapping[str, Result]


def notifications(results: Results, quarter: Quarter) -> str | None:
    r = results.get("notifications_by_harm_type_barchart")
    if not r or not r.rows:
        return None
    by = dict(zip(r.column("harm_type"), r.column("notifications"), strict=True))
    total = sum(by.values())
    if not total:
        return None
    return (f"In {quarter.year} the Panel was notified of {total:,} serious incidents: "
            f"{by.get('death', 0):,} where a child died and {by.get('serious_harm', 0):,} of serious harm "
            f"({pct(by.get('death', 0), total)}% and {pct(by.get('serious_harm', 0), total)}%).")


def this_quarter(results: Results, quarter: Quarter) -> str | None:
    r = results.get("quarter_on_a_year_earlier_table")
    if not r or not r.rows:
        return None
    rows = [dict(zip(r.columns, row, strict=True)) for row in r.rows]
    row = next((x for x in rows if x["quarter"] == f"{quarter.year} Q{quarter.q}"), None)
    if row is None:
        return None
    said = f"In {quarter.months()} the Panel was notified of {row['notifications']:,} serious incidents"
    if row["change_pct"] is None:
        return said + "."
    pct = float(row["change_pct"])
    if pct == 0:
        return said + f", as many as in the same quarter of {quarter.year - 1}."
    amount = f"{abs(pct):.0f}%" if pct.is_integer() else f"{abs(pct):.1f}%"
    return said + (f", {amount} {'more' if pct > 0 else 'fewer'} than in the same quarter of "
                   f"{quarter.year - 1} ({row['a_year_earlier']:,}).")


def period_change(results: Results, quarter: Quarter) -> str | None:
    r = results.get("change_on_a_year_earlier_stat")
    if not r or not r.rows or r.first("pct_change") is None or quarter.q < 3:
        return None  # before the end of September the period is not complete
    pct, current, previous = float(r.first("pct_change")), r.first("current"), r.first("previous")
    direction = "higher" if pct > 0 else "lower" if pct < 0 else "the same as"
    amount = f"{abs(pct):.0f}%" if float(pct).is_integer() else f"{abs(pct):.1f}%"
    if direction == "the same as":
        return f"Notifications from April to September {quarter.year} were the same as a year earlier ({current:,})."
    return (f"Notifications from April to September {quarter.year} were {amount} {direction} than in "
            f"April–September {quarter.year - 1} ({current:,} against {previous:,}).")


def timeliness(results: Results, quarter: Quarter) -> str | None:
    r = results.get("on_time_share_stat")
    if not r or not r.rows or r.first("on_time_pct") is None:
        return None
    return (f"{number(r.first('on_time_pct'), 'percent')} of the {r.first('due'):,} rapid reviews due in "
            f"{quarter.year} arrived within 15 working days ({r.first('on_time'):,}).")


def agreement(results: Results, quarter: Quarter) -> str | None:
    r = results.get("panel_agreement_stat")
    if not r or not r.rows or r.first("agreement_pct") is None:
        return None
    return (f"The Panel agreed with the local decision on a local review in "
            f"{number(r.first('agreement_pct'), 'percent')} of the rapid reviews it responded to "
            f"({r.first('agrees'):,} of {r.first('agrees') + r.first('disagrees'):,}).")


def youngest(results: Results, quarter: Quarter) -> str | None:
    r = results.get("children_by_age_barchart")
    if not r or not r.rows:
        return None
    by = dict(zip(r.column("age_band"), r.column("children"), strict=True))
    total = sum(by.values())
    if not total:
        return None
    return (f"{pct(by.get('under_1', 0), total)}% of the {total:,} children were under one year old, and "
            f"{pct(by.get('15_to_17', 0), total)}% were aged 15 to 17.")


def ethnicity(results: Results, quarter: Quarter) -> str | None:
    r = results.get("ethnicity_against_census_barchart")
    if not r or not r.rows:
        return None
    rows = [(e, n, c) for e, n, c in zip(r.column("ethnicity"), r.column("notified_pct"),
                                          r.column("census_pct"), strict=True) if n is not None]
    if not rows:
        return None
    e, n, c = max(rows, key=lambda t: t[1] - t[2])
    if n <= c:
        return None
    return (f"Children of {label(e)} ethnicity were over-represented: {number(n, 'percent')} of the children "
            f"notified (where recorded) against {number(c, 'percent')} of 0–17 year olds in the 2011 census.")


def deprivation(results: Results, quarter: Quarter) -> str | None:
    r = results.get("deprivation_barchart")
    if not r or not r.rows:
        return None
    by = dict(zip(r.column("imd_quintile"), r.column("notifications"), strict=True))
    total = sum(by.values())  # of all notifications, as the annual report gives it
    if not total:
        return None
    return (f"{pct(by.get('1', 0), total)}% of the notifications concerned children living in England's "
            f"most deprived fifth of neighbourhoods, {pct(by.get('5', 0), total)}% in the least deprived fifth.")


SENTENCES: tuple[Callable[[Results, Quarter], str | None], ...] = (
    this_quarter, notifications, period_change, timeliness, agreement, youngest, ethnicity, deprivation,
)


def key_points(results: Results, quarter: Quarter) -> list[str]:
    return [s for s in (f(results, quarter) for f in SENTENCES) if s]
