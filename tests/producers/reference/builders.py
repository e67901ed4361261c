"""Hand-made events for pinning the reference calculator's edge cases."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

LA = "E06000001"
OTHER_LA = "E06000002"
_ids = itertools.count(1)


def event(kind: str, subject: str, time: str, data: dict[str, Any], source: str | None = None,
          event_id: str | None = None) -> bytes:
    """One event as bytes; ``time`` may be a date (then 10:00Z that day)."""
    if len(time) == 10:
        time += "T10:00:00Z"
    src = source or ("urn:cspr:panel" if kind == "panel.feedback_issued" else f"urn:cspr:la:{LA}")
    doc = {"specversion": "1.0", "id": event_id or str(uuid.UUID(int=next(_ids))), "source": src,
           "type": f"uk.gov.cspr.{kind}.v1", "subject": subject, "time": time, "data": data}
    return json.dumps(doc).encode()


def incident(notified: str, harm: str = "serious_harm", category: str = "physical_abuse",
             subcategory: str | None = None, la: str = LA, ages: tuple[int, ...] = (3,), **extra: Any) -> dict[str, Any]:
    data = {
        "local_authority": la, "incident_date": notified, "notified_date": notified,
        "harm_type": harm, "category": category, "subcategory": subcategory,
        "children": [{"child_ref": f"child-{i}-{age}", "age_years": age, "gender": "female", "ethnicity": "mixed"}
                     for i, age in enumerate(ages)],
        "imd_quintile": 1, "case_characteristics": [],
        "service_involvement": {"known_to_csc": "not_known", "court_order": "none", "living_situation": "at_home"},
        "covid_factor": False,
    }
    data.update(extra)
    return data


def notified(subject: str, day: str, time: str | None = None, **kw: Any) -> bytes:
    return event("incident.notified", subject, time or day, incident(day, **kw),
                 source=f"urn:cspr:la:{kw.get('la', LA)}")


def review(subject: str, received: str, decision: str = "no_lcspr", time: str | None = None, **kw: Any) -> bytes:
    return event("rapid_review.submitted", subject, time or received, {"received_date": received, "decision": decision}, **kw)
