"""The one definition of a panel, shared by the Grafana builder and the quarterly briefing.

A panel is data, not Grafana JSON: a title, a chart kind, the SQL over the dbt marts that
feeds it, and how to read its columns. ``common.py`` turns it into a Grafana panel (the
query goes to the ClickHouse data source); ``briefing/render.py`` runs the same SQL against
the warehouse and draws it as inline SVG or an HTML table. Writing it once is what keeps the
dashboards and the briefing from telling two different stories.

Panel SQL may use only these placeholders, which both sides fill:
  ``${database}``        the marts' database (a hidden constant variable in Grafana)
  ``$__fromTime`` / ``$__toTime``  the time range (Grafana ClickHouse macros; the briefing's quarter)
  ``${local_authority}`` the local-authority variable (Local area dashboard only)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal["barchart", "timeseries", "stat", "table", "piechart", "text"]
KINDS: tuple[str, ...] = ("barchart", "timeseries", "stat", "table", "piechart", "text")
PLACEHOLDERS = ("${database}", "$__fromTime", "$__toTime", "${local_authority}")


@dataclass(frozen=True)
class Panel:
    """One chart or table. ``key`` is the name of the function that defines it."""

    title: str
    kind: Kind
    sql: str
    description: str
    # the category (barchart, piechart, table) or time (timeseries) column; None for a stat
    x: str | None = None
    # the value columns drawn as series; empty means every column but ``x``
    series: tuple[str, ...] = ()
    unit: str = "short"  # Grafana unit id: short, percent, d (days)
    stacked: bool = False
    width: int = 12
    height: int = 8
    # local-area panels read suppressed marts: a count may be the string 'c'
    suppressed: bool = False
    # the acceptance figure (a key of report-2020-figures.json) the panel shows, if any
    figure: str | None = None
    key: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"panel {self.title!r}: unknown kind {self.kind!r}")
        if not 1 <= self.width <= 24:
            raise ValueError(f"panel {self.title!r}: width must be 1..24 grid columns")


def panel(fn: Callable[[], Panel]) -> Callable[[], Panel]:
    """Mark a ``<measure>_<panel type>()`` function as a panel definition; its name is the key."""

    @functools.wraps(fn)
    def defined() -> Panel:
        p = fn()
        kind_suffix = fn.__name__.rsplit("_", 1)[-1]
        if kind_suffix != p.kind and not (kind_suffix == "list" and p.kind == "table"):
            raise ValueError(f"{fn.__name__}: name must end in its panel type ({p.kind})")
        return replace(p, key=fn.__name__)

    return defined


def fill(sql: str, *, database: str, from_time: str, to_time: str, local_authority: str | None = None) -> str:
    """The briefing's side of the placeholders: the SQL as ClickHouse runs it outside Grafana.

    ``from_time``/``to_time`` are 'YYYY-MM-DD HH:MM:SS' (UTC), as Grafana's macros expand to
    ``toDateTime(<unix seconds>)``.
    """
    out = (
        sql.replace("${database}", database)
        .replace("$__fromTime", f"toDateTime('{from_time}', 'UTC')")
        .replace("$__toTime", f"toDateTime('{to_time}', 'UTC')")
    )
    if "${local_authority}" in out:
        if local_authority is None:
            raise ValueError("this panel needs a local authority")
        out = out.replace("${local_authority}", local_authority.replace("'", ""))
    return out
