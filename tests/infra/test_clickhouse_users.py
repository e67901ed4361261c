"""The production ClickHouse users, loaded into the real engine (chDB), allow and deny what they should.

chDB cannot log in as another user, so the engine parses and loads the users file exactly as a
server would (users.d merged into a base users.xml) and reports each user's effective grants
from ``system.grants``; the checks below evaluate those grants, partial revokes included.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USERS_FILE = ROOT / "infra/clickhouse/users.d/cspr-users.xml"

_LOAD = textwrap.dedent("""
    import json, os, shutil, sys, tempfile, pathlib
    import chdb
    tmp = pathlib.Path(tempfile.mkdtemp())
    (tmp / "users.d").mkdir()
    shutil.copy(sys.argv[1], tmp / "users.d" / "cspr-users.xml")
    # The server image's own users.xml: the default profile, quota and admin user.
    (tmp / "users.xml").write_text(
        "<clickhouse><profiles><default/></profiles><quotas><default/></quotas><users><default>"
        "<password></password><networks><ip>::/0</ip></networks><profile>default</profile>"
        "<quota>default</quota><access_management>1</access_management></default></users></clickhouse>")
    (tmp / "config.xml").write_text(f"<clickhouse><users_config>{tmp}/users.xml</users_config></clickhouse>")
    os.environ.update(CLICKHOUSE_INGEST_PASSWORD="i", CLICKHOUSE_ANALYST_PASSWORD="a", CLICKHOUSE_GRAFANA_PASSWORD="g",
                      CLICKHOUSE_PARTNER_VIEWS_PASSWORD="p", CLICKHOUSE_ALERTING_PASSWORD="x")
    conn = chdb.connect(f"{tmp}/db?config-file={tmp}/config.xml")
    cur = conn.cursor()
    cur.execute("SELECT user_name, access_type, database, table, is_partial_revoke, column FROM system.grants "
                "WHERE user_name IN ('ingest', 'analyst', 'grafana', 'partner_views', 'alerting')")
    rows = cur.fetchall()
    cur.execute("SELECT user_name, inherit_profile FROM system.settings_profile_elements "
                "WHERE user_name IN ('grafana', 'alerting') ORDER BY user_name")
    profiles = cur.fetchall()
    cur.execute("SELECT value FROM system.settings_profile_elements "
                "WHERE profile_name = 'cspr_readonly' AND setting_name = 'readonly'")
    print(json.dumps({"grants": rows, "grafana_profiles": profiles, "readonly": [r[0] for r in cur.fetchall()]}))
