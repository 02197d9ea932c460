#!/usr/bin/env bash
# Side-by-side reference: Debian's cfssl signing CSRs over HTTP on 127.0.0.1, driven by wrk with a
# pre-made EC P-256 CSR, for the same duration and connection count as run-issuance.sh. Reports
# certificates/s, latency percentiles, and cfssl's CPU time per certificate and resident memory.
#
#   benchmarks/run-cfssl.sh
#
# Environment: DURATION [30s]  WARMUP [60s]  CONCURRENCY [64] (wrk connections)  THREADS [2]
#              RESULTS [mktemp] (key=value lines appended)  KEEP=1 (keep the scratch directory)
# Installs golang-cfssl and wrk with apt-get when missing.
set -euo pipefail

DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-60s}
CONCURRENCY=${CONCURRENCY:-64}
THREADS=${THREADS:-2}

if ! command -v cfssl > /dev/null || ! command -v cfssljson > /dev/null \
  || ! command -v wrk > /dev/null; then
  echo "installing golang-cfssl and wrk..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-cfssl wrk > /dev/null
fi

WORK=$(mktemp -d /tmp/cfssl-bench.XXXXXX)
RESULTS=${RESULTS:-$WORK/results.txt}
CFSSL_PID=
cleanup() {
  if [[ -n $CFSSL_PID ]] && kill -0 "$CFSSL_PID" 2>/dev/null; then
    kill "$CFSSL_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$CFSSL_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$CFSSL_PID" 2>/dev/null || true
  fi
  if [[ ${KEEP:-0} == 1 ]]; then echo "scratch kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$WORK"

# An EC P-256 CA, a signing profile, and one EC P-256 CSR (the same key type Trustbridge gets).
cat > ca-csr.json <<'JSON'
{"CN": "cfssl bench CA", "key": {"algo": "ecdsa", "size": 256}}
JSON
cfssl gencert -initca ca-csr.json 2>/dev/null | cfssljson -bare ca
cat > config.json <<'JSON'
{"signing": {"default": {"expiry": "1h",
  "usages": ["digital signature", "server auth", "client auth"]}}}
JSON
cat > leaf-csr.json <<'JSON'
{"CN": "bench", "hosts": ["spiffe://bench.example/agent/bench"],
 "key": {"algo": "ecdsa", "size": 256}}
JSON
cfssl genkey leaf-csr.json 2>/dev/null | cfssljson -bare leaf

# A free port: let the kernel pick one for a moment.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
  2>/dev/null || shuf -i 20000-60000 -n 1)
cfssl serve -address 127.0.0.1 -port "$PORT" -ca ca.pem -ca-key ca-key.pem -config config.json \
  > cfssl.log 2>&1 &
CFSSL_PID=$!
URL=http://127.0.0.1:$PORT/api/v1/cfssl/sign
BODY=$(awk 'BEGIN { printf "{\"certificate_request\":\"" } { printf "%s\\n", $0 } END { print "\"}" }' leaf.csr)
printf '%s' "$BODY" > body.json
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null && break
  kill -0 "$CFSSL_PID" 2>/dev/null || { cat cfssl.log; echo "cfssl died" >&2; exit 1; }
  sleep 0.1
done
if ! curl -s -X POST -H 'Content-Type: application/json' --data-binary @body.json "$URL" \
  | grep -q '"success":true'; then
  echo "cfssl does not sign the benchmark CSR:" >&2
  curl -s -X POST --data-binary @body.json "$URL" >&2
  exit 1
fi
echo "cfssl $(cfssl version | head -1 | cut -d' ' -f2) pid $CFSSL_PID on 127.0.0.1:$PORT"

cat > sign.lua <<'LUA'
local f = assert(io.open("body.json", "r"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d errors=%d p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000))
end
LUA

cpu_ns() { # utime + stime of a process, in nanoseconds
  local fields
  read -r -a fields < <(sed 's/.*) //' "/proc/$1/stat")
  echo $(( (fields[11] + fields[12]) * 1000000000 / $(getconf CLK_TCK) ))
}

echo "== cfssl: wrk -t$THREADS -c$CONCURRENCY warmup=$WARMUP duration=$DURATION load_avg=$(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t"$THREADS" -c"$CONCURRENCY" -d"$WARMUP" -s sign.lua "$URL" > warmup.txt
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
CPU0=$(cpu_ns "$CFSSL_PID")
wrk -t"$THREADS" -c"$CONCURRENCY" -d"$DURATION" --timeout 10s -s sign.lua "$URL" | tee wrk.txt
CPU1=$(cpu_ns "$CFSSL_PID")
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
HWM=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$CFSSL_PID/status")
NON2XX=$(awk '/Non-2xx/ { print $NF }' wrk.txt)

read -r REQUESTS DUR_US ERRORS P50 P99 P999 MAX < <(grep WRK_RESULT wrk.txt \
  | sed 's/[a-z0-9_]*=//g; s/WRK_RESULT //')
LINE=$(awk -v r="$REQUESTS" -v d="$DUR_US" -v cpu=$((CPU1 - CPU0)) -v err="$ERRORS" \
  -v non2xx="${NON2XX:-0}" -v p50="$P50" -v p99="$P99" -v p999="$P999" -v max="$MAX" \
  -v hwm="$HWM" -v l0="${LOAD_START// //}" -v l1="${LOAD_END// //}" 'BEGIN {
  ok = r - err - non2xx
  printf "RESULT label=cfssl concurrency=%s certificates_per_s=%.0f ok=%d failed=%d", '"$CONCURRENCY"', ok / (d / 1e6), ok, err + non2xx
  printf " p50_ms=%s p99_ms=%s p999_ms=%s max_ms=%s", p50, p99, p999, max
  printf " server_cpu_ms_per_certificate=%.3f server_vmhwm_mb=%s", cpu / 1e6 / ok, hwm
  printf " load_avg_start=%s load_avg_end=%s\n", l0, l1 }')
echo "$LINE"
echo "$LINE" >> "$RESULTS"
echo "results: $RESULTS"
