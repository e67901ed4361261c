"""The stream's live learning figures (streams/figures/learning.py), folded from the case states
without a broker, equal the reference calculator's; a viewer's are suppressed."""

from __future__ import annotations

import pytest

from producers.simulator import random_history, report_2020
from streams.cases.history import CaseProjection, CaseState, Origin
from streams.figures.learning import learning_figures, suppressed_learning
from tests.streams.figures.learning_reference import reference_live


def _states(lines: list[bytes]) -> list[CaseState]:
    projection = CaseProjection({})
    for offset, raw in enumerate(lines):
        projection.process(raw, Origin("in", 0, offset))
    return list(projection.cases.values())


@pytest.fixture(scope="module")
def calibrated() -> list[bytes]:
    return report_2020(0, "v2")


def test_live_learning_equals_the_reference_on_the_calibrated_history(calibrated):
    got = learning_figures(_states(calibrated), 2020)
    assert got == reference_live(calibrated, 2020)
    assert got["practice_themes"]["all"]["recorded"] > 400 and got["partnerships"]["partnerships"] == 121


def test_live_learning_equals_the_reference_on_a_random_history():
    options = {"start_year": 2019, "years": 2, "duplicate_rate": 0.03, "out_of_order_rate": 0.03, "invalid_rate": 0.02}
    lines = list(random_history(600, seed=17, contract="v2", **options))
    states = _states(lines)
    for year in (2019, 2020):
        assert learning_figures(states, year) == reference_live(lines, year)


def test_a_v1_history_has_reviews_but_nothing_recorded():
    got = learning_figures(_states(report_2020(0)), 2020)
    assert got["practice_themes"]["all"]["reviews"] > 400 and got["practice_themes"]["all"]["recorded"] == 0
    assert got["partnerships"]["partnerships"] == 0


def test_a_viewer_sees_small_counts_as_c_and_cannot_subtract_them_back(calibrated):
    exact = learning_figures(_states(calibrated), 2020)
    viewer = suppressed_learning(exact, 2)
    for section in ("practice_themes", "covid_factors"):
        for group, counts in exact[section].items():
            for item, n in counts.items():
                text = viewer[section][group][item]
                assert text in ("c", str(n))
                if 1 <= n <= 2 and item != "reviews":
                    assert text == "c"
        # no quarter left alone as 'c' beside a shown year: it would be the year minus the others
        for item in exact[section]["all"]:
            quarters = [viewer[section][q][item] for q in ("Q1", "Q2", "Q3", "Q4")]
            if viewer[section]["all"][item] != "c":
                assert quarters.count("c") != 1, (section, item)
    assert viewer["partnerships"]["partnerships"] == "121"


def test_a_lone_small_quarter_takes_a_second_cell_with_it(calibrated):
    exact = learning_figures(_states(calibrated), 2020)
    q = exact["practice_themes"]
    moved = q["Q1"]["information_sharing"] - 1
    q["Q1"]["information_sharing"], q["all"]["information_sharing"] = 1, q["all"]["information_sharing"] - moved
    viewer = suppressed_learning(exact, 2)["practice_themes"]
    assert viewer["Q1"]["information_sharing"] == "c"
    others = [viewer[g]["information_sharing"] for g in ("all", "Q2", "Q3", "Q4")]
    assert "c" in others  # secondary: else the year minus the other quarters gives it back
