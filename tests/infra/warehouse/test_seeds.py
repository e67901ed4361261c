"""The dbt seeds are generated from schemas/ and must not drift from it."""

from __future__ import annotations

import csv
import datetime as dt

from infra.warehouse.seeds import render_seeds, seeds_dir
from schemas.calendar import RELAXATION_WINDOWS, bank_holidays


def test_committed_seeds_equal_a_fresh_generation():
    for name, text in render_seeds().items():
        committed = (seeds_dir() / name).read_text("utf-8")
        assert committed == text, f"dbt/seeds/{name} drifted: run python -m infra.warehouse.seeds"


def test_bank_holiday_seed_is_the_maintained_calendar():
    with (seeds_dir() / "bank_holidays.csv").open() as f:
        dates = {dt.date.fromisoformat(r["holiday_date"]) for r in csv.DictReader(f)}
    assert dates == set(bank_holidays())
    assert dt.date(2020, 5, 8) in dates  # the VE day bank holiday moved in 2020


def test_relaxation_window_seed_equals_the_python_windows():
    with (seeds_dir() / "relaxation_windows.csv").open() as f:
        windows = tuple((dt.date.fromisoformat(r["window_start"]), dt.date.fromisoformat(r["window_end"]))
                        for r in csv.DictReader(f))
    assert windows == RELAXATION_WINDOWS
