"""The alert conditions, once: each rule's SQL and threshold, for Grafana and for ``/status``.

Grafana's alert rules are generated from ``RULES`` (``dashboards/alerting.py`` writes
``infra/grafana/provisioning/alerting/cspr-rules.yaml``); the embedded stack, which has no
Grafana, evaluates the same SQL with the same thresholds through ``evaluate`` and shows the
outcome on ``/status``. The tests run every rule's SQL on marts built from histories where it
must fire and where it must not (tests/infra/warehouse/test_alerts.py).

Each query returns one row per alert instance: string columns are its labels, the one numeric
column its value (the shape Grafana's alerting turns into one series per row); the rule fires for
the rows whose value is above ``threshold``. SQL placeholders:

    ${raw}     the raw store's database (cspr): dead_letters, stream_heartbeats, vintages
    ${marts}   the latest vintage's marts (cspr_latest)
    ${now}     the evaluation time (Grafana: now64(6, 'UTC'))
    ${threshold}  the rule's threshold (a failed build counts as past it)

No rule computes a figure of its own: overdue reviews are the rows of rpt_overdue_rapid_reviews
(the 15th working day after notification, England's bank holidays: schemas/calendar.py, the one
definition the marts use), reconciliation failures are rpt_stream_reconciliation_summary's.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from infra.warehouse.raw_store import check_database_name

log = logging.getLogger(__name__)

# How the production schedule runs (docker-compose.yml, service dbt): a refresh of the latest
# vintage's marts every REFRESH_EVERY_S, a full tested build every BUILD_EVERY_S.
REFRESH_EVERY_S = 30
BUILD_EVERY_S = 900
DEAD_LETTERS_PER_PARTNER_PER_DAY = 10
STREAM_LAG_MESSAGES = 10_000
HEARTBEAT_EVERY_S = 15  # streams/heartbeat.py


@dataclass(frozen=True)
class Rule:
    uid: str
    title: str
    sql: str
    threshold: float  # fires for rows whose value is above it
    summary: str  # one line, with {{ $labels.x }} / {{ $values.A }} for Grafana
    description: str
    pending: str = "0s"  # how long the condition must hold before it fires (Grafana's `for`)
    no_data: str = "OK"  # Grafana's noDataState: no rows means nothing is wrong
    severity: str = "warning"
    labels: tuple[str, ...] = field(default=())  # the label columns, in order


RULES: tuple[Rule, ...] = (
    Rule(
        uid="cspr-overdue-rapid-reviews",
        title="Rapid reviews overdue",
        labels=("local_authority",),
        sql="""
SELECT local_authority, toFloat64(count()) AS overdue_reviews
FROM ${marts}.rpt_overdue_rapid_reviews
GROUP BY local_authority
ORDER BY local_authority
""",
        threshold=0,
        summary="{{ $labels.local_authority }}: {{ $values.A }} rapid review(s) past the 15th working day",
        description="Notifications with no rapid review received by their requested completion date "
        "(15 working days after notification, England's bank holidays), as in rpt_overdue_rapid_reviews "
        "of the latest vintage. Analysts list the cases at /overdue (analyst token).",
    ),
    Rule(
        uid="cspr-dead-letters-per-partner",
        title="Dead letters per partner today",
        labels=("partner",),
        sql="""
SELECT coalesce(source, origin_topic) AS partner, toFloat64(count()) AS dead_letters_today
FROM ${raw}.dead_letters FINAL
WHERE toDate(dead_lettered_at) = toDate(${now})
GROUP BY partner
ORDER BY partner
""",
        threshold=DEAD_LETTERS_PER_PARTNER_PER_DAY,
        summary="{{ $labels.partner }}: {{ $values.A }} messages dead-lettered today (UTC)",
        description=f"More than {DEAD_LETTERS_PER_PARTNER_PER_DAY} messages from one partner (the "
        "envelope's source, else the topic it came in on) rejected today: its system is sending "
        "events that break the contract. The reasons are in the partner's /partner/events view.",
    ),
    Rule(
        uid="cspr-stream-lag",
        title="Stream falling behind",
        labels=("worker",),
        sql="""
SELECT worker, toFloat64(argMax(lag_messages, taken_at) + greatest(argMax(relay_lag, taken_at), 0)) AS lag_messages
FROM ${raw}.stream_heartbeats
WHERE taken_at >= ${now} - INTERVAL 10 MINUTE
GROUP BY worker
ORDER BY worker
""",
        threshold=STREAM_LAG_MESSAGES,
        pending="2m",
        summary="worker {{ $labels.worker }}: {{ $values.A }} inbound messages not yet processed",
        description=f"The worker's inbound topics are more than {STREAM_LAG_MESSAGES:,} messages ahead "
        "of what it has committed, for two minutes: the live figures and the marts are behind.",
    ),
    Rule(
        uid="cspr-stream-silent",
        title="Stream worker silent",
        sql="""
SELECT toFloat64(dateDiff('second', max(taken_at), ${now})) AS seconds_since_heartbeat
FROM ${raw}.stream_heartbeats
""",
        threshold=8 * HEARTBEAT_EVERY_S,
        severity="critical",
        summary="no heartbeat from the stream worker for {{ $values.A }} s",
        description=f"The worker writes a heartbeat every {HEARTBEAT_EVERY_S} s; none for "
        f"{8 * HEARTBEAT_EVERY_S} s means it is down or cannot write to ClickHouse (nothing is "
        "being counted or stored).",
    ),
    Rule(
        uid="cspr-reconciliation-failures",
        title="Stream and batch disagree",
        labels=("figure", "year"),
        sql="""
