"""The learning figures on hand-made histories: each test pins one definition of LEARNING.md."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from typing import Any

from producers.reference.learning import compute_learning, overall_evidence
from schemas.learning import Wt2018Evidence
from tests.producers.reference.builders import LA, event, notified, review

T = dt.date(2021, 3, 31)
_ids = itertools.count(10_000)


def v2(kind: str, subject: str, day: str, data: dict[str, Any], version: int = 2) -> bytes:
    source = "urn:cspr:panel" if kind.startswith(("panel.", "partnership.")) else f"urn:cspr:la:{LA}"
    doc = {"specversion": "1.0", "id": str(uuid.UUID(int=next(_ids))), "source": source,
           "type": f"uk.gov.cspr.{kind}.v{version}", "subject": subject, "time": f"{day}T10:00:00Z", "data": data}
    return json.dumps(doc).encode()


def review_v2(subject: str, day: str, decision: str = "no_lcspr", themes: list[str] | None = None,
              factors: list[str] | None = None, ethnicity: bool | None = True, reason: str | None = None) -> bytes:
    return v2("rapid_review.submitted", subject, day, {
        "received_date": day, "decision": decision,
        "no_lcspr_reason": reason, "alternative_review_proposed": True if reason else None,
        "practice_themes": themes, "covid_factors": factors,
        "ethnicity_recorded": ethnicity, "family_detail_recorded": None})


def feedback_v2(subject: str, day: str, agrees: bool, direction: str | None = None,
                quality: dict[str, str] | None = None) -> bytes:
    return v2("panel.feedback_issued", subject, day, {"feedback_date": day, "agrees_with_decision": agrees,
                                                      "disagreement": direction, "quality": quality})


def learning(lines: list[bytes], partnerships_as_of: dt.date | None = None) -> dict[str, Any]:
    return compute_learning(lines, 2020, T, partnerships_as_of)


def test_a_v1_review_counts_as_a_review_with_learning_not_recorded() -> None:
    out = learning([notified("SIN-2020-000001", "2020-02-03"), review("SIN-2020-000001", "2020-02-20")])
    assert out["practice_themes"]["all"]["reviews"] == 1
    assert out["practice_themes"]["all"]["recorded"] == 0
    assert out["ethnicity_recorded"] == {"yes": 0, "no": 0, "not_recorded": 1, "pct": None}
    assert out["no_lcspr_reasons"]["reason"]["not_recorded"] == 1


def test_themes_come_from_the_latest_submission_in_the_quarter_of_the_first() -> None:
    s = "SIN-2020-000002"
    out = learning([notified(s, "2020-03-02", ages=(0, 6)),
                    review_v2(s, "2020-03-20", themes=["child_daily_life"]),
                    review_v2(s, "2020-04-06", themes=["information_sharing", "leadership_and_culture"])])
    themes = out["practice_themes"]
    assert themes["by_quarter"]["2020Q1"]["reviews"] == 1 and themes["by_quarter"]["2020Q2"]["reviews"] == 0
    assert themes["by_quarter"]["2020Q1"]["information_sharing"] == 1
    assert themes["by_quarter"]["2020Q1"]["child_daily_life"] == 0
    assert themes["by_age_band"]["under_1"]["reviews"] == 1  # the youngest child
    assert themes["by_category"]["physical_abuse"]["leadership_and_culture"] == 1


def test_an_empty_list_is_recorded_none_and_null_is_not_recorded() -> None:
    a, b = "SIN-2020-000003", "SIN-2020-000004"
    out = learning([notified(a, "2020-05-01", harm="death", category="sudi", ages=(0,)),
                    review_v2(a, "2020-05-20", factors=[]),
                    notified(b, "2020-05-01", harm="death", category="sudi", ages=(0,)),
                    review_v2(b, "2020-05-21", factors=["parental_family_stressors"])])
    sudi = out["covid_factors_by_case_theme"]["sudi"]
    assert (sudi["reviews"], sudi["recorded"], sudi["citing_any"], sudi["parental_family_stressors"]) == (2, 2, 1, 1)


def test_case_themes_take_the_first_rule_that_applies() -> None:
    lines = []
    for i, (category, harm, age) in enumerate([("physical_abuse", "serious_harm", 0), ("physical_abuse", "serious_harm", 4),
                                               ("criminal_exploitation", "serious_harm", 15), ("suicide", "death", 16)]):
        s = f"SIN-2020-00010{i}"
        lines += [notified(s, "2020-06-01", harm=harm, category=category, ages=(age,)), review_v2(s, "2020-06-20")]
    themes = {k: v["reviews"] for k, v in learning(lines)["covid_factors_by_case_theme"].items()}
    assert themes == {"nai_under_1": 1, "sudi": 0, "suicide": 1, "neglect": 0,
                      "adolescent_extra_familial_harm": 1, "other": 1}


def test_reason_for_no_lcspr_is_that_of_the_latest_decision() -> None:
    s = "SIN-2020-000005"
    decided = v2("rapid_review.decision_made", s, "2020-07-10", {
        "decision": "no_lcspr", "decision_date": "2020-07-10",
        "no_lcspr_reason": "covered_by_national_review", "alternative_review_proposed": False})
    out = learning([notified(s, "2020-06-01"), review_v2(s, "2020-06-20", decision="undecided"), decided])
    reasons = out["no_lcspr_reasons"]
    assert reasons["no_lcspr"] == 1 and reasons["reason"]["covered_by_national_review"] == 1
    assert reasons["alternative_review_proposed"] == {"yes": 0, "no": 1, "not_recorded": 0}


def test_disagreement_and_quality_come_from_the_latest_feedback() -> None:
    s, q = "SIN-2020-000006", {"analysis_and_reflection": "weak", "senior_leadership_input": "adequate",
                               "decision_rationale": "weak", "family_detail": "strong"}
    out = learning([notified(s, "2020-06-01"), review_v2(s, "2020-06-20"),
                    feedback_v2(s, "2020-06-25", True),
                    feedback_v2(s, "2020-07-01", False, "lcspr_needed", q)])
    assert out["panel_disagreement"] == {"disagrees": 1, "lcspr_needed": 1, "lcspr_not_needed": 0, "not_recorded": 0}
    quality = out["rapid_review_quality"]
    assert quality["assessed"] == 1 and quality["analysis_and_reflection"]["weak_pct"] == 100.0
    assert quality["family_detail"] == {"strong": 1, "adequate": 0, "weak": 0, "weak_pct": 0.0}


def test_lcspr_rates_count_undecided_in_the_denominator_by_group_of_harm() -> None:
    lines = []
    for i, (category, decision) in enumerate([("sudi", "lcspr"), ("suicide", "no_lcspr"), ("maltreatment_related_death", None),
                                              ("overt_filicide", "lcspr"), ("not_clear", "no_lcspr")]):
        s = f"SIN-2020-00020{i}"
        extra = {"subcategory": "accident"} if category == "maltreatment_related_death" else {}
        lines.append(notified(s, "2020-04-01", harm="death", category=category, ages=(0,), **extra))
        if decision:
            lines.append(review(s, "2020-04-20", decision))
    rates = learning(lines)["lcspr_decision_rates"]
    assert rates["death_related_to_maltreatment"] == {"notifications": 3, "lcspr": 1, "no_lcspr": 1, "undecided": 1,
                                                      "lcspr_pct": 33.3}
    assert rates["direct_or_extra_familial_death"]["lcspr_pct"] == 100.0
    assert rates["other_death"]["lcspr_pct"] == 0.0 and rates["non_fatal"]["lcspr_pct"] is None


def test_neglect_in_deaths_counts_the_characteristic_as_corrected() -> None:
    s = "SIN-2020-000007"
    corrected = event("incident.corrected", s, "2020-03-10",
                      {"changes": {"case_characteristics": ["neglect"]}, "reason": "new_information"})
    out = learning([notified(s, "2020-03-02", harm="death", category="sudi", ages=(0,)), corrected])
    assert out["neglect_in_deaths"]["sudi"] == {"notifications": 1, "neglect": 1, "pct": 100.0}


def _partnership(subject: str, day: str, las: list[str]) -> bytes:
    return v2("partnership.registered", subject, day, {"registered_date": day, "local_authorities": las}, version=1)


def _yearly(subject: str, day: str, levels: tuple[str, str, str, str] | None) -> bytes:
    evidence = None if levels is None else dict(zip(
        ("impact_on_outcomes", "limited_progress_analysis", "review_recommendations_decisions",
         "child_and_family_feedback"), levels, strict=True))
    return v2("partnership.yearly_report_received", subject, day,
              {"received_date": day, "period_end": "2020-03-31", "wt2018_evidence": evidence}, version=1)


def test_partnership_reports_are_counted_as_at_their_own_date() -> None:
    lines = [_partnership("SCP-0001", "2019-09-02", ["E06000001", "E06000004"]),
             _partnership("SCP-0002", "2019-09-02", ["E06000002"]),
             _partnership("SCP-0003", "2019-09-02", ["E06000003"]),
             _yearly("SCP-0001", "2020-10-01", ("fully", "fully", "fully", "fully")),
             _yearly("SCP-0002", "2020-11-02", ("not", "not", "partly", "not")),
             _yearly("SCP-0003", "2021-02-01", ("fully", "partly", "fully", "fully")),
             _yearly("SCP-0009", "2020-11-02", None)]  # never registered: not counted
    early = learning(lines, dt.date(2021, 1, 31))["partnership_yearly_reports"]
    assert (early["partnerships"], early["local_authorities_covered"], early["reports_received"]) == (3, 4, 2)
    assert early["evidence"] == {"fully": 1, "partly": 0, "not": 1, "not_recorded": 0}
    assert early["fully_or_partly"] == 1
    late = learning(lines)["partnership_yearly_reports"]
    assert late["reports_received"] == 3 and late["evidence"]["partly"] == 1


def test_partnership_events_never_reach_the_case_rules() -> None:
    lines = [_partnership("SCP-0001", "2019-09-02", ["E06000001"])]
    out = learning([*lines, notified("SIN-2020-000008", "2020-02-03")])
    assert out["partnership_yearly_reports"]["partnerships"] == 1
    assert out["practice_themes"]["all"]["reviews"] == 0


def test_a_report_is_not_evidencing_when_three_of_four_requirements_are_not() -> None:
    def level(*levels: str) -> str:
        return overall_evidence(Wt2018Evidence.model_validate(dict(zip(Wt2018Evidence.model_fields, levels, strict=True))))

    assert level("fully", "fully", "fully", "fully") == "fully"
    assert level("fully", "fully", "fully", "partly") == "partly"
    assert level("not", "not", "partly", "partly") == "partly"
    assert level("not", "not", "not", "fully") == "not"


def test_within_25_working_days_reads_the_timeliness_rows() -> None:
    s, t = "SIN-2020-000010", "SIN-2020-000011"
    out = learning([notified(s, "2020-05-01"), review(s, "2020-05-20"), notified(t, "2020-05-01")])
    assert out["relaxation_within_25_working_days"]["relaxation"] == {"reviews": 2, "within_25": 1, "pct": 50.0}
