#!/usr/bin/env bash
# Topics and ACLs of the production cluster. Idempotent: safe to run on every deploy.
#
# Deny by default (allow.everyone.if.no.acl.found=false); these are the only permissions:
#   partners  each writes its own topic cspr.events.inbound.<LA code> (or .panel), nothing else
#             (not even read it back): the topic proves who wrote a message, and the worker's
#             partner relay refuses an event whose source is not that topic's authority
#   gateway   the HTTP gateway: writes the shared cspr.events.inbound (it checks each partner's
#             token against the events' source itself)
#   worker    the Faust app (id cspr-stream): read every partner topic (prefixed) and write the
#             shared inbound topic (the relay), read inbound, write and read the validated log
#             and the dead-letter topic, and own its internal changelog/repartition topics
# Usage: acls.sh BOOTSTRAP [PARTNER_CODE...]   (LA codes like E06000001, or panel)
set -euo pipefail
bootstrap=${1:?usage: acls.sh BOOTSTRAP [PARTNER_CODE...]}
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
allow --allow-principal User:worker --operation Read --operation Write --operation Describe --topic "$TOPIC_INBOUND"
allow --allow-principal User:worker --operation Read --operation Describe --resource-pattern-type prefixed --topic "$TOPIC_INBOUND."
allow --allow-principal User:worker --operation Read --operation Write --operation Describe --topic "$TOPIC_EVENTS"
allow --allow-principal User:worker --operation Read --operation Write --operation Describe --topic "$TOPIC_DLQ"
allow --allow-principal User:worker --operation All --resource-pattern-type prefixed --topic "$APP_ID"
allow --allow-principal User:worker --operation Read --resource-pattern-type prefixed --group "$APP_ID"
allow --allow-principal User:worker --operation Describe --cluster

# The HTTP gateway
allow --allow-principal User:gateway --operation Write --operation Describe --topic "$TOPIC_INBOUND"
allow --allow-principal User:gateway --operation IdempotentWrite --cluster

# Partners: each writes its own topic only (a literal ACL: exactly that topic, no prefix match)
for code in "$@"; do
  [[ $code =~ ^(E[0-9]{8}|panel)$ ]] || { echo "acls.sh: '$code' is not an ONS LA code like E06000001 or 'panel'" >&2; exit 2; }
  principal="User:partner-${code}"
  topic "$TOPIC_INBOUND.$code" 3 --config retention.ms=604800000
  allow --allow-principal "$principal" --operation Write --operation Describe --topic "$TOPIC_INBOUND.$code"
done
