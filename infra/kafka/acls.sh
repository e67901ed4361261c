#!/usr/bin/env bash
# Topics and ACLs of the production cluster. Idempotent: safe to run on every deploy.
#
# Deny by default (allow.everyone.if.no.acl.found=false); these are the only permissions:
#   partners  write cspr.events.inbound, nothing else (not even read it back)
#   worker    the Faust app (id cspr-stream): read inbound, write and read the validated log
#             and the dead-letter topic, and own its internal changelog/repartition topics
# Usage: acls.sh BOOTSTRAP PARTNER_PRINCIPAL...   (principals like User:partner-E06000001)
set -euo pipefail
bootstrap=${1:?usage: acls.sh BOOTSTRAP [User:partner-...]}
shift
bin=${KAFKA_BIN:-/opt/kafka/bin}
admin=${KAFKA_ADMIN_CONFIG:-/tmp/admin.properties}

TOPIC_INBOUND=cspr.events.inbound
TOPIC_EVENTS=cspr.events
TOPIC_DLQ=cspr.events.dlq
APP_ID=cspr-stream

topic() {  # name partitions extra-config...
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --command-config "$admin" \
    --create --if-not-exists --topic "$1" --partitions "$2" --replication-factor 3 \
    --config min.insync.replicas=2 "${@:3}"
}
allow() {
  "$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --command-config "$admin" --add --force "$@"
}

topic "$TOPIC_INBOUND" 12 --config retention.ms=604800000
topic "$TOPIC_EVENTS" 12 --config retention.ms=-1
topic "$TOPIC_DLQ" 3 --config retention.ms=-1

# The worker
allow --allow-principal User:worker --operation Read --operation Describe --topic "$TOPIC_INBOUND"
allow --allow-principal User:worker --operation Read --operation Write --operation Describe --topic "$TOPIC_EVENTS"
allow --allow-principal User:worker --operation Read --operation Write --operation Describe --topic "$TOPIC_DLQ"
allow --allow-principal User:worker --operation All --resource-pattern-type prefixed --topic "$APP_ID"
allow --allow-principal User:worker --operation Read --resource-pattern-type prefixed --group "$APP_ID"
allow --allow-principal User:worker --operation Describe --cluster

# Partners: write to the inbound topic only
for principal in "$@"; do
  allow --allow-principal "$principal" --operation Write --operation Describe --topic "$TOPIC_INBOUND"
done
