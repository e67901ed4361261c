"""The report figures JSON (the acceptance file's shape), read from the dbt marts.

No figure is computed here: every number is a cell of a mart. Python only reads rows and nests
them into the JSON shape (key order as in the acceptance file).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from infra.warehouse.raw_store import check_database_name
from schemas.errors import CsprError


class FiguresError(CsprError):
    """The marts cannot answer the question (not built, built for another date, no such year)."""


# The marts the figures are read from.
MARTS: tuple[str, ...] = (
    "rpt_notifications", "rpt_children", "rpt_imd_quintiles", "rpt_death_categories",
    "rpt_maltreatment_subcategories", "rpt_non_fatal_categories", "rpt_case_characteristics",
    "rpt_service_involvement", "rpt_notifications_per_la_band", "rpt_period_change",
    "rpt_rapid_review_timeliness", "rpt_rapid_review_not_received_range", "rpt_rapid_reviews_received",
    "rpt_lcspr_decisions", "rpt_lcspr_initiated_by_year", "rpt_lcspr_reports", "rpt_build_info",
)


class _Marts:
    def __init__(self, client: Any, database: str, year: int) -> None:
        self.client, self.db, self.year = client, check_database_name(database), year

    def rows(self, mart: str, columns: str, order: str, where_year: bool = True) -> list[tuple[Any, ...]]:
        where = " WHERE year = {year:UInt16}" if where_year else ""
        sql = f"SELECT {columns} FROM {self.db}.{mart}{where} ORDER BY {order}"
        return list(self.client.query(sql, parameters={"year": self.year}).result_rows)


def built_as_of(client: Any, database: str) -> dt.date | None:
    """The as_of date the marts were last built for, or None when they are not built."""
    db = check_database_name(database)
    exists = client.command(f"EXISTS TABLE {db}.rpt_build_info")
    if not int(exists):
        return None
    rows = client.query(f"SELECT as_of FROM {db}.rpt_build_info").result_rows
    return rows[0][0] if rows else None


def read_figures(client: Any, database: str, year: int, as_of: dt.date) -> dict[str, Any]:
    """The figures for ``year`` as at ``as_of`` from marts built for exactly that ``as_of``."""
    built = built_as_of(client, database)
    if built is None:
        raise FiguresError(f"the marts in database {database!r} are not built (run `safeguarding dbt build`)")
    if built != as_of:
        raise FiguresError(f"the marts in database {database!r} are built as at {built}, not {as_of}")
    m = _Marts(client, database, year)
    if not m.rows("rpt_notifications", "harm_type, notifications", "position"):
        raise FiguresError(f"no figures for year {year}: the marts built as at {as_of} cover "
                           f"2018 to {as_of.year + 1}")

    def flat(mart: str, key: str, value: str) -> dict[str, Any]:
        return {k: v for k, v in m.rows(mart, f"{key}, {value}", "position")}

    def by_harm(mart: str, key: str) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        rows = m.rows(mart, f"{key}, harm_type, notifications", "position, harm_type")
        for k, harm, n in rows:
            out.setdefault(k, {})[harm] = n
        return out

    children: dict[str, Any] = {}
    for dimension, value, n in m.rows("rpt_children", "dimension, value, children", "position"):
        if dimension == "total":
            children["total"] = n
        else:
            children.setdefault(dimension, {})[value] = n
    harm_order = {"death": 0, "serious_harm": 1, "other": 2}

    def ordered(d: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        return {k: dict(sorted(v.items(), key=lambda kv: harm_order[kv[0]])) for k, v in d.items()}

    service: dict[str, dict[str, dict[str, int]]] = {}
    for dimension, value, harm, n in m.rows(
        "rpt_service_involvement", "dimension, value, harm_type, notifications", "dimension, position, harm_type"
    ):
        service.setdefault(dimension, {}).setdefault(value, {})[harm] = n
    (period,) = m.rows("rpt_period_change", "period_from, period_to, current, previous, pct_change", "year")
    timeliness: dict[str, Any] = {}
    for p, bucket, received, not_received in m.rows(
        "rpt_rapid_review_timeliness", "period, bucket, received, not_received", "period, position"
    ):
        timeliness.setdefault(p, {})[bucket] = {"received": received, "not_received": not_received}
    timeliness = {p: timeliness[p] for p in ("outside_relaxation", "relaxation", "all")}
    timeliness["not_received_working_days"] = {
        p: {"min": lo, "max": hi}
        for p, lo, hi in m.rows("rpt_rapid_review_not_received_range",
                                "period, min_working_days, max_working_days", "period")
    }
    (received,) = m.rows("rpt_rapid_reviews_received", "reviews_received, agrees, disagrees, agreement_pct", "year")
    initiated = {
        str(y): n for y, n in m.rows(
            "rpt_lcspr_initiated_by_year", "initiated_year, lcspr_initiated", "initiated_year", where_year=False
        ) if y <= year
    }
    (reports,) = m.rows(
        "rpt_lcspr_reports",
        "received, published, intend_to_publish, not_publishing, published_over_200_working_days", "year",
    )
    notifications = flat("rpt_notifications", "harm_type", "notifications")
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "notifications": notifications,
        "children": children,
        "imd_quintile": flat("rpt_imd_quintiles", "imd_quintile", "notifications"),
        "death_categories": flat("rpt_death_categories", "category", "notifications"),
        "maltreatment_related_subcategories": flat("rpt_maltreatment_subcategories", "subcategory", "notifications"),
        "non_fatal_categories": ordered(by_harm("rpt_non_fatal_categories", "category")),
        "case_characteristics": ordered(by_harm("rpt_case_characteristics", "characteristic")),
        "service_involvement": {d: ordered(v) for d, v in service.items()},
        "notifications_per_local_authority": flat("rpt_notifications_per_la_band", "band", "local_authorities"),
        "period_change": dict(zip(("from", "to", "current", "previous", "pct_change"), period, strict=True)),
        "rapid_review_timeliness": timeliness,
        "rapid_reviews_received_in_year": received[0],
        "panel_feedback": dict(zip(("agrees", "disagrees", "agreement_pct"), received[1:], strict=True)),
        "lcspr_decisions": flat("rpt_lcspr_decisions", "decision", "notifications"),
        "lcspr_initiated_by_year": initiated,
        "lcspr_reports": dict(zip(
            ("received", "published", "intend_to_publish", "not_publishing", "published_over_200_working_days"),
            reports, strict=True,
        )),
    }
