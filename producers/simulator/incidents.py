"""What a notified incident looks like: categories, children and their ages, characteristics.

The rules that keep a case coherent live here, shared by both scenarios: SUDI are infants,
suicides and exploitation are teenagers, a young-person perpetrator is not a baby, siblings
share a case and an ethnicity, characteristics follow the category (a neglect case mentions
neglect more often), court orders go with looked-after children.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from functools import lru_cache
from typing import Any

from schemas.incidents import (
    CASE_CHARACTERISTICS,
    DEATH_CATEGORIES,
    NON_FATAL_CATEGORIES,
    SUBCATEGORIES,
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


def _cum(weights: Any) -> tuple[list[Any], list[float]]:
    return list(weights), list(itertools.accumulate(weights.values()))


_HARMS = _cum(HARM_WEIGHTS)
_CATEGORIES = {"death": _cum(DEATH_WEIGHTS), "serious_harm": _cum(NON_FATAL_WEIGHTS), "other": _cum(OTHER_WEIGHTS)}
_ETHNICITIES = _cum(ETHNICITY_WEIGHTS)
_IMD = _cum({1: 188, 2: 120, 3: 83, 4: 57, 5: 24, None: 10})
_KNOWN = _cum({"not_known": 171, "information_no_referral": 14, "referral_no_assessment": 29, "initial_assessment": 36,
               "caf": 25, "child_in_need": 65, "child_protection_plan": 73, "looked_after": 66, "other": 3})
_COURT = {True: _cum({"none": 1, "care_order": 6, "section_20": 3, "other": 0.5}),
          False: _cum({"none": 40, "care_order": 0.3, "section_20": 0.2, "other": 1})}
_LIVING = {(True, True): _cum({"at_home": 1, "with_relatives": 2, "foster_care": 5, "residential_home": 2, "semi_independent": 1, "other": 1}),
           (True, False): _cum({"at_home": 1, "with_relatives": 2, "foster_care": 5, "residential_home": 2, "other": 1}),
           (False, True): _cum({"at_home": 40, "with_relatives": 3, "foster_care": 0.2, "residential_home": 0.2, "other": 3}),
           (False, False): _cum({"at_home": 40, "with_relatives": 3, "foster_care": 0.2, "residential_home": 0.2, "other": 3})}


@lru_cache(maxsize=256)
def _characteristic_chances(category: str, young: bool) -> tuple[tuple[str, float], ...]:
    age = 0 if young else 10
    return tuple((c, 0.2 * characteristic_weight(c, category, age)) for c in CASE_CHARACTERISTICS)


def _pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    values, cum = table
    return values[bisect.bisect(cum, rng.random() * cum[-1])]


def random_children(rng: random.Random, category: str, subcategory: str | None, make_child: Any,
                    siblings: int) -> list[dict[str, Any]]:
    lo, hi = age_range(category, subcategory)
    bands = [b for b, (blo, bhi) in AGE_BAND_RANGES.items() if blo <= hi and bhi >= lo]
    band = bands[0] if len(bands) == 1 else rng.choices(bands, [AGE_BAND_WEIGHTS[b] for b in bands])[0]
    blo, bhi = AGE_BAND_RANGES[band]
    ages = [rng.randint(max(lo, blo), min(hi, bhi))]
    ages += [rng.randint(0, 17) for _ in range(siblings)]
    ethnicity = _pick(rng, _ETHNICITIES)
    kids = []
    for i, age in enumerate(ages):
        r = rng.random()
        gender = "transgender" if age >= 13 and r < 0.005 else ("female" if r < 0.46 else "male")
        kids.append(make_child(i, age, gender, ethnicity))
    return kids


def random_incident(rng: random.Random, la: str, notified: dt.date, make_child: Any) -> dict[str, Any]:
    """A plausible notification for the random scenario and for years the report does not pin."""
    harm = _pick(rng, _HARMS)
    category = _pick(rng, _CATEGORIES[harm])
    sub = rng.choice(SUBCATEGORIES) if category == "maltreatment_related_death" else None
    siblings = 0 if category in SINGLE_CHILD or rng.random() > 0.06 else rng.choice((1, 1, 2))
    kids = random_children(rng, category, sub, make_child, siblings)
    age = kids[0]["age_years"]
    chars = [c for c, p in _characteristic_chances(category, age < 5) if rng.random() < p]
    known = _pick(rng, _KNOWN)
    looked_after = known == "looked_after"
    court = _pick(rng, _COURT[looked_after])
    living = _pick(rng, _LIVING[(looked_after, age >= 16)])
    return {
        "local_authority": la,
        "incident_date": incident_date_before(rng, notified).isoformat(),
        "notified_date": notified.isoformat(),
        "harm_type": harm, "category": category, "subcategory": sub,
        "children": kids,
        "imd_quintile": _pick(rng, _IMD),
        "case_characteristics": chars,
        "service_involvement": {"known_to_csc": known, "court_order": court, "living_situation": living},
        "covid_factor": notified >= dt.date(2020, 3, 23) and rng.random() < 0.15,
    }
