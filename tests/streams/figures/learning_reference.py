"""The reference calculator's answer to the stream's live learning questions (LEARNING.md)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from producers.reference.figures import cases_as_at, reviews_received_in_year
from producers.reference.learning import LearningInput, latest_review, partnership_yearly_reports, split
from schemas.learning import COVID_FACTORS

LATER = dt.date(2100, 1, 1)  # "as known now": every event of the history


def reference_live(lines: list[bytes], year: int) -> dict[str, Any]:
    data: LearningInput = split(lines)
    cases = cases_as_at(data.replay.accepted, LATER)
    reviewed = reviews_received_in_year(cases, year)
    from producers.reference.learning import practice_themes

    themes = practice_themes(reviewed, year)
    factors: dict[str, Counter[str]] = {g: Counter() for g in ("all", "Q1", "Q2", "Q3", "Q4")}
    for c in reviewed:
        first = c.first("rapid_review.submitted")
        assert first is not None, "a reviewed case has its review"
        quarter = f"Q{(first.event.data.received_date.month - 1) // 3 + 1}"
        review = latest_review(c)
        for g in ("all", quarter):
            factors[g]["reviews"] += 1
            if review.data.covid_factors is not None:
                factors[g]["recorded"] += 1
                factors[g]["citing_any"] += bool(review.data.covid_factors)
                factors[g].update(set(review.data.covid_factors))
    p = partnership_yearly_reports(data.partnership_events, LATER)
    return {
        "year": year,
        "practice_themes": {"all": themes["all"], **{k[-2:]: v for k, v in themes["by_quarter"].items()}},
        "covid_factors": {g: {k: c[k] for k in ("reviews", "recorded", "citing_any", *COVID_FACTORS)}
                          for g, c in factors.items()},
        "partnerships": {"partnerships": p["partnerships"], "local_authorities_covered": p["local_authorities_covered"],
                         "reports_received": p["reports_received"], **p["evidence"]},
    }
