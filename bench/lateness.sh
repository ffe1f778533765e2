#!/usr/bin/env bash
# Issue 14's (d), jars alternating: per round and jar, a fresh node started as README starts it
# (java -XX:+UseZGC -jar, the default store and retention, only host, port and data_dir set),
# 100,000 sleeps created as gathers of 1,000 (bench/Timers.java lateness), and once all fired:
# the node's timer lateness and the CPU time of its SQLite commit thread (utime + stime of
# the busiest thread named taskloop-sqlite, from /proc), which holds the creates and the finishes.
#
#   bash bench/lateness.sh /tmp/before.jar target/taskloop.jar
#
# Knobs: ROUNDS (3), MIN_MS and MAX_MS (20000 and 23000: ~33,000 fires a second; 20000 and
# 50000 for ~3,300), WARM (set: a second storm on the same node is measured instead, past the
# JIT's compiling of the fire path). Binds and targets 127.0.0.1; each node is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ $# -gt 0 ] || { echo "usage: bash bench/lateness.sh JAR..." >&2; exit 2; }
ROUNDS=${ROUNDS:-3}
MIN_MS=${MIN_MS:-20000}
MAX_MS=${MAX_MS:-23000}
OUT=bench/results/lateness-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); jars $*; delays $MIN_MS-$MAX_MS ms; load $(cat /proc/loadavg)" \
  | tee "$OUT/provenance.txt"
NODE=""
trap '[ -n "$NODE" ] && stop "$NODE"' EXIT

writer_cpu_s() { # pid
  local t best=0 j
  for t in /proc/"$1"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = taskloop-sqlite ] || continue
    j=$(awk '{ print $14 + $15 }' "$t/stat")
    [ "$j" -gt "$best" ] && best=$j
  done
  awk -v j="$best" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", j / hz }'
}

for round in $(seq 1 "$ROUNDS"); do
  for jar in "$@"; do
    dir=$(mktemp -d "$OUT/node-XXXX")
    port=$(free_port)
    env TASKLOOP_HTTP_HOST=127.0.0.1 TASKLOOP_HTTP_PORT="$port" TASKLOOP_DATA_DIR="$dir/data" \
      java -XX:+UseZGC -jar "$jar" >"$dir/node.log" 2>&1 &
    NODE=$!
    wait_ready "http://127.0.0.1:$port/health/ready" "$NODE" "$dir/node.log"
    if [ -n "${WARM:-}" ]; then
      timeout 300 java bench/Timers.java lateness "http://127.0.0.1:$port" 100000 1000 "$MIN_MS" "$MAX_MS" >"$dir/first.txt" 2>&1
    fi
    timeout 300 java bench/Timers.java lateness "http://127.0.0.1:$port" 100000 1000 "$MIN_MS" "$MAX_MS" >"$dir/lateness.txt" 2>&1
    echo "round $round $jar: $(grep RESULT "$dir/lateness.txt") writer_cpu_s=$(writer_cpu_s "$NODE")" | tee -a "$OUT/results.txt"
    stop "$NODE"
    NODE=""
  done
done
echo "results in $OUT"
