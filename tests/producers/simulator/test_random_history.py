"""Random histories: realistic, internally consistent figures, and every fault at its rate."""

from __future__ import annotations

import datetime as dt
import types
from collections import Counter

import pytest

from producers.reference import compute_figures, replay
from producers.simulator import random_history
from producers.simulator.random_scenario import RandomOptions, SimulatorOptionsError
from schemas import EventValidationError, parse_event


@pytest.fixture(scope="module")
def clean():
    return list(random_history(1500, seed=3, start_year=2019, years=2, duplicate_rate=0, out_of_order_rate=0,
                               invalid_rate=0))


@pytest.fixture(scope="module")
def faulty():
    return list(random_history(1500, seed=4, duplicate_rate=0.05, out_of_order_rate=0.2, invalid_rate=0.05))


def test_clean_history_is_all_valid_and_accepted(clean):
    result = replay(clean)
    assert result.rejected == [] and result.duplicates == 0
    assert sum(1 for a in result.accepted if a.event.short_type == "incident.notified") == 1500


def test_figures_of_a_random_history_are_internally_consistent(clean):
    for year in (2019, 2020):
        f = compute_figures(clean, year, dt.date(2021, 3, 31))
        total = f["notifications"]["total"]
        assert total == sum(f["notifications"][h] for h in ("death", "serious_harm", "other")) > 0
        assert sum(f["death_categories"].values()) == f["notifications"]["death"]
        for block in f["service_involvement"].values():
            assert sum(sum(by.values()) for by in block.values()) == total
        assert sum(f["imd_quintile"].values()) == total
        assert sum(f["notifications_per_local_authority"].values()) == 151
        assert sum(f["lcspr_decisions"].values()) == total
        t = f["rapid_review_timeliness"]
        for bucket, row in t["all"].items():
            for status in ("received", "not_received"):
                assert row[status] == t["relaxation"][bucket][status] + t["outside_relaxation"][bucket][status]
        assert sum(f["children"]["age_band"].values()) == f["children"]["total"] == sum(f["children"]["gender"].values())
        r = f["lcspr_reports"]
        assert r["received"] == r["published"] + r["intend_to_publish"] + r["not_publishing"]


def test_faults_appear_at_their_rates_with_every_kind_of_rejection(faulty):
    result = replay(faulty)
    reasons = Counter(r.reason for r in result.rejected)
    for reason in ("invalid_json", "not_utf8", "not_an_object", "unknown_type", "schema_violation",
                   "message_too_large", "nesting_too_deep",
                   "source_not_authorised", "case_exists", "case_rule_violation", "unknown_case"):
        assert reasons[reason] > 0, reasons
    assert 0.03 < result.duplicates / len(faulty) < 0.07
    held_then_accepted = 0
    seen = set()
    for line in faulty:
        try:
            e = parse_event(line)
        except EventValidationError:
            continue
        if e.short_type == "incident.notified":
            seen.add(e.subject)
        elif e.subject not in seen and not e.subject.startswith("SIN-X"):
            held_then_accepted += 1
    assert held_then_accepted > 100


def test_history_is_streamed_not_built_in_memory():
    lines = random_history(10, seed=1)
    assert isinstance(lines, types.GeneratorType)
    assert next(lines).startswith(b'{"specversion":"1.0"')


def test_same_seed_same_bytes():
    assert list(random_history(200, seed=9)) == list(random_history(200, seed=9))
    assert list(random_history(200, seed=9)) != list(random_history(200, seed=10))


def test_notifications_spread_over_the_requested_years():
    years = Counter(parse_event(line).time.year for line in random_history(400, seed=2, start_year=2021, years=3,
                                                                            invalid_rate=0)
                    if b"incident.notified" in line)
    assert set(years) == {2021, 2022, 2023}


@pytest.mark.parametrize(("option", "value"), [
    ("duplicate_rate", 1.5), ("invalid_rate", -0.1), ("correction_rate", "x"), ("years", 0), ("start_year", 2017),
])
def test_bad_options_are_refused_with_the_option_named(option, value):
    with pytest.raises(SimulatorOptionsError, match=option.replace("_", "-")):
        RandomOptions(cases=10, **{option: value})
