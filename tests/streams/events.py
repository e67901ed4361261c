"""Small builders of contract-valid events (as bytes) for the stream's tests."""

from __future__ import annotations

import json
import uuid
from typing import Any

LA = "E09000001"
OTHER_LA = "E09000002"


def _base(kind: str, subject: str, time: str, data: dict[str, Any], source: str | None = None,
          event_id: str | None = None) -> bytes:
    return json.dumps({
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": source or f"urn:cspr:la:{LA}",
        "type": f"uk.gov.cspr.{kind}.v1",
        "subject": subject,
        "time": time,
        "data": data,
    }).encode()


def incident(notified_date: str = "2020-05-04", harm_type: str = "death", category: str = "sudi",
             la: str = LA) -> dict[str, Any]:
    return {
        "local_authority": la, "incident_date": min("2020-05-01", notified_date), "notified_date": notified_date,
        "harm_type": harm_type, "category": category, "subcategory": None,
        "children": [{"child_ref": "child-000001", "age_years": 0, "gender": "male", "ethnicity": "white_british"}],
        "imd_quintile": 1, "case_characteristics": [],
        "service_involvement": {"known_to_csc": "not_known", "court_order": "none", "living_situation": "at_home"},
        "covid_factor": False,
    }


def notified(subject: str, time: str = "2020-05-04T10:00:00Z", la: str = LA, **kw: Any) -> bytes:
    event_id = kw.pop("event_id", None)
    return _base("incident.notified", subject, time, incident(la=la, **kw), f"urn:cspr:la:{la}", event_id)


def corrected(subject: str, time: str, changes: dict[str, Any], la: str = LA) -> bytes:
    return _base("incident.corrected", subject, time, {"changes": changes, "reason": "new_information"},
                 f"urn:cspr:la:{la}")


def withdrawn(subject: str, time: str, la: str = LA) -> bytes:
    return _base("incident.withdrawn", subject, time, {"reason": "criteria_not_met"}, f"urn:cspr:la:{la}")


def submitted(subject: str, time: str, received_date: str, la: str = LA, decision: str = "no_lcspr") -> bytes:
    return _base("rapid_review.submitted", subject, time, {"received_date": received_date, "decision": decision},
                 f"urn:cspr:la:{la}")


def initiated(subject: str, time: str, initiated_date: str) -> bytes:
    return _base("lcspr.initiated", subject, time, {"initiated_date": initiated_date})


def published(subject: str, time: str, published_date: str) -> bytes:
    return _base("lcspr.published", subject, time, {"published_date": published_date})


def feedback(subject: str, time: str, feedback_date: str, agrees: bool = True) -> bytes:
    return _base("panel.feedback_issued", subject, time, {"feedback_date": feedback_date,
                                                          "agrees_with_decision": agrees}, "urn:cspr:panel")
