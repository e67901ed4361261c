#!/usr/bin/env bash
# Fetch Apache Kafka (see pom.xml) from Maven Central into .cache/kafka/libs for the test suite.
# Idempotent: does nothing when the stamp is newer than pom.xml and this script. The Makefile
# calls it; infra.brokers.KafkaBroker reads .cache/kafka/libs (or $CSPR_KAFKA_LIBS).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$root/.cache/kafka"
libs="$cache/libs"
stamp="$cache/.fetched"

if [[ -f "$stamp" && "$stamp" -nt "$here/pom.xml" && "$stamp" -nt "$here/fetch.sh" ]] \
   && compgen -G "$libs/kafka_2.13-*.jar" >/dev/null; then
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch.sh: Maven (mvn) is needed to fetch Kafka's jars: apt-get install maven" >&2; exit 2; }
command -v java >/dev/null || { echo "fetch.sh: Java 17 is needed to run Kafka: apt-get install openjdk-17-jre-headless" >&2; exit 2; }

echo "==> fetching Apache Kafka jars into $libs"
mkdir -p "$cache"
tmp="$(mktemp -d "$cache/libs.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# Into a temporary folder first, then swapped in: an interrupted fetch never leaves half a broker.
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp"
rm -rf "$libs"
mv "$tmp" "$libs"
trap - EXIT
touch "$stamp"
echo "==> $(ls "$libs" | wc -l) jars in $libs"
