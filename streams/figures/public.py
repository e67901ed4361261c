"""The stream's live figures as viewers may see them: what goes into ``{db}.pub_stream_figures``.

Each snapshot of the live figures (``streams.figures.snapshots``) is written twice: whole into
``stream_figures`` (for the reconciliation with dbt; analysts only: it holds every authority's
exact count) and, through ``public_rows``, into ``pub_stream_figures``, the one table of the
stream that Grafana's viewer user may read (infra/clickhouse/users.d/cspr-users.xml).

The disclosure rule (``schemas.disclosure``): national (England) figures are published exactly,
as the national marts are; counts by area go through suppression. The live table keeps the
national figures only (each inbound partition's snapshot of them, as ``stream_figures``: readers
sum the partitions' latest snapshots): notifications by year and harm type, the year-on-year period, rapid-review
timeliness and how many reviews are overdue. The authority figures (``notifications_by_la``,
``la_bands``) are left out rather than suppressed here: the published area tables are suppressed
jointly across authority, region and England by quarter and year for one set of events, and a
second, differently suppressed copy of the same cells taken at another moment is exactly what a
differencing attack needs. The worker's own ``/figures`` views serve suppressed authority counts
on request; Grafana shows them from the vintage's ``pub_*`` tables.
"""

from __future__ import annotations

from typing import Any

from schemas.disclosure import ENGLAND

# the figures of streams.figures.reconciliation whose every cell is national (ENGLAND's level)
NATIONAL_FIGURES = frozenset({"notifications", "period_change", "timeliness_received",
                              "timeliness_not_received", "overdue"})
LEVEL = ENGLAND  # the level every published live figure is at


def public_rows(rows: list[list[Any]]) -> list[list[Any]]:
    """The viewer-safe rows of one ``stream_figures`` snapshot (``COLUMNS`` order): its national
    figures; any figure not known to be national is left out (a new figure is withheld until
    it is listed here)."""
    return [row for row in rows if row[2] in NATIONAL_FIGURES]
