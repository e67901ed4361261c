"""The definitions every published figure shares, in one place: the rounding rule of percentages,
the bands of local authorities by their notifications, and the year-on-year comparison period.

The reference calculator (``producers/reference``), the stream's live figures, the dashboards
(``pct_sql``), the briefing and the partner gateway import them from here. dbt keeps its own SQL of the same rules
(``pct_one_decimal`` in ``dbt/macros/as_of.sql``, the ``multiIf`` of
``fct_local_authority_notifications``, the vars ``period_from``/``period_to``), and
``tests/schemas/test_figures.py`` proves they agree with these on a grid of values.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal


def pct(numerator: int, denominator: int) -> float | None:
    """100 x numerator / denominator to one decimal, halves away from zero (the annual report's
    rule, and the DfE's); None when the denominator is 0. Exact: decimal, never binary floats
    (Python's ``round`` rounds 6.25 to 6.2)."""
    if not denominator:
        return None
    value = Decimal(100 * numerator) / Decimal(denominator)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def pct_sql(numerator: str, denominator: str) -> str:
    """``pct`` as a ClickHouse expression of two integer SQL expressions (the dashboards' panels;
    dbt's macro ``pct_one_decimal`` is the same SQL). Exact integer arithmetic, because ClickHouse
    rounds floats half to even: round(1000 n / d) / 10, halves away from zero."""
    n, d = f"toInt64({numerator})", f"toInt64({denominator})"
    return f"if(({denominator}) = 0, NULL, toFloat64(sign({n}) * intDiv(2 * abs(1000 * {n}) + {d}, 2 * {d})) / 10)"


# Local authorities by how many notifications they made in a year (the report's table): the band's
# name, its lowest and highest count (None: no upper bound).
LA_BANDS: tuple[tuple[str, int, int | None], ...] = (("0", 0, 0), ("1-2", 1, 2), ("3-6", 3, 6), ("7+", 7, None))
LA_BAND_NAMES: tuple[str, ...] = tuple(name for name, _, _ in LA_BANDS)


def la_band(notifications: int) -> str:
    """The band of an authority with this many notifications in a year."""
    if notifications < 0:
        raise ValueError(f"a count of notifications cannot be negative, got {notifications}")
    return next(name for name, lo, hi in LA_BANDS if lo <= notifications and (hi is None or notifications <= hi))


# The report's year-on-year comparison (the 27% rise): notifications from 1 April to 30 September
# (inclusive, by notified date) of a year against the same dates of the year before. Month-day.
PERIOD_FROM, PERIOD_TO = "04-01", "09-30"


def comparison_period(year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of the comparison period in ``year``."""
    return dt.date.fromisoformat(f"{year}-{PERIOD_FROM}"), dt.date.fromisoformat(f"{year}-{PERIOD_TO}")


def year_before(day: dt.date) -> dt.date:
    """The same date a year earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)
