"""Contract v2's rules as example events, in the shape of ``tests/schemas/cases.py``.

The base events are ``schemas/examples/events-v2.jsonl`` (one per type contract v2 adds), keyed
by their short type; a ``Case`` here builds from them instead of the v1 examples.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.schemas.cases import GAP_AFTER_TIME, Mutation, both, drop, set_

EXAMPLES_V2 = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "events-v2.jsonl"
_EXAMPLES: dict[str, dict[str, Any]] = {}
for _line in EXAMPLES_V2.read_text("utf-8").splitlines():
    _event = json.loads(_line)
    _EXAMPLES[_event["type"]] = _event

V2_TYPES: tuple[str, ...] = tuple(_EXAMPLES)
GAP_PERIOD_END = "period_end after received_date"


def example_v2(event_type: str) -> dict[str, Any]:
    """A fresh copy of the v2 example of ``event_type`` (the full type, with its version)."""
    return copy.deepcopy(_EXAMPLES[event_type])


@dataclass(frozen=True)
class CaseV2:
    name: str
    kind: str  # the full type of the example the event is built from
    mutate: Mutation
    reason: str | None = None
    path: str | None = None
    gap: str | None = None

    def event(self) -> dict[str, Any]:
        event = example_v2(self.kind)
        result = self.mutate(event)
        return event if result is None else result

    @property
    def id(self) -> str:
        return self.name


def _same(event: dict[str, Any]) -> None:
    return None


RS = "uk.gov.cspr.rapid_review.submitted.v2"
RD = "uk.gov.cspr.rapid_review.decision_made.v2"
PF = "uk.gov.cspr.panel.feedback_issued.v2"
LR = "uk.gov.cspr.lcspr.report_received.v2"
PR = "uk.gov.cspr.partnership.registered.v1"
PY = "uk.gov.cspr.partnership.yearly_report_received.v1"
SV, SNA = "schema_violation", "source_not_authorised"
ALL_THEMES = ["child_daily_life", "reluctant_family_engagement", "critical_thinking_and_challenge",
              "changing_risk_and_need", "information_sharing", "leadership_and_culture"]
ALL_FACTORS = ["parental_family_stressors", "child_vulnerabilities", "school_closures", "covid_safe_practice"]
NOT_RECORDED = both(set_("data.practice_themes", None), set_("data.covid_factors", None),
                    set_("data.ethnicity_recorded", None), set_("data.family_detail_recorded", None))

VALID_V2: list[CaseV2] = [
    *(CaseV2(f"example {t}", t, _same) for t in (RS, RD, PF, LR, PR, PY)),
    CaseV2("review with nothing recorded", RS, both(NOT_RECORDED, set_("data.no_lcspr_reason", None),
                                                      set_("data.alternative_review_proposed", None))),
    CaseV2("review read, no theme and no COVID factor", RS, both(set_("data.practice_themes", []),
                                                                 set_("data.covid_factors", []))),
    CaseV2("review with all six themes and four factors", RS, both(set_("data.practice_themes", ALL_THEMES),
                                                                   set_("data.covid_factors", ALL_FACTORS))),
    CaseV2("undecided review, no reason", RS, both(set_("data.decision", "undecided"), set_("data.no_lcspr_reason", None),
                                                   set_("data.alternative_review_proposed", None))),
    CaseV2("lcspr review, no reason", RS, both(set_("data.decision", "lcspr"), set_("data.no_lcspr_reason", None),
                                               set_("data.alternative_review_proposed", None))),
    CaseV2("no_lcspr, reason not recorded", RS, set_("data.no_lcspr_reason", None)),
    CaseV2("no_lcspr decision with reason other", RD, both(set_("data.decision", "no_lcspr"),
                                                           set_("data.no_lcspr_reason", "other"),
                                                           set_("data.alternative_review_proposed", False))),
    CaseV2("panel agrees, no direction, quality not assessed", PF, both(
        set_("data.agrees_with_decision", True), set_("data.disagreement", None), set_("data.quality", None))),
    CaseV2("panel disagrees, direction not recorded", PF, set_("data.disagreement", None)),
    CaseV2("panel disagrees: no lcspr needed", PF, set_("data.disagreement", "lcspr_not_needed")),
    CaseV2("report with nothing recorded", LR, NOT_RECORDED),
    CaseV2("partnership of one authority", PR, set_("data.local_authorities", ["E09000033"])),
    CaseV2("yearly report not yet read", PY, set_("data.wt2018_evidence", None)),
    CaseV2("yearly report for the period ending the day received", PY, set_("data.period_end", "2020-11-02")),
    CaseV2("dataschema of v2", RS, set_("dataschema", "urn:cspr:schema:uk.gov.cspr.rapid_review.submitted.v2")),
]

INVALID_V2: list[CaseV2] = [
    CaseV2("unknown practice theme", RS, set_("data.practice_themes", ["poverty"]), SV, "data.practice_themes[0]"),
    CaseV2("practice theme repeated", RS, set_("data.practice_themes", ["child_daily_life", "child_daily_life"]),
           SV, "data.practice_themes"),
    CaseV2("unknown covid factor", LR, set_("data.covid_factors", ["lockdown"]), SV, "data.covid_factors[0]"),
    CaseV2("covid factor repeated", LR, set_("data.covid_factors", ["school_closures", "school_closures"]),
           SV, "data.covid_factors"),
    CaseV2("themes as a string", RS, set_("data.practice_themes", "child_daily_life"), SV, "data.practice_themes"),
    CaseV2("themes missing (null is how to say not recorded)", RS, drop("data.practice_themes"), SV, "data.practice_themes"),
    CaseV2("ethnicity_recorded as a string", RS, set_("data.ethnicity_recorded", "no"), SV, "data.ethnicity_recorded"),
    CaseV2("family_detail_recorded missing", LR, drop("data.family_detail_recorded"), SV, "data.family_detail_recorded"),
    CaseV2("free text beside the themes", RS, set_("data.learning_summary", "Mother said..."), SV, "data.learning_summary"),
    CaseV2("unknown no-LCSPR reason", RS, set_("data.no_lcspr_reason", "too_costly"), SV, "data.no_lcspr_reason"),
    CaseV2("reason given with an lcspr decision", RS, set_("data.decision", "lcspr"), SV, "data.no_lcspr_reason"),
    CaseV2("alternative method with an undecided review", RS, both(
        set_("data.decision", "undecided"), set_("data.no_lcspr_reason", None)), SV, "data.alternative_review_proposed"),
    CaseV2("reason given with a decision to undertake an LCSPR", RD, set_("data.no_lcspr_reason", "other"),
           SV, "data.no_lcspr_reason"),
    CaseV2("reason missing on a decision", RD, drop("data.no_lcspr_reason"), SV, "data.no_lcspr_reason"),
    CaseV2("direction given when the Panel agrees", PF, set_("data.agrees_with_decision", True), SV, "data.disagreement"),
    CaseV2("unknown direction", PF, set_("data.disagreement", "maybe"), SV, "data.disagreement"),
    CaseV2("quality off the scale", PF, set_("data.quality.analysis_and_reflection", "excellent"),
           SV, "data.quality.analysis_and_reflection"),
    CaseV2("quality as a number", PF, set_("data.quality.family_detail", 3), SV, "data.quality.family_detail"),
    CaseV2("quality dimension missing", PF, drop("data.quality.senior_leadership_input"), SV,
           "data.quality.senior_leadership_input"),
    CaseV2("quality with an unknown dimension", PF, set_("data.quality.timeliness", "weak"), SV, "data.quality.timeliness"),
    CaseV2("v2 feedback from an LA", PF, set_("source", "urn:cspr:la:E06000001"), SNA, "source"),
    CaseV2("v2 review from the Panel", RS, set_("source", "urn:cspr:panel"), SNA, "source"),
    CaseV2("partnership registered by an LA", PR, set_("source", "urn:cspr:la:E06000001"), SNA, "source"),
    CaseV2("yearly report sent by an LA", PY, set_("source", "urn:cspr:la:E06000004"), SNA, "source"),
    CaseV2("partnership of no authority", PR, set_("data.local_authorities", []), SV, "data.local_authorities"),
    CaseV2("partnership with an unknown authority", PR, set_("data.local_authorities", ["E06000001", "W06000001"]),
           SV, "data.local_authorities[1]"),
    CaseV2("partnership authority repeated", PR, set_("data.local_authorities", ["E06000001", "E06000001"]),
           SV, "data.local_authorities[1]"),
    CaseV2("registered after the date written in time", PR, set_("data.registered_date", "2019-10-01"),
           SV, "data.registered_date", GAP_AFTER_TIME),
    CaseV2("yearly report received after time", PY, set_("data.received_date", "2020-11-03"),
           SV, "data.received_date", GAP_AFTER_TIME),
    CaseV2("period ends after the report was received", PY, both(
        set_("data.received_date", "2020-10-30"), set_("data.period_end", "2020-11-01")),
           SV, "data.period_end", GAP_PERIOD_END),
    CaseV2("evidence off the scale", PY, set_("data.wt2018_evidence.impact_on_outcomes", "mostly"),
           SV, "data.wt2018_evidence.impact_on_outcomes"),
    CaseV2("evidence requirement missing", PY, drop("data.wt2018_evidence.child_and_family_feedback"),
           SV, "data.wt2018_evidence.child_and_family_feedback"),
    CaseV2("v2 review received after time", RS, set_("data.received_date", "2020-05-22"), SV, "data.received_date",
           GAP_AFTER_TIME),
    CaseV2("report without publication intent", LR, drop("data.publication_intent"), SV, "data.publication_intent"),
    CaseV2("v1 data under a v2 type", RS, lambda e: {**e, "data": {"received_date": "2020-05-21", "decision": "lcspr"}},
           SV, "data.practice_themes"),
    CaseV2("v2 data under the v1 type", RS, set_("type", "uk.gov.cspr.rapid_review.submitted.v1"), SV,
           "data.practice_themes"),
    CaseV2("boolean written as 1", RS, set_("data.ethnicity_recorded", 1), SV, "data.ethnicity_recorded"),
]
