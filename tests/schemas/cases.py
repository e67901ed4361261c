"""The contract's rules as example events: valid variants and one or more breaches of each rule.

Shared by the model tests (reason and path) and the JSON Schema agreement test. A case whose
``gap`` is set is one JSON Schema cannot express; the gap names the entry in
schemas/README.md ("What JSON Schema cannot check"), and the agreement test expects the JSON
Schema to accept it while the models reject it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fixtures.events import example

Mutation = Callable[[dict[str, Any]], Any]

# Names of the gaps documented in schemas/README.md.
GAP_AFTER_TIME = "date after the date written in time"
GAP_NOTIFIED_BEFORE_INCIDENT = "notified_date before incident_date"
GAP_CHILD_REF_REPEATED = "child_ref repeated"
GAP_PUBLICATION_NOTICE = "planned_publication_date under 7 working days"
GAP_INTEGER_FRACTION = "integer written with a fraction"


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # the example the event is built from
    mutate: Mutation
    reason: str | None = None  # None: valid
    path: str | None = None
    gap: str | None = None

    def event(self) -> dict[str, Any]:
        event = example(self.kind)
        result = self.mutate(event)
        return event if result is None else result

    @property
    def id(self) -> str:
        return self.name


def set_(path: str, value: Any) -> Mutation:
    """Set a dotted path (``data.children.0.age_years``) to a value."""

    def apply(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = event
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def drop(path: str) -> Mutation:
    def apply(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = event
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return apply


def both(*mutations: Mutation) -> Mutation:
    def apply(event: dict[str, Any]) -> None:
        for m in mutations:
            m(event)

    return apply


def child(ref: str, age: int = 4) -> dict[str, Any]:
    return {"child_ref": ref, "age_years": age, "gender": "female", "ethnicity": "mixed"}


def _same(event: dict[str, Any]) -> None:
    return None


N, C, W = "incident.notified", "incident.corrected", "incident.withdrawn"
RS, RD, PF = "rapid_review.submitted", "rapid_review.decision_made", "panel.feedback_issued"
LI, LN, LR, LP = "lcspr.initiated", "lcspr.publication_notified", "lcspr.report_received", "lcspr.published"
SV, SNA, UT = "schema_violation", "source_not_authorised", "unknown_type"

VALID: list[Case] = [
    *(Case(f"example {k}", k, _same) for k in (N, C, W, RS, RD, PF, LI, LN, LR, LP)),
    Case("no datacontenttype", N, drop("datacontenttype")),
    Case("dataschema given", N, set_("dataschema", "urn:cspr:schema:uk.gov.cspr.incident.notified.v1")),
    Case("id in upper case", N, set_("id", "0B6F3C2E-8D4A-4F1B-9C7E-2A5D7E9F0001")),
    Case("time in Z", N, set_("time", "2020-04-30T13:05:00Z")),
    Case("time with lower-case t and z", N, set_("time", "2020-04-30t13:05:00.123456z")),
    Case("time with many fraction digits", N, set_("time", "2020-04-30T13:05:00.1234567+01:00")),
    # The calendar date written in time counts, not the UTC date: 00:30+01:00 is 23:30 UTC the
    # day before, yet a notified_date of the written day is not "after" it.
    Case("date equal to the written date of time, behind UTC", N, set_("time", "2020-04-30T00:30:00+01:00")),
    Case("date equal to the written date of time, ahead of UTC", N, set_("time", "2020-04-30T23:30:00-05:00")),
    Case("imd_quintile null", N, set_("data.imd_quintile", None)),
    Case("no case characteristics", N, set_("data.case_characteristics", [])),
    Case("twenty children", N, set_("data.children", [child(f"child-{i:03d}") for i in range(20)])),
    Case("maltreatment-related death with subcategory", N, both(
        set_("data.harm_type", "death"), set_("data.category", "maltreatment_related_death"),
        set_("data.subcategory", "poisoning"))),
    Case("other harm with a non-fatal category", N, both(
        set_("data.harm_type", "other"), set_("data.category", "young_person_perpetrator"))),
    Case("age 17 and imd 5", N, both(set_("data.children.0.age_years", 17), set_("data.imd_quintile", 5))),
    Case("incident and notified on 2018-01-01", N, both(
        set_("data.incident_date", "2018-01-01"), set_("data.notified_date", "2018-01-01"))),
    Case("correction of subcategory alone (the stream checks the whole case)", C,
         set_("data.changes", {"subcategory": "accident"})),
    Case("correction setting imd_quintile to null", C, set_("data.changes", {"imd_quintile": None})),
    Case("correction of every field but local_authority", C, set_("data.changes", {
        k: v for k, v in example(N)["data"].items() if k != "local_authority"})),
    Case("planned publication in the future", LN, set_("data.planned_publication_date", "2030-06-03")),
    Case("planned publication exactly 7 working days on", LN, set_("data.planned_publication_date", "2021-03-10")),
    Case("panel disagrees", PF, set_("data.agrees_with_decision", False)),
]

_BIG = "x" * (256 * 1024)

INVALID: list[Case] = [
    # --- envelope attributes
    Case("specversion missing", N, drop("specversion"), SV, "specversion"),
    Case("specversion 1.1", N, set_("specversion", "1.1"), SV, "specversion"),
    Case("specversion a number", N, set_("specversion", 1.0), SV, "specversion"),
    Case("id missing", N, drop("id"), SV, "id"),
    Case("id not a uuid", N, set_("id", "event-1"), SV, "id"),
    Case("id without hyphens", N, set_("id", "0b6f3c2e8d4a4f1b9c7e2a5d7e9f0001"), SV, "id"),
    Case("id in braces", N, set_("id", "{0b6f3c2e-8d4a-4f1b-9c7e-2a5d7e9f0001}"), SV, "id"),
    Case("id an integer", N, set_("id", 1), SV, "id"),
    Case("source missing", N, drop("source"), SV, "source"),
    Case("source an LA code not among the 151 (Wales)", N, set_("source", "urn:cspr:la:W06000001"), SV, "source"),
    Case("source with lower-case LA code", N, set_("source", "urn:cspr:la:e06000001"), SV, "source"),
    Case("source a URL", RS, set_("source", "https://hartlepool.gov.uk"), SV, "source"),
    Case("type missing", N, drop("type"), UT, "type"),
    Case("type v2", N, set_("type", "uk.gov.cspr.incident.notified.v2"), UT, "type"),
    Case("type a number", N, set_("type", 1), UT, "type"),
    Case("subject missing", N, drop("subject"), SV, "subject"),
    Case("subject lower case", N, set_("subject", "sin-2020-000123"), SV, "subject"),
    Case("subject too short", N, set_("subject", "SIN"), SV, "subject"),
    Case("subject too long", N, set_("subject", "S" * 42), SV, "subject"),
    Case("subject starting with a hyphen", N, set_("subject", "-SIN-2020"), SV, "subject"),
    Case("subject with a trailing newline", N, set_("subject", "SIN-2020-000123\n"), SV, "subject"),
    Case("time missing", N, drop("time"), SV, "time"),
    Case("time without offset", N, set_("time", "2020-04-30T14:05:00"), SV, "time"),
    Case("time with a space for T", N, set_("time", "2020-04-30 14:05:00Z"), SV, "time"),
    Case("time with offset +0100", N, set_("time", "2020-04-30T14:05:00+0100"), SV, "time"),
    Case("time without seconds", N, set_("time", "2020-04-30T14:05Z"), SV, "time"),
    Case("time a date only", N, set_("time", "2020-04-30"), SV, "time"),
    Case("time on a day that does not exist", N, set_("time", "2021-02-29T10:00:00Z"), SV, "time"),
    Case("time with a leap second", N, set_("time", "2020-04-30T23:59:60Z"), SV, "time"),
    Case("time hour 24", N, set_("time", "2020-04-30T24:00:00Z"), SV, "time"),
    Case("time a unix timestamp", N, set_("time", 1588251900), SV, "time"),
    Case("time before 2018", W, set_("time", "2017-12-31T23:00:00Z"), SV, "time"),
    Case("datacontenttype text/plain", N, set_("datacontenttype", "text/plain"), SV, "datacontenttype"),
    Case("datacontenttype null", N, set_("datacontenttype", None), SV, "datacontenttype"),
    Case("dataschema not a URI", N, set_("dataschema", "not a uri"), SV, "dataschema"),
    Case("dataschema null", N, set_("dataschema", None), SV, "dataschema"),
    Case("unknown top-level attribute", N, set_("partitionkey", "SIN-2020-000123"), SV, "partitionkey"),
    Case("top-level child name", N, set_("child_name", "Jane"), SV, "child_name"),
    Case("data missing", N, drop("data"), SV, "data"),
    Case("data null", N, set_("data", None), SV, "data"),
    Case("data an array", N, set_("data", []), SV, "data"),
    Case("data a JSON string", N, lambda e: e.__setitem__("data", json.dumps(e["data"])), SV, "data"),
    # --- unknown fields at every level
    Case("unknown data field", N, set_("data.child_name", "Jane Doe"), SV, "data.child_name"),
    Case("unknown child field", N, set_("data.children.0.date_of_birth", "2020-01-01"), SV,
         "data.children[0].date_of_birth"),
    Case("unknown service_involvement field", N, set_("data.service_involvement.nhs_number", "9434765919"), SV,
         "data.service_involvement.nhs_number"),
    Case("unknown field in changes", C, set_("data.changes.address", "1 High St"), SV, "data.changes.address"),
    Case("unknown field in a corrected child", C, set_("data.changes", {"children": [{**child("abcdef"), "name": "X"}]}),
         SV, "data.changes.children[0].name"),
    Case("unknown field in corrected service_involvement", C, set_("data.changes", {"service_involvement": {
        "known_to_csc": "caf", "court_order": "none", "living_situation": "at_home", "notes": "x"}}), SV,
        "data.changes.service_involvement.notes"),
    Case("unknown field in withdrawal", W, set_("data.comment", "dup"), SV, "data.comment"),
    Case("unknown field in panel feedback", PF, set_("data.reviewer", "A. Smith"), SV, "data.reviewer"),
    Case("unknown field in lcspr.published", LP, set_("data.url", "https://x"), SV, "data.url"),
    # --- strict types
    Case("age as a string", N, set_("data.children.0.age_years", "3"), SV, "data.children[0].age_years"),
    Case("age as a fraction-written integer", N, set_("data.children.0.age_years", 3.0), SV,
         "data.children[0].age_years", GAP_INTEGER_FRACTION),
    Case("age as a real fraction", N, set_("data.children.0.age_years", 3.5), SV, "data.children[0].age_years"),
    Case("age a boolean", N, set_("data.children.0.age_years", True), SV, "data.children[0].age_years"),
    Case("imd as a string", N, set_("data.imd_quintile", "2"), SV, "data.imd_quintile"),
    Case("imd as 2.0", N, set_("data.imd_quintile", 2.0), SV, "data.imd_quintile", GAP_INTEGER_FRACTION),
    Case("covid_factor as a string", N, set_("data.covid_factor", "true"), SV, "data.covid_factor"),
    Case("covid_factor as 1", N, set_("data.covid_factor", 1), SV, "data.covid_factor"),
    Case("agrees as a string", PF, set_("data.agrees_with_decision", "yes"), SV, "data.agrees_with_decision"),
    Case("covid_factor null", N, set_("data.covid_factor", None), SV, "data.covid_factor"),
    Case("harm_type null", N, set_("data.harm_type", None), SV, "data.harm_type"),
    Case("children null", N, set_("data.children", None), SV, "data.children"),
    Case("case_characteristics null", N, set_("data.case_characteristics", None), SV, "data.case_characteristics"),
    Case("children an object", N, set_("data.children", child("abcdef")), SV, "data.children"),
    Case("local_authority a number", N, set_("data.local_authority", 6000001), SV, "data.local_authority"),
    # --- required fields, nullable ones included
    Case("subcategory missing (nullable, still required)", N, drop("data.subcategory"), SV, "data.subcategory"),
    Case("imd_quintile missing (nullable, still required)", N, drop("data.imd_quintile"), SV, "data.imd_quintile"),
    Case("covid_factor missing", N, drop("data.covid_factor"), SV, "data.covid_factor"),
    Case("child gender missing", N, drop("data.children.0.gender"), SV, "data.children[0].gender"),
    Case("living_situation missing", N, drop("data.service_involvement.living_situation"), SV,
         "data.service_involvement.living_situation"),
    Case("received_date missing", RS, drop("data.received_date"), SV, "data.received_date"),
    Case("correction reason missing", C, drop("data.reason"), SV, "data.reason"),
    Case("correction changes missing", C, drop("data.changes"), SV, "data.changes"),
    # --- enums
    Case("harm_type unknown", N, set_("data.harm_type", "fatal"), SV, "data.harm_type"),
    Case("category unknown", N, set_("data.category", "bullying"), SV, "data.category"),
    Case("category in upper case", N, set_("data.category", "PHYSICAL_ABUSE"), SV, "data.category"),
    Case("subcategory unknown", N, both(set_("data.harm_type", "death"), set_("data.category", "maltreatment_related_death"),
                                         set_("data.subcategory", "drowning")), SV, "data.subcategory"),
    Case("gender unknown", N, set_("data.children.0.gender", "m"), SV, "data.children[0].gender"),
    Case("ethnicity unknown", N, set_("data.children.0.ethnicity", "british"), SV, "data.children[0].ethnicity"),
    Case("case characteristic unknown", N, set_("data.case_characteristics", ["poverty"]), SV,
         "data.case_characteristics[0]"),
    Case("known_to_csc unknown", N, set_("data.service_involvement.known_to_csc", "yes"), SV,
         "data.service_involvement.known_to_csc"),
    Case("court_order unknown", N, set_("data.service_involvement.court_order", "s20"), SV,
         "data.service_involvement.court_order"),
    Case("living_situation unknown", N, set_("data.service_involvement.living_situation", "home"), SV,
         "data.service_involvement.living_situation"),
    Case("correction reason unknown", C, set_("data.reason", "typo"), SV, "data.reason"),
    Case("withdrawal reason unknown", W, set_("data.reason", "other"), SV, "data.reason"),
    Case("submitted decision unknown", RS, set_("data.decision", "maybe"), SV, "data.decision"),
    Case("decision_made undecided", RD, set_("data.decision", "undecided"), SV, "data.decision"),
    Case("publication intent unknown", LR, set_("data.publication_intent", "draft"), SV, "data.publication_intent"),
    # --- category, subcategory
    Case("death category with serious_harm", N, set_("data.category", "sudi"), SV, "data.category"),
    Case("non-fatal category with death", N, set_("data.harm_type", "death"), SV, "data.category"),
    Case("maltreatment-related death without subcategory", N, both(
        set_("data.harm_type", "death"), set_("data.category", "maltreatment_related_death")), SV, "data.subcategory"),
    Case("subcategory with another category", N, set_("data.subcategory", "accident"), SV, "data.subcategory"),
    Case("subcategory with another death category", N, both(
        set_("data.harm_type", "death"), set_("data.category", "sudi"), set_("data.subcategory", "medical")),
        SV, "data.subcategory"),
    # --- children
    Case("no children", N, set_("data.children", []), SV, "data.children"),
    Case("21 children", N, set_("data.children", [child(f"child-{i:03d}") for i in range(21)]), SV, "data.children"),
    Case("child_ref repeated", N, set_("data.children", [child("abcdef"), child("ghijkl"), child("abcdef")]), SV,
         "data.children[2].child_ref", GAP_CHILD_REF_REPEATED),
    Case("child_ref too short", N, set_("data.children.0.child_ref", "abc"), SV, "data.children[0].child_ref"),
    Case("child_ref with a space", N, set_("data.children.0.child_ref", "Jane Doe 1"), SV, "data.children[0].child_ref"),
    Case("child_ref too long", N, set_("data.children.0.child_ref", "a" * 65), SV, "data.children[0].child_ref"),
    Case("age 18", N, set_("data.children.0.age_years", 18), SV, "data.children[0].age_years"),
    Case("age -1", N, set_("data.children.0.age_years", -1), SV, "data.children[0].age_years"),
    Case("imd 0", N, set_("data.imd_quintile", 0), SV, "data.imd_quintile"),
    Case("imd 6", N, set_("data.imd_quintile", 6), SV, "data.imd_quintile"),
    Case("case characteristic repeated", N, set_("data.case_characteristics", ["neglect", "domestic_abuse", "neglect"]),
         SV, "data.case_characteristics"),
    # --- dates
    Case("incident_date after time", N, set_("data.incident_date", "2020-05-01"), SV, "data.incident_date", GAP_AFTER_TIME),
    Case("notified_date after time", N, set_("data.notified_date", "2020-05-01"), SV, "data.notified_date", GAP_AFTER_TIME),
    Case("dates after the written date of time, though not after it in UTC", N,
         set_("time", "2020-04-29T23:30:00-01:00"), SV, "data.notified_date", GAP_AFTER_TIME),
    Case("received_date after time", RS, set_("data.received_date", "2020-05-22"), SV, "data.received_date", GAP_AFTER_TIME),
    Case("decision_date after time", RD, set_("data.decision_date", "2020-06-02"), SV, "data.decision_date", GAP_AFTER_TIME),
    Case("feedback_date after time", PF, set_("data.feedback_date", "2020-06-11"), SV, "data.feedback_date", GAP_AFTER_TIME),
    Case("initiated_date after time", LI, set_("data.initiated_date", "2020-06-16"), SV, "data.initiated_date", GAP_AFTER_TIME),
    Case("publication notified_date after time", LN, set_("data.notified_date", "2021-03-02"), SV, "data.notified_date",
         GAP_AFTER_TIME),
    Case("report received_date after time", LR, set_("data.received_date", "2021-02-16"), SV, "data.received_date",
         GAP_AFTER_TIME),
    Case("published_date after time", LP, set_("data.published_date", "2021-03-23"), SV, "data.published_date",
         GAP_AFTER_TIME),
    Case("corrected notified_date after time", C, set_("data.changes", {"notified_date": "2020-05-07"}), SV,
         "data.changes.notified_date", GAP_AFTER_TIME),
    Case("incident_date before 2018", N, set_("data.incident_date", "2017-12-31"), SV, "data.incident_date"),
    Case("received_date before 2018", RS, set_("data.received_date", "2017-06-01"), SV, "data.received_date"),
    Case("published_date year 0999", LP, set_("data.published_date", "0999-01-01"), SV, "data.published_date"),
    Case("date without leading zeros", N, set_("data.incident_date", "2020-4-28"), SV, "data.incident_date"),
    Case("date that does not exist", N, set_("data.incident_date", "2019-02-29"), SV, "data.incident_date"),
    Case("date with a time", N, set_("data.incident_date", "2020-04-28T00:00:00Z"), SV, "data.incident_date"),
    Case("date as a number", N, set_("data.incident_date", 20200428), SV, "data.incident_date"),
    Case("date in UK order", N, set_("data.incident_date", "28/04/2020"), SV, "data.incident_date"),
    Case("date null", RS, set_("data.received_date", None), SV, "data.received_date"),
    Case("notified_date before incident_date", N, both(
        set_("data.incident_date", "2020-04-29"), set_("data.notified_date", "2020-04-28")), SV,
        "data.notified_date", GAP_NOTIFIED_BEFORE_INCIDENT),
    Case("planned publication 6 working days on", LN, set_("data.planned_publication_date", "2021-03-09"), SV,
         "data.planned_publication_date", GAP_PUBLICATION_NOTICE),
    Case("planned publication 7 weekdays but 5 working days on (Easter)", LN, both(
        set_("time", "2021-04-01T09:00:00+01:00"), set_("data.notified_date", "2021-04-01"),
        set_("data.planned_publication_date", "2021-04-12")), SV, "data.planned_publication_date",
        GAP_PUBLICATION_NOTICE),
    Case("planned publication before notified_date", LN, set_("data.planned_publication_date", "2021-02-26"), SV,
         "data.planned_publication_date", GAP_PUBLICATION_NOTICE),
    # --- corrections
    Case("correction changing nothing", C, set_("data.changes", {}), SV, "data.changes"),
    Case("correction of local_authority", C, set_("data.changes", {"local_authority": "E06000002"}), SV,
         "data.changes.local_authority"),
    Case("correction of harm_type to null", C, set_("data.changes", {"harm_type": None}), SV, "data.changes.harm_type"),
    Case("correction to a death category with serious_harm", C, set_("data.changes", {
        "harm_type": "serious_harm", "category": "sudi"}), SV, "data.changes.category"),
    Case("correction to maltreatment-related death with null subcategory", C, set_("data.changes", {
        "harm_type": "death", "category": "maltreatment_related_death", "subcategory": None}), SV,
        "data.changes.subcategory"),
    Case("correction to a subcategory with another category", C, set_("data.changes", {
        "category": "neglect", "subcategory": "medical"}), SV, "data.changes.subcategory"),
    Case("correction to no children", C, set_("data.changes", {"children": []}), SV, "data.changes.children"),
    Case("correction to repeated child_refs", C, set_("data.changes", {"children": [child("abcdef"), child("abcdef")]}),
         SV, "data.changes.children[1].child_ref", GAP_CHILD_REF_REPEATED),
    Case("correction of notified_date before incident_date", C, set_("data.changes", {
        "incident_date": "2020-04-30", "notified_date": "2020-04-29"}), SV, "data.changes.notified_date",
        GAP_NOTIFIED_BEFORE_INCIDENT),
    Case("correction to age 18", C, set_("data.changes", {"children": [child("abcdef", 18)]}), SV,
         "data.changes.children[0].age_years"),
    Case("correction to imd 9", C, set_("data.changes", {"imd_quintile": 9}), SV, "data.changes.imd_quintile"),
    Case("correction to a date before 2018", C, set_("data.changes", {"incident_date": "2017-01-01"}), SV,
         "data.changes.incident_date"),
    Case("correction with repeated characteristics", C, set_("data.changes", {
        "case_characteristics": ["neglect", "neglect"]}), SV, "data.changes.case_characteristics"),
    Case("correction changes null", C, set_("data.changes", None), SV, "data.changes"),
    # --- sources and local authorities
    Case("local_authority not the LA of source", N, set_("data.local_authority", "E06000002"), SNA,
         "data.local_authority"),
    Case("local_authority not among the 151", N, set_("data.local_authority", "E99999999"), SV, "data.local_authority"),
    Case("local_authority of Wales", N, both(set_("data.local_authority", "W06000001")), SV, "data.local_authority"),
    Case("panel feedback from an LA", PF, set_("source", "urn:cspr:la:E06000001"), SNA, "source"),
    Case("LA event from the Panel", RS, set_("source", "urn:cspr:panel"), SNA, "source"),
    Case("notification from the Panel", N, set_("source", "urn:cspr:panel"), SNA, "source"),
    Case("lcspr.published from the Panel", LP, set_("source", "urn:cspr:panel"), SNA, "source"),
]

# Messages that are not JSON objects: checked on the bytes, before any schema applies.
RAW_INVALID: list[tuple[str, bytes, str, str]] = [
    ("over 256 KiB", json.dumps({**example(N), "pad": _BIG}).encode(), "message_too_large", "$"),
    ("not UTF-8 (Latin-1)", json.dumps(example(N)).encode().replace(b'"physical_abuse"', b'"physical_abus\xe9"'),
     "not_utf8", "$"),
    ("a lone continuation byte", b"\x80", "not_utf8", "$"),
    ("empty message", b"", "invalid_json", "$"),
    ("not JSON", b"specversion=1.0", "invalid_json", "$"),
    ("truncated JSON", json.dumps(example(N)).encode()[:-3], "invalid_json", "$"),
    ("two JSON values", json.dumps(example(N)).encode() * 2, "invalid_json", "$"),
    ("NaN", b'{"specversion": NaN}', "invalid_json", "$"),
    ("a UTF-8 byte order mark", b"\xef\xbb\xbf" + json.dumps(example(N)).encode(), "invalid_json", "$"),
    ("a JSON array", b"[]", "not_an_object", "$"),
    ("a JSON array of an event", json.dumps([example(N)]).encode(), "not_an_object", "$"),
    ("a JSON string", b'"event"', "not_an_object", "$"),
    ("a JSON number", b"42", "not_an_object", "$"),
    ("JSON null", b"null", "not_an_object", "$"),
    ("JSON true", b"true", "not_an_object", "$"),
    ("deep nesting in data", json.dumps({**example(N), "data": "@"}).encode()
     .replace(b'"@"', b"[" * 5000 + b"]" * 5000), "nesting_too_deep", "$"),
    ("deep nesting unbalanced", b"[" * 100000, "nesting_too_deep", "$"),
    ("deep objects", b'{"a":' * 40 + b"1" + b"}" * 40, "nesting_too_deep", "$"),
]