""")

# ClickHouse expands these privileges into these finer ones in system.grants.
_IMPLIED = {"DROP TABLE": {"DROP TABLE"}, "CREATE TABLE": {"CREATE TABLE"}}


@pytest.fixture(scope="module")
def loaded() -> dict:
    proc = subprocess.run([sys.executable, "-c", _LOAD, str(USERS_FILE)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"ClickHouse rejected {USERS_FILE.name}:\n{proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def allowed(grants: list, user: str, access: str, database: str, table: str) -> bool:
    """Whether the user's grants allow ``access`` on ``database.table``, as ClickHouse decides it:
    some grant covers it and no partial revoke takes it back (the most specific wins)."""

    def covers(db: str | None, tbl: str | None) -> bool:
        if db is None:
            return True
        # a wildcard database (cspr_*.*) is listed by its prefix, as a wildcard table is
        if db != database and not (db.endswith("_") and database.startswith(db)):
            return False
        if tbl is None:
            return True
        return table == tbl or (tbl.endswith("_") and table.startswith(tbl))  # wildcard rpt_*

    # a grant of some columns only (the alerting user's dead letters) is not a grant of the table
    granted = [g for g in grants if g[0] == user and g[1] == access and not g[4] and covers(g[2], g[3]) and not g[5]]
    revoked = [g for g in grants if g[0] == user and g[1] == access and g[4] and covers(g[2], g[3])]
    return bool(granted) and not revoked


CASES = [
    ("analyst", "CREATE DATABASE", "rpt_notifications", True),   # a vintage is built aside ...
    ("analyst", "DROP DATABASE", "rpt_notifications", True),     # ... and swapped in
    ("grafana", "CREATE DATABASE", "rpt_notifications", False),
    # user, access, table, allowed?
    ("partner_views", "SELECT", "raw_events", True),
    ("partner_views", "SELECT", "dead_letters", True),
    ("partner_views", "SELECT", "rpt_notifications", False),
    ("partner_views", "SELECT", "stream_figures", False),
    ("partner_views", "INSERT", "raw_events", False),
    ("partner_views", "INSERT", "dead_letters", False),
    ("ingest", "INSERT", "raw_events", True),
    ("ingest", "INSERT", "dead_letters", True),
    ("ingest", "SELECT", "raw_events", False),
    ("ingest", "INSERT", "rpt_notifications", False),
    ("ingest", "DROP TABLE", "raw_events", False),
    ("ingest", "INSERT", "stream_figures", True),
    ("ingest", "SELECT", "stream_figures", False),
    ("ingest", "DROP TABLE", "stream_figures", False),
    ("analyst", "SELECT", "raw_events", True),
    ("analyst", "SELECT", "dead_letters", True),
    ("analyst", "INSERT", "raw_events", False),
    ("analyst", "DROP TABLE", "raw_events", False),
    ("analyst", "ALTER TABLE", "raw_events", False),
    ("analyst", "TRUNCATE", "dead_letters", False),
    ("analyst", "SELECT", "stream_figures", True),
    ("analyst", "INSERT", "stream_figures", False),
    ("analyst", "TRUNCATE", "stream_figures", False),
    ("analyst", "CREATE TABLE", "rpt_stream_reconciliation", True),
    ("analyst", "CREATE TABLE", "int_cases_folded_as_at", True),
    ("analyst", "DROP TABLE", "rpt_notifications", True),
    ("analyst", "INSERT", "rpt_notifications", True),
    ("grafana", "SELECT", "rpt_notifications", True),
    ("grafana", "SELECT", "pub_local_authority_notifications", True),
    ("grafana", "SELECT", "pub_region_notifications", True),
    ("grafana", "SELECT", "pub_notifications_per_la_band", True),
    ("grafana", "SELECT", "pub_learning", True),
    # the learning marts' exact counts: viewers read them suppressed, in pub_learning
    ("grafana", "SELECT", "rpt_practice_themes", False),
    ("grafana", "SELECT", "rpt_partnership_yearly_reports", False),
    ("grafana", "SELECT", "rpt_lcspr_decision_rates", False),
    ("grafana", "SELECT", "rpt_stream_reconciliation_summary", True),
    ("grafana", "SELECT", "raw_events", False),
    ("grafana", "SELECT", "dead_letters", False),
    ("grafana", "SELECT", "stream_figures", False),
    ("grafana", "SELECT", "raw_inbound", False),
    # exact per-authority counts, the exact bands (how many 'c' are primary), case-level rows
    ("grafana", "SELECT", "rpt_stream_reconciliation", False),
    ("grafana", "SELECT", "rpt_notifications_per_la_band", False),
    ("grafana", "SELECT", "rpt_overdue_rapid_reviews", False),
    ("grafana", "SELECT", "pub_local_authority_notifications__building", False),
    ("grafana", "SELECT", "rpt_a_mart_added_tomorrow", False),
    ("grafana", "SELECT", "pub_a_table_added_tomorrow", False),
    ("grafana", "SELECT", "stg_incident_notified", False),
    ("grafana", "SELECT", "int_cases_folded_as_at", False),
    ("grafana", "SELECT", "int_children_as_at", False),
    ("grafana", "SELECT", "fct_local_authority_notifications", False),
    ("grafana", "INSERT", "rpt_notifications", False),
    # the stream's live national figures: written by the worker, read by Grafana's viewers
    ("ingest", "INSERT", "pub_stream_figures", True),
    ("grafana", "SELECT", "pub_stream_figures", True),
    ("analyst", "INSERT", "pub_stream_figures", False),
    # the worker's heartbeat: written by the worker, read by the alert rules only
    ("ingest", "INSERT", "stream_heartbeats", True),
    ("ingest", "SELECT", "stream_heartbeats", False),
    ("grafana", "SELECT", "stream_heartbeats", False),
    ("alerting", "SELECT", "stream_heartbeats", True),
    ("alerting", "SELECT", "vintages", True),
    ("alerting", "SELECT", "rpt_overdue_rapid_reviews", True),
    ("alerting", "SELECT", "rpt_stream_reconciliation_summary", True),
    ("alerting", "SELECT", "rpt_build_info", True),
    ("alerting", "SELECT", "dead_letters", False),  # some columns only (below), never the raw bytes
    ("alerting", "SELECT", "raw_events", False),
    ("alerting", "SELECT", "stream_figures", False),
    ("alerting", "SELECT", "rpt_notifications", False),
    ("alerting", "SELECT", "pub_local_authority_notifications", False),
    ("alerting", "INSERT", "stream_heartbeats", False),
]


@pytest.mark.parametrize(("user", "access", "table", "expected"), CASES, ids=[f"{u}-{a}-{t}" for u, a, t, _ in CASES])
def test_user_is_allowed_exactly_what_its_role_needs(loaded: dict, user: str, access: str, table: str, expected: bool) -> None:
    # the raw store and the stream's tables are in cspr; models in each vintage's database
    database = ("cspr_latest" if table.startswith(("rpt_", "pub_", "stg_", "int_", "fct_"))
                and table != "pub_stream_figures" else "cspr")
    assert allowed(loaded["grants"], user, access, database, table) is expected


def test_grafana_sessions_are_read_only(loaded: dict) -> None:
    assert loaded["grafana_profiles"] == [["alerting", "cspr_readonly"], ["grafana", "cspr_readonly"]]
    assert loaded["readonly"] == ["2"]  # reads and session settings only; no writes, no DDL


def grafana_tables(loaded: dict) -> set[str]:
    return {g[3] for g in loaded["grants"] if g[0] == "grafana" and g[1] == "SELECT" and not g[4]}


def test_grafana_reads_an_explicit_list_and_every_table_the_dashboards_read(loaded: dict) -> None:
    """No wildcard (a new table would fall into it) and no whole database; the list is exactly the
    tables the dashboards' panels and the briefing read, so a panel cannot read an unlisted one."""
    import dashboards.marts as marts

    grants = [g for g in loaded["grants"] if g[0] == "grafana"]
    # the latest vintage's tables, and the stream's live national figures in the raw store's database
    assert all((g[2] == "cspr_latest" or (g[2], g[3]) == ("cspr", marts.LIVE_FIGURES)) and g[3] for g in grants), grants
    assert not any(g[3].endswith("_") or "*" in g[3] for g in grants)
    read = {v for k, v in vars(marts).items() if k.isupper() and isinstance(v, str) and v.startswith(("rpt_", "pub_"))}
    assert grafana_tables(loaded) == read | {"rpt_build_info"}


