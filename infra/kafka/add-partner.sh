#!/usr/bin/env bash
# Add a partner system (a local authority) to the production cluster: a SCRAM user that may
# only write cspr.events.inbound. Usage: add-partner.sh BOOTSTRAP LA_CODE PASSWORD
set -euo pipefail
bootstrap=${1:?usage: add-partner.sh BOOTSTRAP LA_CODE PASSWORD}
code=${2:?LA code, e.g. E06000001}
password=${3:?password for the partner}
bin=${KAFKA_BIN:-/opt/kafka/bin}
admin=${KAFKA_ADMIN_CONFIG:-/tmp/admin.properties}
[[ $code =~ ^E[0-9]{8}$ ]] || { echo "add-partner: '$code' is not an ONS LA code like E06000001" >&2; exit 2; }

"$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --command-config "$admin" --alter \
  --add-config "SCRAM-SHA-512=[password=${password}]" --entity-type users --entity-name "partner-${code}"
"$(dirname "$0")/acls.sh" "$bootstrap" "User:partner-${code}"
echo "partner-${code} may now write cspr.events.inbound (and nothing else)"
