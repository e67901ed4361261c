#!/usr/bin/env bash
# Add a partner system (a local authority, or the Panel) to the production cluster: a SCRAM user
# partner-<code> that may only write its own topic cspr.events.inbound.<code>. The worker's
# partner relay forwards that topic's events whose source is urn:cspr:la:<code> (urn:cspr:panel
# for 'panel') and dead-letters any other as source_not_authorised, once the partner is listed in
# the worker's CSPR_PARTNERS and the worker restarted (it subscribes to the partners' topics at start).
# Usage: add-partner.sh BOOTSTRAP LA_CODE|panel PASSWORD
set -euo pipefail
bootstrap=${1:?usage: add-partner.sh BOOTSTRAP LA_CODE|panel PASSWORD}
code=${2:?LA code, e.g. E06000001, or panel}
password=${3:?password for the partner}
bin=${KAFKA_BIN:-/opt/kafka/bin}
admin=${KAFKA_ADMIN_CONFIG:-/tmp/admin.properties}
[[ $code =~ ^(E[0-9]{8}|panel)$ ]] || { echo "add-partner: '$code' is not an ONS LA code like E06000001 or 'panel'" >&2; exit 2; }

"$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --command-config "$admin" --alter \
  --add-config "SCRAM-SHA-512=[password=${password}]" --entity-type users --entity-name "partner-${code}"
"$(dirname "$0")/acls.sh" "$bootstrap" "$code"
echo "partner-${code} may now write cspr.events.inbound.${code} (and nothing else)"
echo "next: add ${code} to the worker's CSPR_PARTNERS (.env) and restart the worker; until then its topic is not relayed"
