"""dbt on chDB: full-build and incremental-build times, and each mart's query time, for synthetic
histories at 1x, 100x and 1000x the national volume (~500 notifications, ~5,000 events a year),
ten years each.

Targets: a full build of ten years at 100x (~5M events) under 60 s; an incremental build after
10,000 new events under 5 s; any mart query under 100 ms; adding one vintage at 100x under 10 s.
Also timed: every default vintage (BENCH_DBT_ALL_VINTAGES_UP_TO=SCALE, default 1x only: ~50 vintages).

Freshness (infra/warehouse/refresh.py, the production schedule): the full tested build of the
latest vintage (every model and dbt test, aside, swapped in) against one refresh of it in place
(dbt run: models only, the case fold incremental, then the viewer tables), after a burst of
+1,000 cases (10,000 events) in the current year and with nothing new. Target: events visible in the marts within 60 s, so
one refresh must take well under the 30 s it is scheduled every. ``BENCH_DBT_FRESHNESS_ONLY=1``
runs only this part (and the history's generation).

Each scale runs in its own process (chDB allows one data path per process, and ``make bench``
runs every benchmark in one process). Rows are generated inside ClickHouse (INSERT ... SELECT
from numbers()): valid contract JSON, ten events per case (notified, submitted, feedback,
corrected, decision_made, feedback, initiated, publication_notified, report_received,
published), so generation does not dominate the figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NATIONAL_CASES_PER_YEAR = 500
YEARS = 10
FIRST_YEAR = 2014
EVENTS_PER_CASE = 10
AS_OF = "2024-03-31"

GENERATE = """
INSERT INTO @db@.raw_events
    (source, event_id, type, subject, time, time_text, case_seq, data, event, kafka_topic, kafka_partition, kafka_offset)
WITH
    ['death', 'serious_harm', 'serious_harm', 'other'] AS harms,
    ['sudi', 'suicide', 'fatal_physical_abuse', 'not_clear'] AS deaths,
    ['physical_abuse', 'neglect', 'sexual_exploitation', 'risk_taking_or_violent'] AS non_fatal,
    @la_codes@ AS las,
    c.number + @first_case@ AS n,
    toDate('@first_year@-01-01') + toIntervalDay(intDiv(n % @years@, 1) * 365 + cityHash64(n, 1) % 360) AS notified,
    las[1 + cityHash64(n, 2) % length(las)] AS la,
    harms[1 + cityHash64(n, 3) % 4] AS harm,
    if(harm = 'death', deaths[1 + cityHash64(n, 4) % 4], non_fatal[1 + cityHash64(n, 4) % 4]) AS category,
    k.number AS k,
    ['incident.notified', 'rapid_review.submitted', 'panel.feedback_issued', 'incident.corrected',
     'rapid_review.decision_made', 'panel.feedback_issued', 'lcspr.initiated', 'lcspr.publication_notified',
     'lcspr.report_received', 'lcspr.published'][k + 1] AS short_type,
    notified + toIntervalDay([0, 20, 30, 35, 40, 60, 70, 300, 310, 330][k + 1] + cityHash64(n, 5) % 10) AS day,
    toString(notified - toIntervalDay(cityHash64(n, 6) % 5)) AS incident,
    multiIf(
        k = 0, concat('{"local_authority":"', la, '","incident_date":"', incident, '","notified_date":"',
                      toString(notified), '","harm_type":"', harm, '","category":"', category,
                      '","subcategory":null,"children":[{"child_ref":"c', toString(cityHash64(n, 7)),
                      '","age_years":', toString(cityHash64(n, 8) % 18),
                      ',"gender":"female","ethnicity":"white_british"}],"imd_quintile":', toString(1 + cityHash64(n, 9) % 5),
                      ',"case_characteristics":["domestic_abuse"],"service_involvement":{"known_to_csc":"child_in_need",',
                      '"court_order":"none","living_situation":"at_home"},"covid_factor":false}'),
        k = 1, concat('{"received_date":"', toString(day), '","decision":"undecided"}'),
        k IN (2, 5), concat('{"feedback_date":"', toString(day), '","agrees_with_decision":',
                            if(cityHash64(n, k) % 3 = 0, 'false', 'true'), '}'),
        k = 3, concat('{"changes":{"imd_quintile":', toString(1 + cityHash64(n, 10) % 5), '},"reason":"new_information"}'),
        k = 4, concat('{"decision":"', if(cityHash64(n, 11) % 3 = 0, 'lcspr', 'no_lcspr'), '","decision_date":"',
                      toString(day), '"}'),
        k = 6, concat('{"initiated_date":"', toString(day), '"}'),
        k = 7, concat('{"notified_date":"', toString(day), '","planned_publication_date":"', toString(day + 30), '"}'),
        k = 8, concat('{"received_date":"', toString(day), '","publication_intent":"intend_to_publish"}'),
        concat('{"published_date":"', toString(day), '"}')
    ) AS payload
