#!/usr/bin/env bash
# SPIFFE bundle endpoint benchmark: Trustbridge's BundleEndpointServer (https_spiffe, GET /) beside
# Debian's nginx serving the same document as a static file with the same TLS settings, both on
# 127.0.0.1 in the same run, driven by wrk over HTTPS:
#   keep-alive:  wrk -t2 -c64 (every connection does one handshake, then only requests)
#   handshake:   the same with 'Connection: close', so every request pays a full TLS handshake
#                (wrk does not resume sessions: it never calls SSL_set_session)
# Prints requests/s, p99 and each server's CPU time per request, and the Trustbridge/nginx ratio
# against the 70 % target. A benchmark, never a test: it fails only if something cannot start.
#
#   benchmarks/run-bundle-endpoint.sh
#
# Environment (defaults in brackets):
#   DURATION [20s]  WARMUP [10s] (per server and mode, not counted)  THREADS [2]  CONNECTIONS [64]
#   NGINX_WORKERS [2]  nginx worker_processes (1 = as many threads as the endpoint's one event loop)
#   ROUNDS [1]       how many times to measure each (server, mode) pair; pairs are interleaved
#   SERVER_JVM_OPTS ["-Xms256m -Xmx512m"]   extra flags for the server JVM
#   JFR=1            record the Trustbridge server with JDK Flight Recorder (implies KEEP=1)
#   KEEP=1           keep the scratch directory (configs, logs, wrk outputs)
# Installs nginx and wrk with apt-get when missing. The system nginx is never touched: this one
# runs from a private prefix and config under the scratch directory.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-1}
NGINX_WORKERS=${NGINX_WORKERS:-2}
SERVER_JVM_OPTS=${SERVER_JVM_OPTS:--Xms256m -Xmx512m}
SERVER_JAR=$ROOT/ca-server/target/trustbridge.jar
[[ ${JFR:-0} == 1 ]] && KEEP=1

if ! command -v nginx > /dev/null || ! command -v wrk > /dev/null; then
  echo "installing nginx and wrk..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk > /dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -f $SERVER_JAR ]]; then
  echo "building the server..."
  (cd "$ROOT" && mvn -B -q install -DskipTests -pl ca-server -am)
fi

WORK=$(mktemp -d /tmp/bundle-bench.XXXXXX)
SERVER_PID=
NGINX_PID=
stop() {
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$NGINX_PID" # SIGTERM to the master stops its workers too
  stop "$SERVER_PID"
  if [[ ${KEEP:-0} == 1 ]]; then echo "scratch kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "java:    $(java -version 2>&1 | head -1)"
echo "nginx:   $("$NGINX" -v 2>&1 | cut -d/ -f2), $(openssl version | cut -d' ' -f1-2);" \
  "wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; the machine may be shared)"

# --- Trustbridge: one trust domain with an https_spiffe bundle endpoint on 127.0.0.1 ----------
cat > "$WORK/bench.yaml" <<YAML
server:
  data_dir: $WORK/data
  grpc:
    listen: 127.0.0.1:0
  metrics:
    listen: 127.0.0.1:0
trust_domains:
  - name: bench.example
    bundle_endpoint:
      listen: 127.0.0.1:0
      profile: https_spiffe
YAML
JFR_OPTS=()
if [[ ${JFR:-0} == 1 ]]; then
  JFR_OPTS=(-XX:StartFlightRecording=filename=$WORK/server.jfr,settings=profile,dumponexit=true)
fi
# shellcheck disable=SC2086 # word splitting of the JVM options is wanted
java $SERVER_JVM_OPTS "${JFR_OPTS[@]}" -jar "$SERVER_JAR" serve --config "$WORK/bench.yaml" \
  > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
TB_PORT=
for _ in $(seq 300); do
  TB_PORT=$(grep -o 'bundle endpoint for bench.example listening on [0-9.]*:[0-9]*' \
    "$WORK/server.log" | head -1 | sed 's/.*://' || true)
  [[ -n $TB_PORT && $TB_PORT != 0 ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "server died" >&2; exit 1; }
  sleep 0.2
done
[[ -n $TB_PORT ]] || { cat "$WORK/server.log"; echo "no bundle endpoint" >&2; exit 1; }
TB_URL=https://127.0.0.1:$TB_PORT/
grep -o 'bundle endpoint TLS engine: [^"]*' "$WORK/server.log" | head -1 || true

# The document nginx will serve: exactly the bytes Trustbridge serves.
mkdir -p "$WORK/nginx/html" "$WORK/nginx/logs"
curl -sk --fail -o "$WORK/nginx/html/bundle.json" "$TB_URL"
echo "document: $(wc -c < "$WORK/nginx/html/bundle.json") bytes from $TB_URL (pid $SERVER_PID)"

# --- nginx: a certificate of the same key type and chain length as Trustbridge's SVID ---------
echo | openssl s_client -connect "127.0.0.1:$TB_PORT" -showcerts 2>/dev/null \
  | awk '/BEGIN CERT/,/END CERT/' > "$WORK/tb-chain.pem"
CHAIN_LEN=$(grep -c 'BEGIN CERT' "$WORK/tb-chain.pem")
KEY_DESC=$(openssl x509 -in "$WORK/tb-chain.pem" -noout -text \
  | grep -E 'Public Key Algorithm|ASN1 OID' | sed 's/.*: //' | paste -sd' ')
echo "Trustbridge presents $CHAIN_LEN certificate(s), leaf key: $KEY_DESC"
case $KEY_DESC in
  *prime256v1*) KEYGEN=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
  *secp384r1*) KEYGEN=(-newkey ec -pkeyopt ec_paramgen_curve:secp384r1) ;;
  *rsaEncryption*) KEYGEN=(-newkey rsa:2048) ;;
  *) echo "unexpected key type ($KEY_DESC); using P-256" >&2
     KEYGEN=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
