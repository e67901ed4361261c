"""Panel results shaped as the marts return them, with the 2020 acceptance figures, for tests
of the renderer that need no warehouse (the warehouse tests run the real SQL)."""

from __future__ import annotations

import datetime as dt

from dashboards.briefing.contents import SECTIONS
from dashboards.briefing.data import Quarter
from dashboards.briefing.render import Result, Section

Q3 = Quarter(2020, 3)

ROWS: dict[str, tuple[tuple[str, ...], list[tuple]]] = {
    "quarter_on_a_year_earlier_table": (("quarter", "notifications", "a_year_earlier", "change_pct"),
                                        [("2020 Q1", 110, 105, 4.8), ("2020 Q2", 121, 100, 21.0),
                                         ("2020 Q3", 133, 100, 33.0)]),
    "notifications_by_harm_type_barchart": (("harm_type", "notifications"),
                                            [("death", 206), ("serious_harm", 267), ("other", 9)]),
    "change_on_a_year_earlier_stat": (("pct_change", "current", "previous"), [(27.0, 254, 200)]),
    "notifications_by_month_barchart": (("month", "death", "serious_harm", "other"),
                                        [(f"2020-{m:02d}", 15 + m, 20 + m, m % 2) for m in range(1, 10)]),
    "timeliness_buckets_barchart": (("timeliness_bucket", "received", "not_received"),
                                    [("1-15", 94, 0), ("16-25", 193, 0), ("26-59", 104, 0), ("60+", 30, 24)]),
    "on_time_share_stat": (("on_time_pct", "on_time", "due"), [(21.3, 94, 445)]),
    "relaxation_window_barchart": (("timeliness_bucket", "relaxation", "outside_relaxation"),
                                   [("1-15", 39, 55), ("16-25", 109, 84), ("26-59", 65, 39), ("60+", 34, 20)]),
    "lcspr_decisions_piechart": (("decision", "notifications"), [("lcspr", 167), ("no_lcspr", 278), ("undecided", 37)]),
    "panel_agreement_stat": (("agreement_pct", "agrees", "disagrees"), [(69.0, 320, 144)]),
    "lcspr_reports_barchart": (("status", "reports"),
                               [("published", 15), ("intend_to_publish", 14), ("not_publishing", 4)]),
    "children_by_age_barchart": (("age_band", "children"), [("under_1", 180), ("1_to_4", 62), ("5_to_9", 38),
                                                             ("10_to_14", 80), ("15_to_17", 154)]),
    "ethnicity_against_census_barchart": (("ethnicity", "children", "notified_pct", "census_pct"),
                                          [("asian", 34, 7.4, 9.7), ("black", 38, 8.2, 4.7), ("mixed", 62, 13.4, 5.0),
                                           ("white_british", 320, 69.3, 79.3), ("other", 8, 1.7, 1.2)]),
    "deprivation_barchart": (("imd_quintile", "notifications"), [("1", 188), ("2", 120), ("3", 83), ("4", 57),
                                                                 ("5", 24), ("not_recorded", 10)]),
    "case_characteristics_barchart": (("characteristic", "death", "serious_harm", "other"),
                                      [("parental_alcohol_misuse", 57, 30, 0), ("domestic_abuse", 85, 114, 2)]),
    "quarter_notifications_by_region_table": (("region_name", "notifications"),
                                      [("North East", "c"), ("London", "61"), ("East Midlands", "c")]),
    # the mart's counts are strings ('c' already applied); the renderer re-applies suppression to
    # any small integer that reaches it by another path
    "quarter_notifications_by_local_authority_table": (
        ("local_authority_name", "region_name", "notifications"),
        [("Hartlepool", "North East", 1), ("Leeds", "Yorkshire and The Humber", "8"),
         ("Rutland", "East Midlands", "0"), ("Darlington", "North East", "2"), ("York", "Yorkshire and The Humber", 2)]),
}


def sections() -> list[Section]:
    out = []
    for s in SECTIONS:
        results = []
        for f in s.panels:
            p = f()
            cols, rows = ROWS[p.key]
            results.append(Result(p, cols, tuple(rows)))
        out.append(Section(s.title, s.intro, tuple(results)))
    return out


def by_key() -> dict[str, Result]:
    return {r.panel.key: r for s in sections() for r in s.results}


NOW = dt.datetime(2020, 10, 15, 9, 0, tzinfo=dt.UTC)
