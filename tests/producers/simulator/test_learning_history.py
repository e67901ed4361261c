"""The learning in simulated histories: the calibrated 2020 history reproduces every learning
figure the report states, computed back from the events by the reference calculator; v2 is
opt-in and changes no v1 figure; random v2 histories exercise every new field."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from infra.cli import main
from producers.reference import compute_figures, replay
from producers.reference.learning import compute_learning
from producers.simulator import random_history, report_2020
from producers.simulator.random_scenario import SimulatorOptionsError
from producers.simulator.report_2020 import targets
from schemas import read_event
from schemas.learning import (
    COVID_FACTORS,
    DISAGREEMENT_DIRECTIONS,
    EVIDENCE_LEVELS,
    NO_LCSPR_REASONS,
    PRACTICE_THEMES,
    QUALITY_RATINGS,
)

AS_OF = dt.date(2021, 3, 31)
JANUARY_2021 = dt.date(2021, 1, 31)


def whole(pct: float) -> int:
    """The report prints whole percentages."""
    return int(Decimal(str(pct)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def v1_history() -> list[bytes]:
    return report_2020(0)


@pytest.fixture(scope="module")
def v2_history() -> list[bytes]:
    return report_2020(0, "v2")


@pytest.fixture(scope="module")
def learning(v2_history):
    return compute_learning(v2_history, 2020, AS_OF, JANUARY_2021)


def test_the_v1_cross_tabulations_of_the_report_come_out_of_the_default_history(v1_history):
    out = compute_learning(v1_history, 2020, AS_OF)
    rates = out["lcspr_decision_rates"]
    assert whole(rates["direct_or_extra_familial_death"]["lcspr_pct"]) == 47  # para 67
    assert whole(rates["death_related_to_maltreatment"]["lcspr_pct"]) == 38
    assert rates["non_fatal"]["lcspr_pct"] < 38  # "... than in ... or non-fatal serious harm cases"
    assert sum(r["lcspr"] for r in rates.values()) == 167 and sum(r["notifications"] for r in rates.values()) == 482
    neglect = out["neglect_in_deaths"]
    assert neglect["death_related_to_maltreatment"] == {"notifications": 125, "neglect": 50, "pct": 40.0}  # para 25
    assert neglect["sudi"]["notifications"] == 63 and neglect["sudi"]["neglect"] == 28  # 44.4%: the nearest to 45%
    assert neglect["all_deaths"]["pct"] == 35.0  # para 25's 35% of fatal incidents, unchanged
    relaxation = out["relaxation_within_25_working_days"]
    assert whole(relaxation["relaxation"]["pct"]) == 60  # para 64
    assert whole(relaxation["outside_relaxation"]["pct"]) - whole(relaxation["relaxation"]["pct"]) == 10
    # Nothing of v2 in a v1 history: every review's learning is not recorded.
    assert out["practice_themes"]["all"]["recorded"] == 0 and out["partnership_yearly_reports"]["partnerships"] == 0


@pytest.mark.parametrize("seed", [1])
def test_another_seed_calibrates_the_same_cross_tabulations(seed):
    out = compute_learning(report_2020(seed), 2020, AS_OF)
    assert out["lcspr_decision_rates"]["direct_or_extra_familial_death"]["lcspr"] == 25
    assert out["lcspr_decision_rates"]["death_related_to_maltreatment"]["lcspr"] == 47
    assert out["neglect_in_deaths"]["sudi"]["neglect"] == 28


def test_the_v2_history_reproduces_the_partnership_figures_of_paras_55_and_56(learning):
    reports = learning["partnership_yearly_reports"]
    assert (reports["partnerships"], reports["local_authorities_covered"]) == (121, 151)
    assert reports["reports_received"] == 68
    assert reports["fully_or_partly"] == 50 and reports["evidence"]["not"] == 18
    assert reports["evidence"]["not_recorded"] == 0


def test_more_yearly_reports_arrive_after_january(v2_history):
    later = compute_learning(v2_history, 2020, AS_OF)["partnership_yearly_reports"]
    assert later["reports_received"] > 68


def test_v2_is_opt_in_and_changes_no_v1_figure(v1_history, v2_history, learning):
    assert compute_figures(v1_history, 2020, AS_OF) == targets()
    assert compute_figures(v2_history, 2020, AS_OF) == targets()
    v1_learning = compute_learning(v1_history, 2020, AS_OF)
    for key in ("lcspr_decision_rates", "neglect_in_deaths", "relaxation_within_25_working_days"):
        assert learning[key] == v1_learning[key]
    assert not any(b".v2" in line or b"partnership" in line for line in v1_history)


def test_the_v2_history_is_valid_and_its_case_events_are_all_accepted(v2_history):
    result = replay(v2_history)
    assert not result.rejected
    partnership_events = sum(b"uk.gov.cspr.partnership." in line for line in v2_history)
    # not cases: routed apart by the history rules, each accepted once
    assert len(result.partnerships) == partnership_events > 121
    types = Counter(read_event(line).type for line in v2_history)
    assert not [t for t in types if t.endswith((".rapid_review.submitted.v1", ".panel.feedback_issued.v1",
                                                ".lcspr.report_received.v1", ".rapid_review.decision_made.v1"))]


def test_the_learning_follows_the_reports_descriptions(learning):
    reasons = learning["no_lcspr_reasons"]["reason"]
    assert max(NO_LCSPR_REASONS, key=reasons.__getitem__) == "learning_known_from_local_reviews"  # para 68
    disagreement = learning["panel_disagreement"]
    assert disagreement["disagrees"] == 144 and disagreement["lcspr_needed"] > disagreement["lcspr_not_needed"]  # para 67
    ethnicity = learning["ethnicity_recorded"]
    assert ethnicity["no"] > 0 and ethnicity["pct"] < 100  # para 66: a common omission
    themes = learning["covid_factors_by_case_theme"]
    assert themes["nai_under_1"]["parental_family_stressors"] >= themes["nai_under_1"]["school_closures"]


def test_a_random_v2_history_exercises_every_new_field_and_keeps_its_v1_figures():
    options: dict[str, Any] = {"start_year": 2019, "years": 2, "duplicate_rate": 0.02, "out_of_order_rate": 0.02, "invalid_rate": 0.01}
    v1 = list(random_history(600, seed=5, **options))
    v2 = list(random_history(600, seed=5, contract="v2", **options))
    for year in (2019, 2020):
        assert compute_figures(v2, year, AS_OF) == compute_figures(v1, year, AS_OF)
    seen: dict[str, set[object]] = {}
    for line in v2:
        try:
            doc = json.loads(line)
            data = doc["data"]
        except (ValueError, KeyError, TypeError):
            continue
        if not isinstance(data, dict) or not str(doc.get("type", "")).endswith((".v2", "partnership.yearly_report_received.v1")):
            continue
        for name, value in data.items():
            values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
            hashable = [v for v in (values if value is not None else [None]) if not isinstance(v, (list, dict))]
            seen.setdefault(name, set()).update(hashable)
    assert set(PRACTICE_THEMES) | {None} <= seen["practice_themes"]
    assert set(COVID_FACTORS) | {None} <= seen["covid_factors"]
    assert set(NO_LCSPR_REASONS) | {None} <= seen["no_lcspr_reason"]
    assert {True, False, None} <= seen["alternative_review_proposed"]
    assert {True, False, None} <= seen["ethnicity_recorded"] and {True, False, None} <= seen["family_detail_recorded"]
    assert set(DISAGREEMENT_DIRECTIONS) | {None} <= seen["disagreement"]
    assert set(QUALITY_RATINGS) | {None} <= seen["quality"]
    assert set(EVIDENCE_LEVELS) | {None} <= seen["wt2018_evidence"]
    out = compute_learning(v2, 2020, AS_OF)
    assert out["partnership_yearly_reports"]["reports_received"] > 0
    assert out["practice_themes"]["all"]["recorded"] > 0


def test_simulate_takes_contract_v2_and_refuses_another(tmp_path, capsys):
    out = tmp_path / "v2.jsonl"
    assert main(["simulate", "--scenario", "report-2020", "--contract", "v2", "--out", str(out), "--seed", "3"]) == 0
    assert out.read_bytes().splitlines() == report_2020(3, "v2")
    assert main(["simulate", "--scenario", "random", "--contract", "v3", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "--contract" in capsys.readouterr().err
    with pytest.raises(SimulatorOptionsError, match="--contract must be v1 or v2"):
        list(random_history(10, contract="v3"))