esac
(
  cd "$WORK/nginx"
  openssl req -x509 "${KEYGEN[@]}" -nodes -keyout ca.key -out ca.pem -days 1 \
    -subj /CN=bench-ca > /dev/null 2>&1
  openssl req "${KEYGEN[@]}" -nodes -keyout server.key -out server.csr \
    -subj /CN=127.0.0.1 > /dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1\n' > ext.cnf
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile ext.cnf -out server.pem > /dev/null 2>&1
  # Send as many certificates as Trustbridge does (leaf, or leaf + CA).
  if [[ $CHAIN_LEN -ge 2 ]]; then cat server.pem ca.pem > chain.pem; else cp server.pem chain.pem; fi
)

# Same protocols and suites as BundleEndpointServer.TLS_PROTOCOLS / CIPHER_SUITES, in OpenSSL names.
NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
  2>/dev/null || shuf -i 20000-60000 -n 1)
NGINX_USER=
[[ $(id -u) == 0 ]] && NGINX_USER="user root root;" # workers must read the scratch dir (0700)
cat > "$WORK/nginx/nginx.conf" <<NGINX
$NGINX_USER
daemon off;
worker_processes $NGINX_WORKERS;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp-body;
  proxy_temp_path $WORK/nginx/tmp-proxy;
  fastcgi_temp_path $WORK/nginx/tmp-fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp-uwsgi;
  scgi_temp_path $WORK/nginx/tmp-scgi;
  keepalive_timeout 60s;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $WORK/nginx/chain.pem;
    ssl_certificate_key $WORK/nginx/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
    ssl_prefer_server_ciphers off; # as Netty on BoringSSL: the client picks (wrk: AES-256-GCM)
    root $WORK/nginx/html;
    location = / {
      default_type application/json;
      add_header Cache-Control no-store;
      try_files /bundle.json =404;
    }
    location / { return 404; }
  }
}
NGINX
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" > "$WORK/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!
NGINX_URL=https://127.0.0.1:$NGINX_PORT/
for _ in $(seq 100); do
  curl -sk -o /dev/null "$NGINX_URL" 2>/dev/null && break
  kill -0 "$NGINX_PID" 2>/dev/null \
    || { cat "$WORK/nginx/logs/"*; echo "nginx died" >&2; exit 1; }
  sleep 0.1
done
cmp -s <(curl -sk "$NGINX_URL") "$WORK/nginx/html/bundle.json" \
  || { echo "nginx does not serve the same document" >&2; exit 1; }
echo "nginx pid $NGINX_PID on $NGINX_URL, same document, $NGINX_WORKERS worker(s)"
for url in "$TB_URL" "$NGINX_URL"; do
  echo "  $url: $(echo | openssl s_client -connect "$(echo "${url#https://}" | tr -d /)" 2>/dev/null \
    | grep -E '^(New|Server Temp Key)' | sed 's/, Cipher is/,/' | paste -sd';' | xargs)"
