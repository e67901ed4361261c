"""The incident aggregate: a serious incident notification, its corrections and withdrawal."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field

from schemas.envelope import Envelope, EventData, _drop_default
from schemas.errors import Problem
from schemas.local_authorities import la_code_of
from schemas.types import ChildRef, ContractDate, LaCode, LaSource, Strict

HarmType = Literal["death", "serious_harm", "other"]
DeathCategory = Literal[
    "overt_filicide", "covert_filicide", "fatal_physical_abuse", "severe_persistent_cruelty",
    "extreme_neglect", "extra_familial_homicide", "extra_familial_fatal_assault", "sudi",
    "suicide", "maltreatment_related_death", "not_maltreatment_related", "not_clear",
]
NonFatalCategory = Literal[
    "physical_abuse", "neglect", "emotional_abuse", "sexual_abuse_intra_familial",
    "sexual_abuse_extra_familial", "sexual_exploitation", "criminal_exploitation",
    "young_person_perpetrator", "risk_taking_or_violent", "other_non_fatal",
]
Category = Literal[DeathCategory, NonFatalCategory]
Subcategory = Literal["accident", "medical", "risk_taking", "poisoning", "other"]
Gender = Literal["male", "female", "transgender", "not_recorded"]
Ethnicity = Literal["asian", "black", "mixed", "white_british", "other", "not_recorded"]
CaseCharacteristic = Literal[
    "parental_alcohol_misuse", "parental_drug_misuse", "parental_adverse_childhood_experiences",
    "parent_care_leaver", "parental_criminal_record", "parental_mental_ill_health",
    "parental_learning_difficulty", "parental_separation", "domestic_abuse", "neglect",
    "elective_home_education", "child_disability", "child_mental_ill_health",
]
KnownToCsc = Literal[
    "not_known", "information_no_referral", "referral_no_assessment", "initial_assessment",
    "caf", "child_in_need", "child_protection_plan", "looked_after", "other",
]
CourtOrder = Literal["none", "care_order", "section_20", "other"]
LivingSituation = Literal[
    "at_home", "with_relatives", "foster_care", "residential_home", "semi_independent", "other",
]
CorrectionReason = Literal["data_entry_error", "new_information"]
WithdrawalReason = Literal["criteria_not_met", "duplicate_notification", "entered_in_error"]

HARM_TYPES: tuple[str, ...] = get_args(HarmType)
DEATH_CATEGORIES: tuple[str, ...] = get_args(DeathCategory)
NON_FATAL_CATEGORIES: tuple[str, ...] = get_args(NonFatalCategory)
SUBCATEGORIES: tuple[str, ...] = get_args(Subcategory)
GENDERS: tuple[str, ...] = get_args(Gender)
ETHNICITIES: tuple[str, ...] = get_args(Ethnicity)
CASE_CHARACTERISTICS: tuple[str, ...] = get_args(CaseCharacteristic)
KNOWN_TO_CSC: tuple[str, ...] = get_args(KnownToCsc)
COURT_ORDERS: tuple[str, ...] = get_args(CourtOrder)
LIVING_SITUATIONS: tuple[str, ...] = get_args(LivingSituation)
MALTREATMENT_RELATED_DEATH = "maltreatment_related_death"


def categories_of(harm_type: str) -> tuple[str, ...]:
    """The categories a notification of this harm type may have."""
    return DEATH_CATEGORIES if harm_type == "death" else NON_FATAL_CATEGORIES


def _incident_rules(fields: dict[str, Any], prefix: str) -> list[Problem]:
    """Cross-field rules of an incident, over whichever of its fields are given.

    Used for a notification (all fields) and for a correction (the fields it changes); the
    stream re-checks a corrected case as a whole, once the changes are applied.
    """
    problems = []
    harm, category = fields.get("harm_type"), fields.get("category")
    if harm is not None and category is not None and category not in categories_of(harm):
        kind = "death" if harm == "death" else "non-fatal"
        problems.append(Problem(f"{prefix}category", f"{category!r} is not a {kind} category, so it "
                                f"cannot go with harm_type {harm!r}"))
    if category is not None and "subcategory" in fields:
        sub = fields["subcategory"]
        if category == MALTREATMENT_RELATED_DEATH and sub is None:
            problems.append(Problem(f"{prefix}subcategory",
                                    "is required with category 'maltreatment_related_death'"))
        elif category != MALTREATMENT_RELATED_DEATH and sub is not None:
            problems.append(Problem(f"{prefix}subcategory", f"must be null unless category is "
                                    f"'maltreatment_related_death', got {sub!r}"))
    incident, notified = fields.get("incident_date"), fields.get("notified_date")
    if incident is not None and notified is not None and notified < incident:
        problems.append(Problem(f"{prefix}notified_date",
                                f"must be on or after incident_date ({incident}), got {notified}"))
    children = fields.get("children")
    if children:
        seen: set[str] = set()
        for i, child in enumerate(children):
            if child.child_ref in seen:
                problems.append(Problem(f"{prefix}children[{i}].child_ref",
                                        f"repeats another child of this case: {child.child_ref!r}"))
            seen.add(child.child_ref)
    return problems


def _incident_json_schema(schema: dict[str, Any]) -> None:
    # JSON Schema can say which categories go with which harm type, and when a subcategory is
    # needed; pydantic cannot generate these conditionals from the model, so they are added here.
    schema["allOf"] = [
        {"if": {"properties": {"harm_type": {"const": "death"}}, "required": ["harm_type"]},
         "then": {"properties": {"category": {"enum": list(DEATH_CATEGORIES)}}}},
        {"if": {"properties": {"harm_type": {"enum": ["serious_harm", "other"]}},
                "required": ["harm_type"]},
         "then": {"properties": {"category": {"enum": list(NON_FATAL_CATEGORIES)}}}},
        {"if": {"properties": {"category": {"const": MALTREATMENT_RELATED_DEATH}},
                "required": ["category", "subcategory"]},
         "then": {"properties": {"subcategory": {"enum": list(SUBCATEGORIES)}}},
         "else": {"properties": {"subcategory": {"type": "null"}}}},
    ]


class Child(Strict):
    child_ref: ChildRef
    age_years: Annotated[int, Field(ge=0, le=17)]
    gender: Gender
    ethnicity: Ethnicity


class ServiceInvolvement(Strict):
    """The most significant current status of the case with services."""

    known_to_csc: KnownToCsc
    court_order: CourtOrder
    living_situation: LivingSituation


Children = Annotated[list[Child], Field(min_length=1, max_length=20)]
def _unique_items(schema: dict[str, Any]) -> None:
    schema["uniqueItems"] = True


def _unique_items_no_default(schema: dict[str, Any]) -> None:
    _unique_items(schema)
    _drop_default(schema)


Characteristics = Annotated[list[CaseCharacteristic], Field(json_schema_extra=_unique_items)]
ImdQuintile = Annotated[int, Field(ge=1, le=5)]


class IncidentNotifiedData(EventData):
    model_config = {"json_schema_extra": _incident_json_schema}
    knowledge_dates: ClassVar[tuple[str, ...]] = ("incident_date", "notified_date")

    local_authority: LaCode
    incident_date: ContractDate
    notified_date: ContractDate
    harm_type: HarmType
    category: Category
    subcategory: Subcategory | None
    children: Children
    imd_quintile: ImdQuintile | None
    case_characteristics: Characteristics
    service_involvement: ServiceInvolvement
    covid_factor: bool

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        problems = super().contract_problems(recorded_on, prefix)
        problems += _incident_rules(dict(self), prefix)
        if len(set(self.case_characteristics)) != len(self.case_characteristics):
            problems.append(Problem(f"{prefix}case_characteristics", "must not repeat a characteristic"))
        return problems


class IncidentChanges(EventData):
    """Fields of ``incident.notified`` data a correction replaces; absent means unchanged."""

    model_config = {"json_schema_extra": {"minProperties": 1}}
    knowledge_dates: ClassVar[tuple[str, ...]] = ("incident_date", "notified_date")

    incident_date: ContractDate = Field(default=None, json_schema_extra=_drop_default)  # type: ignore[assignment]
    notified_date: ContractDate = Field(default=None, json_schema_extra=_drop_default)  # type: ignore[assignment]
    harm_type: HarmType = Field(default=None, json_schema_extra=_drop_default)  # type: ignore[assignment]
    category: Category = Field(default=None, json_schema_extra=_drop_default)  # type: ignore[assignment]
    subcategory: Subcategory | None = Field(default=None, json_schema_extra=_drop_default)
    children: Children = Field(default=None, json_schema_extra=_drop_default)  # type: ignore[assignment]
    imd_quintile: ImdQuintile | None = Field(default=None, json_schema_extra=_drop_default)
    case_characteristics: Characteristics = Field(default=None, json_schema_extra=_unique_items_no_default)  # type: ignore[assignment]
    service_involvement: ServiceInvolvement = Field(default=None, json_schema_extra=_drop_default)  # type: ignore[assignment]
    covid_factor: bool = Field(default=None, json_schema_extra=_drop_default)  # type: ignore[assignment]

    def given(self) -> dict[str, Any]:
        """Only the fields the correction sets (a null it sets is kept)."""
        return {name: getattr(self, name) for name in self.model_fields_set}

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.changes.") -> list[Problem]:
        problems = super().contract_problems(recorded_on, prefix)
        if not self.model_fields_set:
            problems.append(Problem(prefix.rstrip("."), "must change at least one field"))
        problems += _incident_rules(self.given(), prefix)
        chars = self.case_characteristics
        if chars is not None and len(set(chars)) != len(chars):
            problems.append(Problem(f"{prefix}case_characteristics", "must not repeat a characteristic"))
        return problems


class IncidentCorrectedData(EventData):
    changes: IncidentChanges
    reason: CorrectionReason

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        return self.changes.contract_problems(recorded_on, f"{prefix}changes.")


class IncidentWithdrawnData(EventData):
    reason: WithdrawalReason


class IncidentNotified(Envelope):
    """A local authority notified the Panel of a serious incident."""

    source: LaSource
    type: Literal["uk.gov.cspr.incident.notified.v1"]
    data: IncidentNotifiedData

    def envelope_problems(self) -> list[Problem]:
        if la_code_of(self.source) != self.data.local_authority:
            return [Problem("data.local_authority", f"must be the local authority of source "
                            f"({la_code_of(self.source)}), got {self.data.local_authority}")]
        return []


class IncidentCorrected(Envelope):
    """The case's LA corrected fields of its notification."""

    source: LaSource
    type: Literal["uk.gov.cspr.incident.corrected.v1"]
    data: IncidentCorrectedData


class IncidentWithdrawn(Envelope):
    """The case's LA withdrew the notification; the case leaves every count from then on."""

    source: LaSource
    type: Literal["uk.gov.cspr.incident.withdrawn.v1"]
    data: IncidentWithdrawnData
