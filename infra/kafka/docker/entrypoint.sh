#!/usr/bin/env bash
# Start one Apache Kafka node (broker + KRaft controller) with SASL/SCRAM and ACLs.
#
# SCRAM credentials in KRaft mode are created when the storage is formatted (there is no
# ZooKeeper to hold them first), so this wrapper formats the log directory once, adding the
# admin, worker and gateway users from the environment, then starts the server. Further users
# (partners) are added at run time with infra/kafka/add-partner.sh.
set -euo pipefail

: "${KAFKA_NODE_ID:?set KAFKA_NODE_ID}"
: "${KAFKA_CLUSTER_ID:?set KAFKA_CLUSTER_ID (kafka-storage.sh random-uuid)}"
: "${KAFKA_ADMIN_PASSWORD:?set KAFKA_ADMIN_PASSWORD in .env}"
: "${KAFKA_WORKER_PASSWORD:?set KAFKA_WORKER_PASSWORD in .env}"
: "${KAFKA_GATEWAY_PASSWORD:?set KAFKA_GATEWAY_PASSWORD in .env}"
: "${KAFKA_CONTROLLER_QUORUM_VOTERS:?set KAFKA_CONTROLLER_QUORUM_VOTERS}"
: "${KAFKA_ADVERTISED_HOST:?set KAFKA_ADVERTISED_HOST}"

conf=/tmp/server.properties
cat > "$conf" <<PROPS
process.roles=broker,controller
node.id=${KAFKA_NODE_ID}
controller.quorum.voters=${KAFKA_CONTROLLER_QUORUM_VOTERS}
listeners=SASL_PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=SASL_PLAINTEXT://${KAFKA_ADVERTISED_HOST}:9092
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
# Deny by default: a principal can do only what an ACL allows (infra/kafka/acls.sh).
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:ANONYMOUS
log.dirs=/var/lib/kafka/data
# A three-broker cluster: every partition on all three, a write acknowledged by two, so one
# broker can be lost without losing an acknowledged event (producers use acks=all).
num.partitions=4
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
auto.create.topics.enable=false
unclean.leader.election.enable=false
# The event log is the truth: keep it (cspr.events is created with retention.ms=-1).
log.retention.hours=168
PROPS
# ANONYMOUS is the controller listener's principal (PLAINTEXT, internal network only).

# Client settings for the admin tools (healthcheck, acls.sh) inside this container.
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="%s";\n' \
  "$KAFKA_ADMIN_PASSWORD" > /tmp/admin.properties

if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  /opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$KAFKA_CLUSTER_ID" -c "$conf" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${KAFKA_ADMIN_PASSWORD}]" \
    --add-scram "SCRAM-SHA-512=[name=worker,password=${KAFKA_WORKER_PASSWORD}]" \
    --add-scram "SCRAM-SHA-512=[name=gateway,password=${KAFKA_GATEWAY_PASSWORD}]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$conf"