SELECT
    if(k IN (2, 5), 'urn:cspr:panel', concat('urn:cspr:la:', la)) AS source,
    lower(toString(generateUUIDv4(n * 10 + k))) AS event_id,
    concat('uk.gov.cspr.', short_type, '.v1') AS type,
    concat('SIN-', leftPad(toString(n), 9, '0')) AS subject,
    toDateTime64(day, 6, 'UTC') + toIntervalSecond(36000 + k) AS time,
    concat(toString(day), 'T10:00:0', toString(k), 'Z') AS time_text,
    toUInt32(k + 1) AS case_seq,
    payload AS data,
    '' AS event,
    'cspr.events', 0, toUInt64(n * 10 + k)
FROM numbers(@cases@) AS c
CROSS JOIN numbers(@events_per_case@) AS k
"""


def generate(client, db: str, first_case: int, cases: int, first_year: int = FIRST_YEAR, years: int = YEARS) -> None:
    from schemas.local_authorities import LA_CODES

    values = {
        "db": db, "la_codes": json.dumps(sorted(LA_CODES)).replace('"', "'"), "first_case": first_case,
        "first_year": first_year, "years": years, "cases": cases, "events_per_case": EVENTS_PER_CASE,
    }
    sql = GENERATE
    for name, value in values.items():  # not str.format: the SQL's own format() strings use braces
        sql = sql.replace(f"@{name}@", str(value))
    client.command(sql)


def run_scale(scale: int, incremental_cases: int, data_dir: Path) -> dict[str, float]:
    from infra.settings import load_settings
    from infra.warehouse.client import get_client
    from infra.warehouse.dbt_runner import run_dbt
    from infra.warehouse.figures import MARTS
    from infra.warehouse.raw_store import ensure_raw_store

    client = get_client(load_settings(clickhouse_url="chdb"), data_dir=data_dir)
    db = "bench"
    ensure_raw_store(client, db)
    cases = NATIONAL_CASES_PER_YEAR * YEARS * scale
    t = time.perf_counter()
    generate(client, db, 0, cases)
    figures = {"events": float(client.query(f"SELECT count() FROM {db}.raw_events").result_rows[0][0]),
               "generate_s": time.perf_counter() - t}
    variables = ["--vars", json.dumps({"as_of": AS_OF})]

    def dbt(command: str, *extra: str) -> float:
        t0 = time.perf_counter()
        outcome = run_dbt([command, *variables, *extra], data_dir=data_dir, database=db, quiet=True)
        if not outcome.success:
            raise RuntimeError(f"dbt failed at {scale}x: {outcome.exception}")
        return time.perf_counter() - t0

    dbt("build", "--select", "bank_holidays")  # parse the project once, so the timings are the builds
    if os.environ.get("BENCH_DBT_FRESHNESS_ONLY") == "1":
        figures.update(freshness(client, db, data_dir, first_case=cases))
        return figures
    # full: seeds and every model from scratch (dbt's data tests are timed apart: they are checks)
    figures["full_build_s"] = dbt("build", "--full-refresh", "--exclude", "resource_type:test")
    figures["tests_s"] = dbt("test")
    generate(client, db, cases, incremental_cases)
    # incremental: the scheduled job after new events: models only (seeds change with the code)
    figures["incremental_build_s"] = dbt("run")
    slowest = 0.0
    for mart in MARTS:
        t0 = time.perf_counter()
        client.query(f"SELECT * FROM {db}.{mart} WHERE {'1' if mart in ('rpt_lcspr_initiated_by_year', 'rpt_build_info') else 'year = 2020'}")
        slowest = max(slowest, time.perf_counter() - t0)
    for mart in ("rpt_quarterly_learning", "pub_local_authority_notifications", "pub_region_notifications"):
        t0 = time.perf_counter()
        client.query(f"SELECT * FROM {db}.{mart} WHERE year = 2020")
        slowest = max(slowest, time.perf_counter() - t0)
    figures["slowest_mart_query_ms"] = slowest * 1000
    # vintages (infra/warehouse/vintages.py): add one (every model and test, into its own database,
    # swapped in), then every default vintage (each quarter end and report date of the ten years)
    from infra.warehouse import vintages

    conf = load_settings(clickhouse_url="chdb")
    t0 = time.perf_counter()
    vintages.build(client, conf, db, dt.date(2020, 6, 30), data_dir=data_dir)
    figures["add_vintage_s"] = time.perf_counter() - t0
    figures.update(freshness(client, db, data_dir, first_case=cases + incremental_cases))
    if scale <= int(os.environ.get("BENCH_DBT_ALL_VINTAGES_UP_TO", "1")):
        dates = vintages.missing_defaults(client, db, today=dt.date.fromisoformat(AS_OF) + dt.timedelta(days=1))
        t0 = time.perf_counter()
        vintages.build_all(client, conf, db, dates, data_dir=data_dir)
        figures["all_vintages_s"] = time.perf_counter() - t0
        figures["all_vintages"] = float(len(dates) + 1)
    return figures


def freshness(client, db: str, data_dir: Path, first_case: int) -> dict[str, float]:
    """The latest vintage's full tested build, then one refresh after 10,000 new events and one
    with nothing new (the production schedule's two kinds of run)."""
    from infra.settings import load_settings
    from infra.warehouse import refresh, vintages

    conf = load_settings(clickhouse_url="chdb")
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    vintages.build(client, conf, db, None, data_dir=data_dir)
    out["latest_full_build_s"] = time.perf_counter() - t0

    def refreshed() -> float:
        done = refresh.refresh_latest(client, conf, db, data_dir=data_dir)
        if not done.ok or done.kind != "refresh":
            raise RuntimeError(f"refresh failed: {done}")
        return done.took_s

    out["first_refresh_s"] = refreshed()  # after a full build: its swap dropped the staging views
    # new cases arrive in the current year (the history's last): only its viewer tables are re-solved
    generate(client, db, first_case, 1000, first_year=FIRST_YEAR + YEARS - 1, years=1)
    out["refresh_new_events_s"] = refreshed()
    out["refresh_nothing_new_s"] = refreshed()
    return out


def main() -> None:
    # BENCH_DBT_SCALES=1,100 leaves out the 1000x run (~50M events, ~7 GB, several minutes)
    scales = [int(s) for s in os.environ.get("BENCH_DBT_SCALES", "1,100,1000").split(",")]
    for scale in scales:
        # ~0.7 GB of warehouse per 100x: removed when the scale is done
        with tempfile.TemporaryDirectory(prefix=f"bench-dbt-{scale}x-") as data_dir:
            out = subprocess.run(
                [sys.executable, "-m", "tests.benchmarks.bench_dbt", "--scale", str(scale), "--data-dir", data_dir],
                capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], timeout=3600,
            )
        if out.returncode != 0:
            print(f"  {scale}x: failed\n{out.stderr[-2000:]}")
            continue
        f = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  {scale:>5}x  {f['events']:>12,.0f} events  latest vintage: full tested build "
              f"{f['latest_full_build_s']:6.1f} s  first refresh after it {f['first_refresh_s']:6.1f} s  "
              f"refresh in place after +10,000 events {f['refresh_new_events_s']:6.1f} s  "
              f"refresh with nothing new {f['refresh_nothing_new_s']:6.1f} s", flush=True)
        if "full_build_s" not in f:
            continue
        print(f"  {scale:>5}x  {f['events']:>12,.0f} events  generate {f['generate_s']:6.1f} s  "
              f"full build {f['full_build_s']:6.1f} s  incremental (+10,000 events) {f['incremental_build_s']:6.1f} s  "
              f"slowest mart query {f['slowest_mart_query_ms']:6.1f} ms  (dbt tests {f['tests_s']:.1f} s)", flush=True)
        print(f"         add one vintage (models + tests, aside, swapped in) {f['add_vintage_s']:6.1f} s"
              + (f"  every default vintage ({f['all_vintages']:.0f}) {f['all_vintages_s']:6.1f} s"
                 if "all_vintages_s" in f else ""), flush=True)
    print("  targets: full build at 100x < 60 s; incremental < 5 s; mart query < 100 ms; add a vintage at 100x < 10 s;"
          " a refresh (every 30 s in production) well under 30 s, so figures are under a minute old")


if __name__ == "__main__":
    if "--scale" in sys.argv:
        result = run_scale(int(sys.argv[sys.argv.index("--scale") + 1]), incremental_cases=1000,
                           data_dir=Path(sys.argv[sys.argv.index("--data-dir") + 1]))
        print(json.dumps(result))
    else:
        main()
