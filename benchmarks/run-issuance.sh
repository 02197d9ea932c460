#!/usr/bin/env bash
# Trustbridge issuance benchmark: starts a real server on 127.0.0.1, mints one agent SVID with a
# join token, drives SignX509Svid over mTLS at peak (closed loop) and at half the measured peak
# (fixed rate), prints the results and stops the server. A benchmark, never a test: it fails only
# if something cannot start, never on timing.
#
#   benchmarks/run-issuance.sh
#
# Environment (defaults in brackets):
#   DURATION [30s]  WARMUP [60s]  CONCURRENCY [64]  CHANNELS [2]  MICRO [12s]
#   SERVER_JVM_OPTS ["-Xms256m -Xmx512m"]   extra flags for the server JVM, e.g. -XX:+UseParallelGC
#   CLIENT_JVM_OPTS ["-Xmx512m"]
#   SERVER_JAR [ca-server/target/trustbridge.jar]   another build of the server, for A/B runs
#   JFR=1            record the server with JDK Flight Recorder during the peak run
#   RESULTS [mktemp] file the key=value RESULT lines are appended to
#   ASYNC_PROFILER   path of async-profiler's libasyncProfiler.so (from the Maven Central artifact
#                    tools.profiler:async-profiler:4.2:jar:linux-x64): a CPU profile of the server
#                    during the peak run's measured window, as collapsed stacks in the scratch dir
#   PROFILE_EVENT [cpu]  what async-profiler samples: cpu, or alloc (where the heap goes)
#   RATE             run only at this fixed rate (issuances/s), no peak run: for comparing tails
#   KEEP=1           keep the scratch directory (config, data, logs)
#   SCRATCH [/tmp]   where the scratch directory (and so the server's data_dir) goes; /dev/shm puts
#                    the SQLite database on tmpfs, which takes the disk's fsync out of the picture
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-60s}
CONCURRENCY=${CONCURRENCY:-64}
CHANNELS=${CHANNELS:-2}
MICRO=${MICRO:-12s}
SERVER_JVM_OPTS=${SERVER_JVM_OPTS:--Xms256m -Xmx512m}
CLIENT_JVM_OPTS=${CLIENT_JVM_OPTS:--Xmx512m}
SERVER_JAR=${SERVER_JAR:-$ROOT/ca-server/target/trustbridge.jar}
BENCH_JAR=$ROOT/benchmarks/target/trustbridge-benchmarks-0.1.0-SNAPSHOT.jar

if [[ ! -f $SERVER_JAR || ! -f $BENCH_JAR || ! -d $ROOT/benchmarks/target/lib ]]; then
  echo "building server and benchmarks..."
  (cd "$ROOT" && mvn -B -q install -DskipTests -pl benchmarks -am)
fi

WORK=$(mktemp -d "${SCRATCH:-/tmp}/trustbridge-bench.XXXXXX")
RESULTS=${RESULTS:-$WORK/results.txt}
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ ${KEEP:-0} == 1 ]]; then echo "scratch kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat > "$WORK/bench.yaml" <<YAML
server:
  data_dir: $WORK/data
  grpc:
    listen: 127.0.0.1:0
  metrics:
    listen: 127.0.0.1:0
trust_domains:
  - name: bench.example
    svid:
      default_ttl: 1h
      max_ttl: 24h
YAML

JFR_OPTS=()
if [[ ${JFR:-0} == 1 ]]; then
  JFR_OPTS=(-XX:StartFlightRecording=filename=$WORK/server.jfr,settings=profile,dumponexit=true)
fi
# shellcheck disable=SC2086 # word splitting of the JVM options is wanted
java $SERVER_JVM_OPTS "${JFR_OPTS[@]}" -jar "$SERVER_JAR" serve --config "$WORK/bench.yaml" \
  > "$WORK/server.log" 2>&1 &
SERVER_PID=$!

