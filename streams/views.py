"""``/``: every view of the worker, with its parameters; ``/status``: what the worker has
consumed, accepted, dead-lettered, held, counted as duplicate and written to ClickHouse, whether
it is idle (every topic read and committed to its end), and how old the built figures are."""

from __future__ import annotations

import time
from typing import Any, cast

from faust.web import Request, Response, View

from infra.settings import settings
from infra.warehouse.alerts import for_viewers
from streams import stats
from streams.app import app
from streams.cases.agents import case_states, live
from streams.cases.history import held_over
from streams.figures.views import is_analyst
from streams.heartbeat import alert_states

IDLE_AFTER_S = 1.0
HELD_LISTED = 20  # held events over 7 days listed by case on /status (oldest first)


def lags() -> dict[str, int | None]:
    """Messages not yet committed, per consumer of this worker (None before its first assignment).

    The case agent writes the warehouse from each batch before Faust may commit it, so nothing
    it sent to cspr.events or the DLQ is waiting to be stored.
    """
    inbound = settings().topic_inbound
    out: dict[str, int | None] = {inbound: inbound_lag()}
    from streams.partners import relay_lag

    out[f"{inbound}.*"] = relay_lag()  # the partners' own topics, not yet relayed
    return out


def inbound_lag() -> int | None:
    """Inbound messages of this worker's partitions not yet committed (None before the first
    assignment, or before every assigned partition's end is known)."""
    return _faust_lag(settings().topic_inbound)


def _faust_lag(topic: str) -> int | None:
    from faust.exceptions import ConsumerNotStarted

    consumer = app.consumer
    try:
        tps = [tp for tp in consumer.assignment() if tp.topic == topic]
    except ConsumerNotStarted:
        return None
    if not tps:
        return None
    total = 0
    for tp in tps:
        high = consumer.highwater(tp)
        if high is None:  # no fetch answered yet: unknown, not zero
            return None
        total += max(high - (cast(Any, consumer)._committed_offset.get(tp) or 0), 0)
    return total


def case_totals() -> dict[str, Any]:
    """Totals over the case table (these survive a restart, unlike the counters since start).

    ``held``: events waiting for their case's notification; ``held_over_7_days``: those whose
    ``time`` is more than 7 days behind the latest event time read. The contract rejects such an
    event ``unknown_case`` if its notification, when it comes, is more than 7 days after it; the
    stream decides only then, so these are the cases to chase with their partner
    (``held_overdue`` lists the oldest: case, source, event time; on ``/status`` for analysts only).
    """
    states = case_states()
    totals: dict[str, Any] = {"cases": 0, "partnerships": 0, "accepted": 0, "duplicates": 0, "rejected": 0,
                              "held": 0}
    for state in states:
        totals["partnerships" if state.is_partnership else "cases"] += 1
        for key in ("accepted", "duplicates", "rejected", "held"):
            totals[key] += getattr(state.counts, key)
    late = held_over(states, live.projection.watermark)
    totals["held_over_7_days"] = len(late)
    totals["held_overdue"] = [{"subject": s, "source": src, "time": t} for s, src, t in late[:HELD_LISTED]]
    return totals


def status(fast: bool = False) -> dict[str, Any]:
    c = stats.counts
    topic_lags = lags()
    in_flight = (c["sent_events"] - c["sunk_events"]) + (c["sent_dead_letters"] - c["sunk_dead_letters"])
    quiet = time.monotonic() - stats.last_activity >= IDLE_AFTER_S
    # after a restart the sink re-writes what it had not committed, so sunk can exceed sent
    idle = quiet and in_flight <= 0 and all(v == 0 for v in topic_lags.values())
    from streams import schedule

    return {
        "consumed": c["consumed"],
        "accepted": c["accepted"],
        "dead_lettered": c["dead_lettered"],
        "dead_lettered_by_reason": dict(stats.rejected_by_reason),
        "held_since_start": c["held"],
        "duplicates": c["duplicates"],
        # inbound offsets passed because the broker has no message there (a transaction marker, or
        # deleted by retention before they were read: the worker log says which)
        "offsets_not_on_the_broker": c["offsets_not_on_the_broker"],
        "sunk": {"events": c["sunk_events"], "dead_letters": c["sunk_dead_letters"]},
        "sent": {"events": c["sent_events"], "dead_letters": c["sent_dead_letters"]},
        "case_table": None if fast else case_totals(),  # ?fast=1: skip the walk over every case
        "watermark": live.projection.watermark.isoformat() if live.projection.watermark else None,
        "lag": topic_lags,
        "in_flight": in_flight,
        "waiting_for": dict(stats.waiting),  # a service that is away: what waits for it
        "idle": idle and not stats.waiting,
        "alerts": alert_states(),  # the alert rules, as Grafana's (embedded stack only)
        # the latest vintage the scheduled build made (None without one): its build time, the newest
        # event it includes, and its age in seconds
        "figures": schedule.age() if schedule.state["every_s"] else None,
    }


