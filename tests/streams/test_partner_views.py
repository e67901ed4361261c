"""The worker's side of a partner's view: which held events are the partner's (the rest of the
route is tested end to end under ``up``, tests/infra/stack/test_up_partners.py)."""

from __future__ import annotations

import json

from streams.cases.history import CaseState, HeldEvent
from streams.partner_views import held_of

A, B = "urn:cspr:la:E06000001", "urn:cspr:la:E08000025"


def _held(source: str, event_id: str, time: str) -> HeldEvent:
    raw = json.dumps({"type": "uk.gov.cspr.rapid_review.submitted.v1", "id": event_id, "source": source})
    return HeldEvent(time, raw, "cspr.events.inbound/0/1", f"{source} {event_id.lower()}")


def test_a_partner_is_shown_only_its_own_held_events_oldest_first() -> None:
    states = [
        CaseState("SIN-1", held=(_held(A, "A-2", "2021-02-02T00:00:00Z"), _held(B, "B-1", "2021-01-01T00:00:00Z"))),
        CaseState("SIN-2", held=(_held(A, "A-1", "2021-01-05T00:00:00Z"),)),
        CaseState("SIN-3"),
    ]
    mine = held_of(states, A, 100)
    assert [(h["id"], h["subject"], h["status"]) for h in mine] == [("a-1", "SIN-2", "held"), ("a-2", "SIN-1", "held")]
    assert mine[0]["type"] == "uk.gov.cspr.rapid_review.submitted.v1"
    assert [h["id"] for h in held_of(states, B, 100)] == ["b-1"]
    assert [h["id"] for h in held_of(states, A, 1)] == ["a-1"]
    assert [h["id"] for h in held_of(states, A, 100, "A-2")] == ["a-2"]  # by id, as sent
    assert held_of(states, A, 100, "B-1") == []  # another partner's id is not A's


BACKEND_CHECK = '''
from pathlib import Path
from typing import Any

from infra.settings import Settings
from infra.stack import worker_views
from streams import partner_views


class Views:  # no data_quality
    def accepted(self, authority: str, limit: int = 1000) -> list[dict[str, Any]]: return []
    def dead_letters(self, authority: str, limit: int = 1000) -> list[dict[str, Any]]: return []
    def event(self, authority: str, event_id: str) -> dict[str, Any]: return {}
    def rapid_reviews(self, authority: str, as_of: Any) -> dict[str, Any]: return {}


class Tokens:
    def authenticate(self, token: str | None) -> None: return None


def incomplete(conf: Settings, tokens: Path, data_dir: Path | None,
               database: str | None) -> tuple[Tokens, Views, type[Exception]]:
    return Tokens(), Views(), ValueError


partner_views.use(worker_views.backend)
partner_views.use(incomplete)
'''


def test_mypy_checks_the_injected_backend_against_what_the_route_calls() -> None:
    """``use()`` takes a typed ``Backend``: the gateway's credentials and views pass, and views
    without one of the reads the route makes (``data_quality``) are refused before anything runs."""
    from pathlib import Path

    from mypy import api

    repo = Path(__file__).resolve().parents[2]
    out, err, status = api.run(["--config-file", str(repo / "pyproject.toml"), "--no-error-summary",
                                "--follow-imports", "silent", "-c", BACKEND_CHECK])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1 and len(errors) == 1, out + err
    line = BACKEND_CHECK.splitlines().index("partner_views.use(incomplete)") + 1
    assert errors[0].startswith(f'<string>:{line}: error: Argument 1 to "use" has incompatible type'), errors