PORT=
for _ in $(seq 300); do
  PORT=$(grep -o 'grpc_port=[0-9]*' "$WORK/server.log" | head -1 | cut -d= -f2 || true)
  [[ -n $PORT ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "server died" >&2; exit 1; }
  sleep 0.2
done
[[ -n $PORT ]] || { cat "$WORK/server.log"; echo "server did not start" >&2; exit 1; }
TARGET=127.0.0.1:$PORT
echo "server pid $SERVER_PID on $TARGET, JVM options: $SERVER_JVM_OPTS"
grep -o 'crypto providers: .*' "$WORK/server.log" | head -1 || true

cli() { java -jar "$SERVER_JAR" "$@"; }
TOKEN=$(cli token create --config "$WORK/bench.yaml" --server "$TARGET" \
  --spiffe-id spiffe://bench.example/agent/bench | tail -1)
cli x509 mint --server "$TARGET" --token "$TOKEN" --bundle "$WORK/data/admin/bundle.pem" \
  --out "$WORK/agent" > /dev/null
echo "agent SVID minted with a join token into $WORK/agent"

load() {
  # shellcheck disable=SC2086
  java $CLIENT_JVM_OPTS -cp "$BENCH_JAR:$ROOT/benchmarks/target/lib/*" \
    dev.trustbridge.benchmarks.IssuanceLoad --target "$TARGET" --admin-dir "$WORK/agent" \
    --server-pid "$SERVER_PID" --concurrency "$CONCURRENCY" --channels "$CHANNELS" \
    --duration "$DURATION" --warmup "$WARMUP" --results "$RESULTS" "$@"
}

profiler() {
  [[ -n ${ASYNC_PROFILER:-} ]] || return 0
  # jcmd splits its arguments at '=', so the agent's options go in as one quoted string.
  jcmd "$SERVER_PID" JVMTI.agent_load "$ASYNC_PROFILER" "\"$1\"" > /dev/null
}
# How the audit group commit batched so far (the first run, its warm-up included): records per fsync.
audit_batches() {
  local port body records commits
  port=$(grep -o 'metrics_port=[0-9]*' "$WORK/server.log" | head -1 | cut -d= -f2 || true)
  [[ -n $port && $port != -1 ]] || return 0
  body=$(curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null || true)
  records=$(awk '$1 == "trustbridge_audit_records_total" { printf "%d", $2 }' <<< "$body")
  commits=$(awk '$1 == "trustbridge_audit_commits_total" { printf "%d", $2 }' <<< "$body")
  [[ -n $records && -n $commits && $commits -gt 0 ]] || return 0
  awk -v r="$records" -v c="$commits" \
    'BEGIN { printf "audit: %d records in %d commits, %.1f per commit\n", r, c, r / c }'
  echo "RESULT label=peak-audit audit_records=$records audit_commits=$commits" >> "$RESULTS"
}
if [[ -n ${RATE:-} ]]; then
  # Latency at one fixed rate only, e.g. to compare two builds' tails. A closed-loop run warms
  # the JIT first: a cold server falls behind a fixed rate and the backlog would be measured.
  load --label warm-up --duration "$WARMUP" --warmup 0s --micro 0s > /dev/null
  load --label "rate-$RATE" --rate "$RATE" --micro 0s
  audit_batches
  exit 0
fi
# The profile covers the measured window only: it starts when the warm-up ends.
if [[ ${PROFILE_EVENT:-cpu} == cpu ]]; then
  PROFILE_START="start,event=cpu,interval=1ms"
else
  PROFILE_START="start,event=$PROFILE_EVENT"
fi
(sleep "${WARMUP%s}" && profiler "$PROFILE_START") &
load --label peak --micro "$MICRO" | tee "$WORK/peak.txt"
profiler "stop,file=$WORK/profile.collapsed,collapsed"
[[ -z ${ASYNC_PROFILER:-} ]] || echo "async-profiler stacks: $WORK/profile.collapsed"
audit_batches
PEAK=$(grep -o 'issuances_per_s=[0-9.]*' "$WORK/peak.txt" | cut -d= -f2)
HALF=$(awk -v p="$PEAK" 'BEGIN { printf "%d", p / 2 }')
if [[ ${HALF:-0} -gt 0 ]]; then
  load --label half-peak --rate "$HALF" --micro 0s
fi

if [[ ${JFR:-0} == 1 ]]; then
  jcmd "$SERVER_PID" JFR.dump filename="$WORK/server.jfr" > /dev/null
  echo "JFR recording: $WORK/server.jfr (set KEEP=1 to keep it)"
fi
grep -c 'level=WARN\|level=ERROR' "$WORK/server.log" | xargs echo "server log WARN/ERROR lines:"
echo "results: $RESULTS"
