"""Working days and rapid-review timeliness as the contract defines them."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.calendar import (
    add_working_days,
    bank_holidays,
    in_relaxation,
    is_working_day,
    requested_completion_date,
    timeliness_bucket,
    working_days,
)

D = dt.date


def test_bank_holidays_come_from_the_maintained_calendar_including_moved_ones() -> None:
    holidays = bank_holidays()
    assert D(2020, 5, 8) in holidays  # early May bank holiday moved to VE Day in 2020
    assert D(2020, 5, 4) not in holidays
    assert D(2022, 9, 19) in holidays  # the Queen's state funeral
    assert D(2020, 12, 28) in holidays  # Boxing Day substitute
    assert not is_working_day(D(2020, 5, 8)) and is_working_day(D(2020, 5, 7))


@pytest.mark.parametrize(("a", "b", "expected"), [
    (D(2020, 4, 30), D(2020, 4, 30), 0),
    (D(2020, 4, 30), D(2020, 5, 1), 1),        # a excluded, b included
    (D(2020, 5, 1), D(2020, 5, 4), 1),         # across a weekend
    (D(2020, 4, 30), D(2020, 5, 21), 14),      # the example case's rapid review (VE Day off)
    (D(2021, 4, 1), D(2021, 4, 12), 5),        # Good Friday and Easter Monday
    (D(2021, 3, 10), D(2021, 3, 1), -7),       # reversed: negative
    (D(2005, 1, 1), D(2005, 1, 10), 5),        # outside the precomputed span
])
def test_working_days_counts_days_after_a_up_to_and_including_b(a: dt.date, b: dt.date, expected: int) -> None:
    assert working_days(a, b) == expected


def test_requested_completion_is_the_15th_working_day_after_notification() -> None:
    assert requested_completion_date(D(2020, 4, 30)) == D(2020, 5, 22)
    assert working_days(D(2020, 4, 30), requested_completion_date(D(2020, 4, 30))) == 15
    assert add_working_days(D(2020, 12, 24), 1) == D(2020, 12, 29)
    with pytest.raises(ValueError):
        add_working_days(D(2020, 1, 1), 0)


@pytest.mark.parametrize(("n", "bucket"), [(0, "1-15"), (15, "1-15"), (16, "16-25"), (25, "16-25"),
                                           (26, "26-59"), (59, "26-59"), (60, "60+"), (280, "60+")])
def test_timeliness_buckets(n: int, bucket: str) -> None:
    assert timeliness_bucket(n) == bucket


def test_relaxation_is_inclusive_at_both_ends() -> None:
    assert [in_relaxation(d) for d in (D(2020, 3, 31), D(2020, 4, 1), D(2020, 9, 30), D(2020, 10, 1))] == [
        False, True, True, False]
