"""dbt seeds generated from the contract's own Python (never hand-edited).

The working-day calendar, the relaxation windows, the enum values the marts list (so a mart shows
0 for a category nobody reported) and the local authorities all come from ``schemas``; a test
regenerates them and fails on any drift. Regenerate with ``python -m infra.warehouse.seeds``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import holidays

from schemas import incidents, lcsprs, learning, rapid_reviews
from schemas.calendar import RELAXATION_WINDOWS, TIMELINESS_BUCKETS, bank_holidays
from schemas.figures import LA_BAND_NAMES
from schemas.local_authorities import LOCAL_AUTHORITIES

# Enums the marts enumerate. Derived ones (age bands, IMD rows, LA bands, periods) are the report's.
ENUMS: dict[str, tuple[str, ...]] = {
    "harm_type": incidents.HARM_TYPES,
    "death_category": incidents.DEATH_CATEGORIES,
    "non_fatal_category": incidents.NON_FATAL_CATEGORIES,
    "subcategory": incidents.SUBCATEGORIES,
    "gender": incidents.GENDERS,
    "ethnicity": incidents.ETHNICITIES,
    "case_characteristic": incidents.CASE_CHARACTERISTICS,
    "known_to_csc": incidents.KNOWN_TO_CSC,
    "court_order": incidents.COURT_ORDERS,
    "living_situation": incidents.LIVING_SITUATIONS,
    "decision": rapid_reviews.DECISIONS,
    "publication_intent": lcsprs.PUBLICATION_INTENTS,
    "age_band": ("under_1", "1_to_4", "5_to_9", "10_to_14", "15_to_17"),
    "imd_quintile": ("1", "2", "3", "4", "5", "not_recorded"),
    "la_band": LA_BAND_NAMES,
    "timeliness_bucket": TIMELINESS_BUCKETS,
    "timeliness_period": ("outside_relaxation", "relaxation", "all"),
    # contract v2's learning vocabularies, and graph 2's case themes (producers/reference/LEARNING.md)
    "practice_theme": learning.PRACTICE_THEMES,
    "covid_factor": learning.COVID_FACTORS,
    "no_lcspr_reason": learning.NO_LCSPR_REASONS,
    "disagreement_direction": learning.DISAGREEMENT_DIRECTIONS,
    "quality_dimension": learning.QUALITY_DIMENSIONS,
    "quality_rating": learning.QUALITY_RATINGS,
    "evidence_level": learning.EVIDENCE_LEVELS,
    "wt2018_requirement": learning.WT2018_REQUIREMENTS,
    "case_theme": ("nai_under_1", "sudi", "suicide", "neglect", "adolescent_extra_familial_harm", "other"),
}


def _csv(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def render_seeds() -> dict[str, str]:
    """File name -> CSV text of every generated seed."""
    names = holidays.country_holidays("GB", subdiv="ENG", years=sorted({d.year for d in bank_holidays()}))
    return {
        "bank_holidays.csv": _csv(
            ["holiday_date", "holiday_name"],
            [[d.isoformat(), str(names.get(d, "")).split(";")[0]] for d in sorted(bank_holidays())],
        ),
        "relaxation_windows.csv": _csv(
            ["window_start", "window_end"], [[a.isoformat(), b.isoformat()] for a, b in RELAXATION_WINDOWS]
        ),
        "enum_values.csv": _csv(
            ["enum_name", "enum_value", "position"],
            [[name, v, i] for name, values in ENUMS.items() for i, v in enumerate(values, 1)],
        ),
        "local_authorities.csv": _csv(
            ["code", "name", "region_code", "region_name"],
            [[la.code, la.name, la.region_code, la.region_name] for la in LOCAL_AUTHORITIES],
        ),
    }


def seeds_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "dbt" / "seeds"


def write_seeds(folder: Path | None = None) -> list[Path]:
    folder = folder or seeds_dir()
    written = []
    for name, text in render_seeds().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_seeds():
        print(p)
