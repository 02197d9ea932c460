#!/usr/bin/env bash
# Runs the Trustbridge issuance benchmark and the cfssl reference back to back on this machine and
# prints one summary with the targets of docs/benchmarks.md. Same environment variables as
# run-issuance.sh and run-cfssl.sh (DURATION, WARMUP, CONCURRENCY, SERVER_JVM_OPTS, SCRATCH, ...).
# Reports only: the exit status says whether the runs worked, never whether a target was met.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RESULTS=$(mktemp /tmp/bench-results.XXXXXX)
export RESULTS
trap 'rm -f "$RESULTS"' EXIT

echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "java:    $(java -version 2>&1 | head -1)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; the machine may be shared)"
echo

"$HERE/run-issuance.sh"
echo
"$HERE/run-cfssl.sh"
echo

value() { grep "label=$1 " "$RESULTS" | grep -o " $2=[^ ]*" | cut -d= -f2; }
PEAK=$(value peak issuances_per_s)
CFSSL=$(value cfssl certificates_per_s)
CPU_MS=$(value peak server_cpu_ms_per_issuance)
BARE_US=$(value peak verify_sign_us)
HALF_P99=$(value half-peak p99_ms)
RSS=$(value peak server_rss_peak_mb)
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }

echo "== summary"
printf '%-12s %10s %9s %9s %9s %12s %8s\n' run "per s" p50_ms p99_ms p999_ms cpu_ms/op rss_mb
for label in peak half-peak; do
  printf '%-12s %10s %9s %9s %9s %12s %8s\n' "trustbridge $label" \
    "$(value $label issuances_per_s)" "$(value $label p50_ms)" "$(value $label p99_ms)" \
    "$(value $label p999_ms)" "$(value $label server_cpu_ms_per_issuance)" \
    "$(value $label server_rss_peak_mb)"
done
printf '%-12s %10s %9s %9s %9s %12s %8s\n' cfssl "$CFSSL" "$(value cfssl p50_ms)" \
  "$(value cfssl p99_ms)" "$(value cfssl p999_ms)" "$(value cfssl server_cpu_ms_per_certificate)" \
  "$(value cfssl server_vmhwm_mb)"
echo "bare verify+sign in-process: $BARE_US us (verify $(value peak verify_us) + sign $(value peak sign_us));" \
  "server CPU over CSR verify + X509SvidBuilder: $(value peak server_cpu_over_verify_build)x"
echo
echo "targets:"
echo "  issuances/s > cfssl in the same run ($PEAK vs $CFSSL): $(verdict "$PEAK > $CFSSL")"
echo "  server CPU/issuance <= 2 x bare verify+sign ($CPU_MS ms vs 2 x $BARE_US us):" \
  "$(verdict "$CPU_MS * 1000 <= 2 * $BARE_US")"
echo "  p99 < 25 ms at half peak ($HALF_P99 ms): $(verdict "$HALF_P99 < 25")"
echo "  RSS < 512 MB at peak ($RSS MB): $(verdict "$RSS < 512")"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
