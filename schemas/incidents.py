"""The incident aggregate: a serious incident notification, its corrections and withdrawal."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, get_args

from pydantic import ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from schemas.envelope import Envelope, EventData, drop_default
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


_CATEGORY_SETS = {harm: frozenset(categories_of(harm)) for harm in HARM_TYPES}


def incident_problems(fields: dict[str, Any], prefix: str = "data.") -> list[Problem]:
    """Cross-field rules of an incident, over whichever of its fields are given.

    Used for a notification (all fields), for a correction (the fields it changes) and by the
    stream for a corrected case as a whole (its state with the changes applied). ``children``
    may hold ``Child`` models or dicts with a ``child_ref``.
    """
    problems = []
    harm, category = fields.get("harm_type"), fields.get("category")
    if harm is not None and category is not None and category not in _CATEGORY_SETS[harm]:
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
    if children and len(children) > 1:
        refs = [c["child_ref"] if isinstance(c, dict) else c.child_ref for c in children]
        if len(set(refs)) != len(refs):
            seen: set[str] = set()
            for i, ref in enumerate(refs):
                if ref in seen:
                    problems.append(Problem(f"{prefix}children[{i}].child_ref",
                                            f"repeats another child of this case: {ref!r}"))
                seen.add(ref)
    chars = fields.get("case_characteristics")
    if chars and len(set(chars)) != len(chars):
        problems.append(Problem(f"{prefix}case_characteristics",
                                "must not repeat a characteristic, got " + ", ".join(chars)))
    return problems


_incident_rules = incident_problems  # the name used first


# JSON Schema can say which categories go with which harm type, and when a subcategory is
# needed; pydantic cannot generate these conditionals from the model, so they are added here.
# Each applies only when both fields are present, so the same conditions serve a notification
# (all fields required) and a correction (any fields).
_INCIDENT_CONDITIONS: list[dict[str, Any]] = [
    {"if": {"properties": {"harm_type": {"const": "death"}}, "required": ["harm_type", "category"]},
     "then": {"properties": {"category": {"enum": list(DEATH_CATEGORIES)}}}},
    {"if": {"properties": {"harm_type": {"enum": ["serious_harm", "other"]}},
            "required": ["harm_type", "category"]},
     "then": {"properties": {"category": {"enum": list(NON_FATAL_CATEGORIES)}}}},
    {"if": {"properties": {"category": {"const": MALTREATMENT_RELATED_DEATH}},
            "required": ["category", "subcategory"]},
     "then": {"properties": {"subcategory": {"enum": list(SUBCATEGORIES)}}}},
    {"if": {"properties": {"category": {"not": {"const": MALTREATMENT_RELATED_DEATH}}},
            "required": ["category", "subcategory"]},
     "then": {"properties": {"subcategory": {"type": "null"}}}},
]


def _incident_json_schema(schema: dict[str, Any]) -> None:
    schema["allOf"] = _INCIDENT_CONDITIONS


def _changes_json_schema(schema: dict[str, Any]) -> None:
    schema["allOf"] = _INCIDENT_CONDITIONS
    schema["minProperties"] = 1


class Child(Strict):
    """One child of the incident, by pseudonymous reference only."""

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
    drop_default(schema)


Characteristics = Annotated[list[CaseCharacteristic], Field(json_schema_extra=_unique_items)]
ImdQuintile = Annotated[int, Field(ge=1, le=5)]


class IncidentNotifiedData(EventData):
    """What a local authority tells the Panel about a serious incident; no direct identifiers."""

    model_config = ConfigDict(json_schema_extra=_incident_json_schema)
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
        problems += incident_problems(self.__dict__, prefix)
        return problems


class IncidentChanges(EventData):
    """Fields of ``incident.notified`` data a correction replaces; absent means unchanged."""

    model_config = ConfigDict(json_schema_extra=_changes_json_schema)
    knowledge_dates: ClassVar[tuple[str, ...]] = ("incident_date", "notified_date")

    if TYPE_CHECKING:
        # Absent fields read as None; a field set to null (subcategory, imd_quintile) is in given().
        incident_date: dt.date | None = None
        notified_date: dt.date | None = None
        harm_type: HarmType | None = None
        category: Category | None = None
        subcategory: Subcategory | None = None
        children: list[Child] | None = None
        imd_quintile: int | None = None
        case_characteristics: list[CaseCharacteristic] | None = None
        service_involvement: ServiceInvolvement | None = None
        covid_factor: bool | None = None
    else:
        # Every field optional, but only the nullable ones of a notification may be null.
        incident_date: ContractDate = Field(default=None, json_schema_extra=drop_default)
        notified_date: ContractDate = Field(default=None, json_schema_extra=drop_default)
        harm_type: HarmType = Field(default=None, json_schema_extra=drop_default)
        category: Category = Field(default=None, json_schema_extra=drop_default)
        subcategory: Subcategory | None = Field(default=None, json_schema_extra=drop_default)
        children: Children = Field(default=None, json_schema_extra=drop_default)
        imd_quintile: ImdQuintile | None = Field(default=None, json_schema_extra=drop_default)
        case_characteristics: Characteristics = Field(default=None, json_schema_extra=_unique_items_no_default)
        service_involvement: ServiceInvolvement = Field(default=None, json_schema_extra=drop_default)
        covid_factor: bool = Field(default=None, json_schema_extra=drop_default)

    def given(self) -> dict[str, Any]:
        """Only the fields the correction sets (a null it sets is kept)."""
        return {name: getattr(self, name) for name in self.model_fields_set}

    @model_serializer(mode="wrap")
    def _only_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # An absent field means "unchanged"; dumping it as null would change its meaning.
        dumped: dict[str, Any] = handler(self)
        return {k: v for k, v in dumped.items() if k in self.model_fields_set}

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.changes.") -> list[Problem]:
        problems = super().contract_problems(recorded_on, prefix)
        if not self.model_fields_set:
            problems.append(Problem(prefix.rstrip("."), "must change at least one field (local_authority "
                                    "cannot be changed: notify again and withdraw this case instead)"))
        problems += incident_problems(self.given(), prefix)
        return problems


class IncidentCorrectedData(EventData):
    """Replacement values for fields of the notification, and why."""

    changes: IncidentChanges
    reason: CorrectionReason

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        return self.changes.contract_problems(recorded_on, f"{prefix}changes.")


class IncidentWithdrawnData(EventData):
    """Why the notification is withdrawn."""

    reason: WithdrawalReason


class IncidentNotified(Envelope):
    """A local authority notified the Panel of a serious incident."""

    source: LaSource
    type: Literal["uk.gov.cspr.incident.notified.v1"]
    data: IncidentNotifiedData

    def envelope_problems(self) -> list[Problem]:
        code = la_code_of(self.source)
        if code != self.data.local_authority:
            return [Problem("data.local_authority", f"must be the local authority of source "
                            f"({code}), got {self.data.local_authority}")]
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
