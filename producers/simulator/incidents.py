"""What a notified incident looks like: categories, children and their ages, characteristics.

The rules that keep a case coherent live here, shared by both scenarios: SUDI are infants,
suicides and exploitation are teenagers, a young-person perpetrator is not a baby, siblings
share a case and an ethnicity, characteristics follow the category (a neglect case mentions
neglect more often), court orders go with looked-after children.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from schemas.incidents import (
    CASE_CHARACTERISTICS, DEATH_CATEGORIES, NON_FATAL_CATEGORIES, SUBCATEGORIES,
)

# Youngest and oldest plausible age of the (first) child, by category; absent means 0-17.
AGE_RANGE: dict[str, tuple[int, int]] = {
    "sudi": (0, 0), "suicide": (11, 17), "young_person_perpetrator": (10, 17),
    "criminal_exploitation": (11, 17), "sexual_exploitation": (11, 17), "risk_taking_or_violent": (10, 17),
    "extra_familial_homicide": (12, 17), "extra_familial_fatal_assault": (12, 17),
    "sexual_abuse_extra_familial": (5, 17), "covert_filicide": (0, 9),
    "risk_taking": (12, 17),  # maltreatment-related death subcategory
}
# Categories where one child is the rule (siblings are named in their own notification).
SINGLE_CHILD = {"sudi", "suicide", "young_person_perpetrator", "criminal_exploitation", "sexual_exploitation",
                "risk_taking_or_violent", "extra_familial_homicide", "extra_familial_fatal_assault"}

# Rough shares for the random scenario (the calibrated one takes exact counts instead).
HARM_WEIGHTS = {"death": 0.43, "serious_harm": 0.55, "other": 0.02}
DEATH_WEIGHTS = dict(zip(DEATH_CATEGORIES, (10, 3, 22, 1, 1, 2, 15, 63, 42, 20, 15, 13), strict=True))
NON_FATAL_WEIGHTS = dict(zip(NON_FATAL_CATEGORIES, (105, 33, 5, 28, 20, 5, 4, 7, 51, 18), strict=True))
OTHER_WEIGHTS = {"young_person_perpetrator": 6, "criminal_exploitation": 2, "risk_taking_or_violent": 1}
AGE_BAND_RANGES = {"under_1": (0, 0), "1_to_4": (1, 4), "5_to_9": (5, 9), "10_to_14": (10, 14), "15_to_17": (15, 17)}
AGE_BAND_WEIGHTS = {"under_1": 35, "1_to_4": 12, "5_to_9": 7, "10_to_14": 16, "15_to_17": 30}
ETHNICITY_WEIGHTS = {"asian": 34, "black": 38, "mixed": 62, "white_british": 320, "other": 8, "not_recorded": 52}


def age_range(category: str, subcategory: str | None) -> tuple[int, int]:
    return AGE_RANGE.get(subcategory or "", AGE_RANGE.get(category, (0, 17)))


def characteristic_weight(characteristic: str, category: str, age: int) -> float:
    """How likely a case of this category (first child aged ``age``) mentions a characteristic."""
    w = 1.0
    if characteristic == "neglect" and category in ("neglect", "extreme_neglect", "sudi", "not_clear"):
        w = 4.0
    elif characteristic == "child_mental_ill_health":
        w = 6.0 if category in ("suicide", "risk_taking_or_violent") else (0.02 if age < 5 else 1.0)
    elif characteristic == "elective_home_education":
        w = 0.02 if age < 5 else 1.5
    elif characteristic == "domestic_abuse" and category in ("overt_filicide", "physical_abuse", "fatal_physical_abuse"):
        w = 2.5
    elif characteristic in ("parental_drug_misuse", "parental_alcohol_misuse") and category == "sudi":
        w = 2.0
    return w


def incident_date_before(rng: random.Random, notified: dt.date) -> dt.date:
    """Incidents are notified within days, occasionally weeks."""
    gap = min(int(rng.expovariate(1 / 3.0)), 40)
    return max(notified - dt.timedelta(days=gap), dt.date(2018, 1, 1))


def random_children(rng: random.Random, category: str, subcategory: str | None, make_child: Any,
                    siblings: int) -> list[dict[str, Any]]:
    lo, hi = age_range(category, subcategory)
    bands = [b for b, (blo, bhi) in AGE_BAND_RANGES.items() if blo <= hi and bhi >= lo]
    band = rng.choices(bands, [AGE_BAND_WEIGHTS[b] for b in bands])[0]
    blo, bhi = AGE_BAND_RANGES[band]
    ages = [rng.randint(max(lo, blo), min(hi, bhi))]
    ages += [rng.randint(0, 17) for _ in range(siblings)]
    ethnicity = rng.choices(list(ETHNICITY_WEIGHTS), list(ETHNICITY_WEIGHTS.values()))[0]
    kids = []
    for i, age in enumerate(ages):
        gender = "transgender" if age >= 13 and rng.random() < 0.005 else rng.choice(("male", "female", "male"))
        kids.append(make_child(i, age, gender, ethnicity))
    return kids


def random_incident(rng: random.Random, la: str, notified: dt.date, make_child: Any) -> dict[str, Any]:
    """A plausible notification for the random scenario and for years the report does not pin."""
    harm = rng.choices(list(HARM_WEIGHTS), list(HARM_WEIGHTS.values()))[0]
    table = DEATH_WEIGHTS if harm == "death" else NON_FATAL_WEIGHTS if harm == "serious_harm" else OTHER_WEIGHTS
    category = rng.choices(list(table), list(table.values()))[0]
    sub = rng.choice(SUBCATEGORIES) if category == "maltreatment_related_death" else None
    siblings = 0 if category in SINGLE_CHILD or rng.random() > 0.06 else rng.choice((1, 1, 2))
    kids = random_children(rng, category, sub, make_child, siblings)
    age = kids[0]["age_years"]
    chars = [c for c in CASE_CHARACTERISTICS if rng.random() < 0.2 * characteristic_weight(c, category, age)]
    known = rng.choices(("not_known", "information_no_referral", "referral_no_assessment", "initial_assessment",
                         "caf", "child_in_need", "child_protection_plan", "looked_after", "other"),
                        (171, 14, 29, 36, 25, 65, 73, 66, 3))[0]
    looked_after = known == "looked_after"
    court = rng.choices(("none", "care_order", "section_20", "other"),
                        (1, 6, 3, 0.5) if looked_after else (40, 0.3, 0.2, 1))[0]
    living = rng.choices(("at_home", "with_relatives", "foster_care", "residential_home", "semi_independent", "other"),
                         (1, 2, 5, 2, 1 if age >= 16 else 0, 1) if looked_after else (40, 3, 0.2, 0.2, 0, 3))[0]
    return {
        "local_authority": la,
        "incident_date": incident_date_before(rng, notified).isoformat(),
        "notified_date": notified.isoformat(),
        "harm_type": harm, "category": category, "subcategory": sub,
        "children": kids,
        "imd_quintile": rng.choices((1, 2, 3, 4, 5, None), (188, 120, 83, 57, 24, 10))[0],
        "case_characteristics": chars,
        "service_involvement": {"known_to_csc": known, "court_order": court, "living_situation": living},
        "covid_factor": notified >= dt.date(2020, 3, 23) and rng.random() < 0.15,
    }
