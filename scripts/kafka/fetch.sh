#!/usr/bin/env bash
# Fetch Apache Kafka broker jars (no distribution tarball) from Maven Central with the
# machine's Maven, into a cache OUTSIDE the repo, for the integration tests' real broker
# (test/integration/kafka-broker.ts). Nothing fetched here is ever committed.
#
#   scripts/kafka/fetch.sh                # the pinned versions below
#   scripts/kafka/fetch.sh 4.1.2 3.9.1    # any versions
#
# Result: ${TRIPLINE_CACHE:-$HOME/.cache/tripline}/kafka-<version>/libs/*.jar, plus a
# ".complete" marker so re-runs are a no-op. Needs: java (17+), mvn (3.8+), Maven Central.
set -euo pipefail

# Pinned broker versions tripline is tested against (README "Supported Kafka versions").
PINNED=(3.9.2 4.3.1)

CACHE="${TRIPLINE_CACHE:-$HOME/.cache/tripline}"
versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=("${PINNED[@]}")

fetch_one() {
  local v="$1" dir="$CACHE/kafka-$1"
  if [ -f "$dir/.complete" ]; then echo "kafka $v: cached in $dir/libs"; return 0; fi
  mkdir -p "$dir"
  local major="${v%%.*}" logging=""
  # The broker logs through slf4j. 3.x: add the reload4j binding. 4.x moved to log4j2;
  # its api, core and binding are added in a second pass, matched to the log4j-api version
  # the broker itself depends on (a core older than the api fails at startup; 4.0.x
  # without log4j-api on the class path exits at startup without a word).
  if [ "$major" -lt 4 ]; then
    logging='<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>'
  fi
  # A throwaway pom: the broker (kafka_2.13: kafka.Kafka and, in 3.8-4.3, kafka.tools.StorageTool),
  # the server/storage modules and kafka-tools (the helper probes which StorageTool class exists).
  cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.tripline</groupId><artifactId>kafka-broker-$v</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$v</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-server</artifactId><version>$v</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-storage</artifactId><version>$v</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$v</version></dependency>
    $logging
  </dependencies>
</project>
POM
  echo "kafka $v: fetching into $dir/libs ..."
  local t0=$SECONDS
  # Maven's own output goes to mvn.log (shown only when it fails).
  mvn_q() { (cd "$dir" && mvn -B -q -Dstyle.color=never "$@") >>"$dir/mvn.log" 2>&1 || { cat "$dir/mvn.log" >&2; return 1; }; }
  mvn_q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir/libs"
  if [ "$major" -ge 4 ]; then
    local api log4j
    api=$(ls "$dir/libs" | grep -E '^log4j-api-[0-9.]+\.jar$' | head -1 || true)
    log4j="${api#log4j-api-}"; log4j="${log4j%.jar}"
    # 4.0.x does not pull log4j-api in at all: use the log4j2 its distribution ships.
    [ -n "$log4j" ] || log4j=2.24.3
    for a in log4j-api log4j-core log4j-slf4j-impl; do
      [ -f "$dir/libs/$a-$log4j.jar" ] && continue
      mvn_q dependency:copy -Dartifact="org.apache.logging.log4j:$a:$log4j" -DoutputDirectory="$dir/libs"
    done
  fi
  touch "$dir/.complete"
  echo "kafka $v: $(ls "$dir/libs" | wc -l) jars in $((SECONDS - t0)) s"
}

for v in "${versions[@]}"; do fetch_one "$v"; done
