#!/bin/bash
# First start of the ClickHouse server: create the raw event store (as the admin user), so the
# ingest user needs no DDL rights. The same DDL the embedded mode applies (raw_store.sql).
set -euo pipefail
db=${CSPR_CLICKHOUSE_DATABASE:-cspr}
sed "s/{db}/${db}/g" /cspr/raw_store.sql | clickhouse client --user "${CLICKHOUSE_USER}" --password "${CLICKHOUSE_PASSWORD}" --multiquery