@app.page("/status")
class StatusView(View):
    async def get(self, request: Request) -> Response:
        answer = status(fast=request.query.get("fast") == "1")
        if not is_analyst(request):  # the overdue rule's rows are counts per local authority
            answer["alerts"] = {**answer["alerts"], "rules": for_viewers(answer["alerts"]["rules"])}
            if answer["case_table"]:  # the held cases' references and authorities: analysts only
                answer["case_table"] = {k: v for k, v in answer["case_table"].items() if k != "held_overdue"}
        return self.json(answer)


ANALYST = "exact with Authorization: Bearer $CSPR_ANALYST_TOKEN; suppressed (or counts only) without"
YEAR = "year (default: the year of the latest event read)"
LA_PARAMETER = ("a local authority's code (e.g. E06000001): its own panels first, from the published (suppressed) "
                "viewer tables")
INDEX: list[dict[str, Any]] = [
    {"path": "/", "what": "this list", "parameters": {}},
    {"path": "/live", "what": "the live page (HTML): the dashboards' panels from the latest vintage for a quarter, "
     "and the stream's live counters, refreshing on its own; what a viewer may see",
     "parameters": {"year": "year (default: the latest quarter with notifications)", "quarter": "1-4",
                    "la": LA_PARAMETER}},
    {"path": "/live.json", "what": "the live page's figures as JSON: quarter, vintage and its age, counters, "
     "each panel's rows as shown", "parameters": {"year": "year", "quarter": "1-4", "la": LA_PARAMETER}},
    {"path": "/live/panels", "what": "the live page's panels alone (HTML), for its script",
     "parameters": {"year": "year", "quarter": "1-4", "la": LA_PARAMETER}},
    {"path": "/live/alerts", "what": "the live page's alerts alone (HTML), for its script: the alert checks "
     "/status shows, in plain words, without per-authority rows", "parameters": {}},
    {"path": "/status", "what": "consumed, accepted, dead-lettered, held, stored; idle; lag; the built figures' age; "
     "the alert checks (their per-authority rows for analysts only)",
     "parameters": {"fast": "1: skip the totals over every case"}},
    {"path": "/schedule", "what": "the scheduled builds (under `up` / --schedule-dbt only)", "parameters": {}},
    {"path": "/figures/notifications", "what": "notifications by month x harm type and by year x local authority; "
     + ANALYST, "parameters": {}},
    {"path": "/figures/period-change", "what": "notifications between two dates against the same dates a year earlier",
     "parameters": {"from": "YYYY-MM-DD (default: 1 January of the latest year with events)",
                    "to": "YYYY-MM-DD (default with no 'from': the end of that year, or today)"}},
    {"path": "/figures/local-authorities", "what": "authorities per band of notifications in the year; " + ANALYST,
     "parameters": {"year": YEAR}},
    {"path": "/figures/timeliness", "what": "rapid-review timeliness buckets of the reviews due in the year, "
     "as known at as_of", "parameters": {"year": YEAR, "as_of": "YYYY-MM-DD (default today)"}},
    {"path": "/figures/learning", "what": "practice themes and COVID-19 factors of the year's rapid reviews by "
     "quarter, and partnerships' yearly reports (contract v2); counts suppressed for viewers; " + ANALYST,
     "parameters": {"year": YEAR}},
    {"path": "/overdue", "what": "rapid reviews past their requested completion date and not received; the cases "
     "for analysts only; " + ANALYST, "parameters": {"as_of": "YYYY-MM-DD (default today)"}},
]


@app.page("/")
class IndexView(View):
    async def get(self, request: Request) -> Response:
        return self.json({"views": [v for v in INDEX if v["path"] != "/schedule" or _scheduled()]})


def _scheduled() -> bool:
    from streams import schedule

    return bool(schedule.state["every_s"])