def test_grafana_reads_no_case_level_or_exact_local_table(loaded: dict) -> None:
    """Every table Grafana may read is aggregate: its stated grain (the first "Grain:" line every
    model opens with) is not a case, and nothing is per local authority except the suppressed
    pub_* tables. The case-level overdue list opens 'one row per case': the check can fail."""
    marts = {p.stem: p.read_text() for p in (ROOT / "dbt/models/marts").rglob("*.sql")}

    def grain(table: str) -> str:
        return next(line for line in marts[table].splitlines() if "Grain:" in line).lower()

    assert "per case" in grain("rpt_overdue_rapid_reviews")
    # the live table is no dbt model: tests/streams/figures/test_public.py proves it holds national rows only
    for table in grafana_tables(loaded) - {"pub_local_authority_notifications", "pub_region_notifications",
                                           "pub_notifications_per_la_band", "pub_stream_figures",
                                           "pub_learning"}:
        assert "per case" not in grain(table) and "local authority" not in grain(table), (table, grain(table))


def test_the_alerting_user_reads_an_explicit_list_and_of_the_dead_letters_only_whose_and_when(loaded: dict) -> None:
    grants = {(g[2], g[3], g[5]) for g in loaded["grants"] if g[0] == "alerting" and g[1] == "SELECT" and not g[4]}
    assert all(table and "*" not in table and not table.endswith("_") for _, table, _ in grants)
    dead = {column for db, table, column in grants if table == "dead_letters"}
    assert dead == {"raw_sha256", "reason", "source", "origin_topic", "dead_lettered_at"}
    assert not {g for g in loaded["grants"] if g[0] == "alerting" and g[1] != "SELECT"}


def test_every_table_the_alert_rules_read_is_granted_to_the_alerting_user(loaded: dict) -> None:
    """Each rule's SQL as Grafana runs it names only tables (and dead-letter columns) the alerting
    user may read: a rule cannot fail in production for want of a grant."""
    import re

    from infra.warehouse.alerts import RULES, grafana_sql

    grants = {(g[2], g[3]) for g in loaded["grants"] if g[0] == "alerting" and g[1] == "SELECT" and not g[4]}
    dead_columns = {g[5] for g in loaded["grants"] if g[0] == "alerting" and g[3] == "dead_letters"}
    for rule in RULES:
        sql = grafana_sql(rule)
        for db, table in re.findall(r"\b(cspr(?:_latest)?)\.(\w+)", sql):
            assert (db, table) in grants, (rule.uid, db, table)
        if "dead_letters" in sql:
            used = set(re.findall(r"\b(source|origin_topic|dead_lettered_at|raw|detail|problems|event_id|subject)\b", sql))
            assert used <= dead_columns, (rule.uid, used - dead_columns)
