-- The raw event store: the durable, append-only copy of the validated event log.
-- Created idempotently by infra.warehouse.ensure_raw_store() before the sink writes.
-- {db} is replaced with CSPR_CLICKHOUSE_DATABASE. Statements are separated by ';' lines.
--
-- Duplicates: the sink is at-least-once (offsets are committed after the insert), so a crash
-- can write the same event twice. ReplacingMergeTree keyed by (subject, source, event_id) collapses them
-- at merge time, and every reader (dbt staging) reads with FINAL so duplicates never reach a
-- count before a merge happens. No time-based deduplication window is used: a replay from the
-- raw store after days must still be idempotent, which a window cannot promise.

CREATE DATABASE IF NOT EXISTS {db};

CREATE TABLE IF NOT EXISTS {db}.raw_events
(
    -- identity: (source, event_id) is the contract's duplicate key; event_id is lower-cased
    source          LowCardinality(String),
    event_id        String,
    -- envelope
    type            LowCardinality(String),
    subject         String,
    time            DateTime64(6, 'UTC'),
    time_text       String,           -- as the partner wrote it, offset included
    -- arrival order within the case, assigned by the stream's case projection (1, 2, ...):
    -- "equal times go by order of arrival"
    case_seq        UInt32,
    data            String,           -- the data object, JSON text
    event           String,           -- the whole event as received, JSON text
    -- where the stream read it in Kafka (topic cspr.events.inbound)
    kafka_topic     LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset    UInt64,
    ingested_at     DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree
-- subject first: the dedup key is still (source, event_id) (a repeated write of one event has
-- the same subject), and every case's events are one index range, so the incremental dbt fold
-- reads the cases with new events, FINAL included, without scanning the table.
ORDER BY (subject, source, event_id);

CREATE TABLE IF NOT EXISTS {db}.dead_letters
(
    -- identity: the same bytes rejected for the same reason are one dead letter
    raw_sha256       FixedString(64),
    reason           LowCardinality(String),
    detail           String,
    problems         String,          -- JSON array of {"path", "message"}
    raw              String,          -- the original message bytes
    -- what could be read of the envelope, if anything
    source           Nullable(String),
    event_id         Nullable(String),
    type             Nullable(String),
    subject          Nullable(String),
    origin_topic     LowCardinality(String),
    origin_partition UInt32,
    origin_offset    UInt64,
    dead_lettered_at DateTime64(6, 'UTC'),
    ingested_at      DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree
ORDER BY (raw_sha256, reason);

-- The stream's figures, snapshot by the worker (streams.figures.snapshots) so dbt can reconcile
-- them with the marts (rpt_stream_reconciliation). One row per snapshot x figure x year x
-- dimension x inbound partition: each worker writes one snapshot per partition it holds (its
-- cases' figures), and readers sum, per figure, each partition's latest snapshot (two workers
-- each write only their partitions; a partition moved by a rebalance is counted once).
-- ReplacingMergeTree on the whole key: a snapshot write the sink retries after a failure that had in fact landed
-- collapses onto the same rows (read with FINAL). Snapshots are written only when the figures
-- or the date changed; older than 90 days they are dropped.
CREATE TABLE IF NOT EXISTS {db}.stream_figures
(
    taken_at    DateTime64(6, 'UTC'),
    as_of       Date,             -- the worker's date (UTC): elapsed working days are counted to it
    figure      LowCardinality(String),
    year        UInt16,           -- 0 for a figure of no year (overdue)
    dimension   String,
    value       Int64,
    partition   Int32             -- the inbound partition whose cases these are
)
ENGINE = ReplacingMergeTree
ORDER BY (taken_at, figure, year, dimension, partition)
TTL toDateTime(taken_at) + INTERVAL 90 DAY;

-- The stream's live figures as viewers may see them (streams.figures.public): the national rows of
-- each stream_figures snapshot (per inbound partition), written with it. Grafana's user reads
-- this table and never stream_figures, whose per-authority counts are exact (see streams/figures/public.py).
CREATE TABLE IF NOT EXISTS {db}.pub_stream_figures
(
    taken_at    DateTime64(6, 'UTC'),
    as_of       Date,
    figure      LowCardinality(String),
    year        UInt16,
    dimension   String,
    value       Int64,
    partition   Int32             -- the inbound partition whose cases these are
)
ENGINE = ReplacingMergeTree
ORDER BY (taken_at, figure, year, dimension, partition)
TTL toDateTime(taken_at) + INTERVAL 90 DAY;

-- The worker's heartbeat (streams.heartbeat): every few seconds, how far behind the inbound topics
-- it is and what it has done since it started, for the stream-lag alert (infra/warehouse/alerts.py).
-- A worker that stops writing rows is itself the alert: the rule fires when the newest is old.
CREATE TABLE IF NOT EXISTS {db}.stream_heartbeats
(
    taken_at      DateTime64(6, 'UTC'),
    worker        String,           -- host:pid
    lag_messages  Int64,            -- inbound messages not yet committed (-1: not assigned yet)
    relay_lag     Int64,            -- partners' own topics not yet relayed (-1: unknown)
    in_flight     Int64,            -- sent to the sink, not yet stored
    consumed      UInt64,           -- since the worker started
    watermark     Nullable(DateTime64(6, 'UTC'))
)
ENGINE = MergeTree
ORDER BY (worker, taken_at)
TTL toDateTime(taken_at) + INTERVAL 7 DAY;