done

# --- measurements ------------------------------------------------------------------------------
# CPU time (utime+stime, clock ticks) of a process and all its threads, plus its children's
# live processes (nginx's workers).
cpu_ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [[ -r /proc/$p/stat ]] || continue
    total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
  done
  echo "$total"
}
# wrk's latency unit to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
    printf "%.2f", n }'
}
TICKS=$(getconf CLK_TCK)
RESULTS=$WORK/results.txt
: > "$RESULTS"
run_wrk() { # server pid url mode round
  local server=$1 pid=$2 url=$3 mode=$4 round=$5 out=$WORK/wrk-$1-$4-$5.txt
  local hdr=()
  [[ $mode == handshake ]] && hdr=(-H 'Connection: close')
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${hdr[@]}" "$url" > /dev/null 2>&1 || true
  local c0 c1
  c0=$(cpu_ticks "$pid")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${hdr[@]}" "$url" > "$out" 2>&1
  c1=$(cpu_ticks "$pid")
  local rps p50 p99 errors requests cpu_us
  rps=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' "$out")
  requests=$(awk '/requests in/ { print $1 }' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  errors=$(awk '/Socket errors|Non-2xx/ { printf "%s ", $0 }' "$out" | xargs)
  cpu_us=$(awk -v c=$((c1 - c0)) -v t="$TICKS" -v n="$requests" \
    'BEGIN { printf "%.1f", (n > 0 ? c / t * 1e6 / n : 0) }')
  echo "server=$server mode=$mode round=$round rps=$rps p50_ms=$p50 p99_ms=$p99" \
    "cpu_us_per_req=$cpu_us load1=$(cut -d' ' -f1 /proc/loadavg)${errors:+ errors=\"$errors\"}" \
    | tee -a "$RESULTS"
}
echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up each)," \
  "keep-alive and with -H 'Connection: close'; $ROUNDS round(s)"
for round in $(seq "$ROUNDS"); do
  for mode in keepalive handshake; do
    run_wrk nginx "$NGINX_PID" "$NGINX_URL" "$mode" "$round"
    run_wrk trustbridge "$SERVER_PID" "$TB_URL" "$mode" "$round"
  done
done

if [[ ${JFR:-0} == 1 ]]; then
  jcmd "$SERVER_PID" JFR.dump filename="$WORK/server.jfr" > /dev/null
  echo "JFR recording: $WORK/server.jfr"
fi

# --- summary: the median round of each pair (the only round when ROUNDS=1) ---------------------
value() { # server mode key -> median over rounds
  grep "server=$1 mode=$2 " "$RESULTS" | grep -o " $3=[^ ]*" | cut -d= -f2 | sort -g \
    | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
        print (m >= 100) ? sprintf("%d", m) : sprintf("%.2f", m) }'
}
echo
echo "== summary (median of $ROUNDS round(s))"
# cores: CPU seconds per second of the server, i.e. its share of the machine during the run.
printf '%-10s %-12s %10s %8s %8s %12s %6s\n' mode server "req/s" p50_ms p99_ms cpu_us/req cores
for mode in keepalive handshake; do
  for server in nginx trustbridge; do
    rps=$(value $server $mode rps)
    cpu=$(value $server $mode cpu_us_per_req)
    printf '%-10s %-12s %10s %8s %8s %12s %6s\n' "$mode" "$server" "$rps" \
      "$(value $server $mode p50_ms)" "$(value $server $mode p99_ms)" "$cpu" \
      "$(awk -v r="$rps" -v c="$cpu" 'BEGIN { printf "%.2f", r * c / 1e6 }')"
  done
done
echo
echo "targets (Trustbridge >= 70 % of nginx requests/s in the same run):"
for mode in keepalive handshake; do
  ratio=$(awk -v t="$(value trustbridge $mode rps)" -v n="$(value nginx $mode rps)" \
    'BEGIN { printf "%.0f", (n > 0 ? 100 * t / n : 0) }')
  verdict=MISSED
  [[ $ratio -ge 70 ]] && verdict=met
  echo "  $mode: $ratio % of nginx: $verdict"
done
grep -c 'level=WARN\|level=ERROR\|WARNING\|SEVERE' "$WORK/server.log" \
  | xargs echo "Trustbridge server log WARN/ERROR lines:" || true
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