SELECT figure, toString(year) AS year, toFloat64(differing) AS differing
FROM ${marts}.rpt_stream_reconciliation_summary
ORDER BY figure, year
""",
        threshold=0,
        severity="critical",
        summary="{{ $labels.figure }} {{ $labels.year }}: {{ $values.A }} dimension(s) where the stream and dbt differ",
        description="rpt_stream_reconciliation compared the stream's snapshot with marts built from the "
        "same events and found figures that differ: one of the two computations is wrong.",
    ),
    Rule(
        uid="cspr-stale-build",
        title="Latest tested build is stale or failed",
        labels=("vintage", "last_attempt"),
        sql="""
SELECT name AS vintage, toString(argMax(status, built_at)) AS last_attempt,
       toFloat64(if(last_attempt = 'ok', 0, ${threshold} + 1)
                 + if(countIf(status = 'ok') = 0, 1e9,
                      greatest(dateDiff('second', maxIf(built_at, status = 'ok'), ${now}), 0))) AS seconds_since_ok_build
FROM ${raw}.vintages
WHERE name = 'latest'
GROUP BY name
""",
        threshold=2 * BUILD_EVERY_S + 300,
        no_data="Alerting",  # never built at all
        summary="latest vintage: last build attempt {{ $labels.last_attempt }}; {{ $values.A }} s since a successful "
        "one (a failed last attempt counts as past the limit)",
        description=f"The full build (every model and dbt test) runs every {BUILD_EVERY_S} s and is swapped "
        "in only when all passed. Fires when the last attempt failed (a dbt test, e.g. the stream "
        "reconciliation, or a model) or when none succeeded for two rounds: `safeguarding report "
        "vintages` gives the reason; every vintage built before is still readable.",
    ),
    Rule(
        uid="cspr-stale-marts",
        title="Live marts are stale",
        sql="""
SELECT toFloat64(dateDiff('second', max(built_at), ${now})) AS seconds_since_refresh
FROM ${marts}.rpt_build_info
""",
        threshold=4 * REFRESH_EVERY_S,
        no_data="Alerting",
        summary="the latest vintage's marts were last refreshed {{ $values.A }} s ago",
        description=f"The marts of the latest vintage are refreshed every {REFRESH_EVERY_S} s; older "
        f"than {4 * REFRESH_EVERY_S} s means the figures on the dashboards are older than promised.",
    ),
)


def grafana_sql(rule: Rule, raw: str = "cspr", marts: str = "cspr_latest") -> str:
    """The rule's SQL as Grafana runs it (no template variables in alert queries)."""
    return _fill(rule.sql, raw, marts, "now64(6, 'UTC')", rule.threshold)


def _fill(sql: str, raw: str, marts: str, now: str, threshold: float) -> str:
    return (sql.replace("${raw}", check_database_name(raw)).replace("${marts}", check_database_name(marts))
            .replace("${now}", now).replace("${threshold}", f"{threshold:g}").strip())


def _now_sql(now: dt.datetime) -> str:
    return f"toDateTime64('{now.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S.%f}', 6, 'UTC')"


def evaluate(client: Any, raw_database: str, marts_database: str | None = None,
             now: dt.datetime | None = None, thresholds: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Every rule evaluated now (or at ``now``) against the warehouse: the same SQL and thresholds
    as the Grafana rules. One dict per rule, in ``RULES`` order:

        {"uid", "title", "severity", "threshold",
         "state": "firing" | "ok" | "error",
         "firing": [{"labels": {...}, "value": float}, ...],  # the rows above the threshold
         "error": str | None}

    ``marts_database`` defaults to ``<raw_database>_latest``; ``thresholds`` overrides a rule's
    threshold by uid (the embedded stack's schedule is not production's). A rule whose query
    fails (its marts not built yet) is ``error`` with the first line of the reason; with no rows it
    is ``ok``, or ``firing`` when the rule treats no data as alerting (never built)."""
    marts = marts_database or f"{raw_database}_latest"
    when = _now_sql(now or dt.datetime.now(dt.UTC))
    out = []
    for rule in RULES:
        limit = (thresholds or {}).get(rule.uid, rule.threshold)
        entry: dict[str, Any] = {"uid": rule.uid, "title": rule.title, "severity": rule.severity,
                                 "threshold": limit, "state": "ok", "firing": [], "error": None}
        try:
            result = client.query(_fill(rule.sql, raw_database, marts, when, limit))
        except Exception as exc:  # a missing table: the marts are not built yet
            entry["state"], entry["error"] = "error", (str(exc).strip().splitlines() or ["?"])[0][:300]
            out.append(entry)
            continue
        rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
        for row in rows:
            value = float(next(v for k, v in row.items() if k not in rule.labels))
            if value > limit or math.isnan(value):
                entry["firing"].append({"labels": {k: str(row[k]) for k in rule.labels}, "value": value})
        if entry["firing"] or (not rows and rule.no_data == "Alerting"):
            entry["state"] = "firing"
        out.append(entry)
    return out
