"""Small valid contract-v1 events for the publishing tests (deterministic ids, varied subjects)."""

from __future__ import annotations

import json
import uuid
from typing import Any

LAS = ("E09000033", "E08000025", "E06000023", "E10000016")  # Westminster, Birmingham, Bristol, Kent
_NS = uuid.UUID("6f1c3d5e-1111-4a2b-9c3d-2e4f5a6b7c8d")


def notified(n: int, *, la: str | None = None) -> dict[str, Any]:
    """The ``n``-th incident.notified: subject SIN-2020-<n>, id derived from n (stable across runs)."""
    code = la or LAS[n % len(LAS)]
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid5(_NS, f"notified-{n}")),
        "source": f"urn:cspr:la:{code}",
        "type": "uk.gov.cspr.incident.notified.v1",
        "subject": f"SIN-2020-{n:06d}",
        "time": "2020-06-02T09:30:00+01:00",
        "datacontenttype": "application/json",
        "data": {
            "local_authority": code,
            "incident_date": "2020-05-28",
            "notified_date": "2020-06-01",
            "harm_type": "serious_harm",
            "category": "neglect",
            "subcategory": None,
            "children": [{"child_ref": f"ref-{n:06d}-a", "age_years": n % 18, "gender": "female",
                          "ethnicity": "white_british"}],
            "imd_quintile": 1 + n % 5,
            "case_characteristics": ["domestic_abuse"],
            "service_involvement": {"known_to_csc": "child_in_need", "court_order": "none",
                                    "living_situation": "at_home"},
            "covid_factor": False,
        },
    }


def withdrawn(n: int) -> dict[str, Any]:
    code = LAS[n % len(LAS)]
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid5(_NS, f"withdrawn-{n}")),
        "source": f"urn:cspr:la:{code}",
        "type": "uk.gov.cspr.incident.withdrawn.v1",
        "subject": f"SIN-2020-{n:06d}",
        "time": "2020-06-09T10:00:00Z",
        "data": {"reason": "entered_in_error"},
    }


def line(event: dict[str, Any]) -> bytes:
    """One JSON Lines line (without the newline), written with spaces so re-serialising would show."""
    return json.dumps(event, indent=None, separators=(", ", ": ")).encode()


def history(count: int) -> list[bytes]:
    """``count`` valid events as JSON Lines lines: notifications, every fifth case also withdrawn."""
    lines: list[bytes] = []
    n = 0
    while len(lines) < count:
        lines.append(line(notified(n)))
        if n % 5 == 4 and len(lines) < count:
            lines.append(line(withdrawn(n)))
        n += 1
    return lines
