"""Working days and rapid-review timeliness, as the event contract defines them.

A working day is Monday to Friday and not a bank holiday in England and Wales, taken from the
maintained ``holidays`` calendar (never a hand-written list). ``working_days(a, b)`` counts the
working days d with a < d <= b. This module is the one Python implementation of those rules:
the stream and the reference calculator import it; dbt builds the same calendar from a seed
generated from this module (``dbt/seeds/bank_holidays.csv``, drift-tested).
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import holidays

from schemas.errors import CsprError

# The calendar is materialised for this span; dates outside it are computed the slow way.
_FIRST_YEAR = 2010
_LAST_YEAR = 2060

REQUESTED_COMPLETION_WORKING_DAYS = 15
TIMELINESS_BUCKETS: tuple[str, ...] = ("1-15", "16-25", "26-59", "60+")

# Windows of the authorised extension ("relaxation"): reviews whose requested completion date
# falls inside one, inclusive at both ends. 2020-04-01..2020-09-30 is the only one so far; a new
# one is added here and in dbt/seeds/relaxation_windows.csv (a test keeps the two equal).
RELAXATION_WINDOWS: tuple[tuple[dt.date, dt.date], ...] = (
    (dt.date(2020, 4, 1), dt.date(2020, 9, 30)),
)


@lru_cache(maxsize=1)
def bank_holidays() -> frozenset[dt.date]:
    """Bank holidays in England and Wales, weekends included where they fall on one."""
    cal = holidays.country_holidays("GB", subdiv="ENG", years=range(_FIRST_YEAR, _LAST_YEAR + 1))
    return frozenset(cal.keys())


@lru_cache(maxsize=64)
def _bank_holidays_of(year: int) -> frozenset[dt.date]:
    # Years outside the materialised span (rare: contract dates start in 2018).
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(d: dt.date) -> bool:
    if d.weekday() >= 5:
        return False
    return d not in (bank_holidays() if _in_span(d) else _bank_holidays_of(d.year))


@lru_cache(maxsize=1)
def _working_day_ordinals() -> list[int]:
    start = dt.date(_FIRST_YEAR, 1, 1).toordinal()
    end = dt.date(_LAST_YEAR, 12, 31).toordinal()
    return [o for o in range(start, end + 1) if is_working_day(dt.date.fromordinal(o))]


def _in_span(d: dt.date) -> bool:
    return _FIRST_YEAR <= d.year <= _LAST_YEAR


def working_days(a: dt.date, b: dt.date) -> int:
    """Working days d with a < d <= b; negative when b is before a (the count from b to a)."""
    if b < a:
        return -working_days(b, a)
    if _in_span(a) and _in_span(b):
        ords = _working_day_ordinals()
        return bisect.bisect_right(ords, b.toordinal()) - bisect.bisect_right(ords, a.toordinal())
    count, d = 0, a
    while d < b:
        d += dt.timedelta(days=1)
        count += is_working_day(d)
    return count


def add_working_days(d: dt.date, n: int) -> dt.date:
    """The n-th working day after d (n >= 1), i.e. the date e with working_days(d, e) == n."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if _in_span(d):
        ords = _working_day_ordinals()
        i = bisect.bisect_right(ords, d.toordinal()) + n - 1
        if i < len(ords):
            return dt.date.fromordinal(ords[i])
    e = d
    while n:
        e += dt.timedelta(days=1)
        n -= is_working_day(e)
    return e


def requested_completion_date(notified_date: dt.date) -> dt.date:
    """A rapid review is due on the 15th working day after the notification date."""
    return add_working_days(notified_date, REQUESTED_COMPLETION_WORKING_DAYS)


def timeliness_bucket(elapsed_working_days: int) -> str:
    """``1-15`` (which also holds 0), ``16-25``, ``26-59`` or ``60+``."""
    if elapsed_working_days <= 15:
        return "1-15"
    if elapsed_working_days <= 25:
        return "16-25"
    if elapsed_working_days <= 59:
        return "26-59"
    return "60+"


def in_relaxation(requested_completion: dt.date) -> bool:
    return any(lo <= requested_completion <= hi for lo, hi in RELAXATION_WINDOWS)


class QuarterError(CsprError):
    """Text that is not a quarter (``2020Q3``)."""


@dataclass(frozen=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = re.fullmatch(r"(\d{4})-?Q([1-4])", text.strip(), flags=re.IGNORECASE)
        if not m or not 2018 <= int(m[1]) <= 2100:
            raise QuarterError(f"--quarter must look like 2020Q3 (a year from 2018, quarter 1-4), got {text!r}")
        return cls(int(m[1]), int(m[2]))

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> dt.date:
        month = 3 * self.q
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    def __str__(self) -> str:
        return f"{self.year} Q{self.q}"

    def months(self) -> str:
        return f"{self.start:%B} to {self.end:%B %Y}"
