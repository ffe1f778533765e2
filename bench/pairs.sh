#!/usr/bin/env bash
# Two variants measured in interleaved pairs, for figures that one run on this shared VM cannot
# settle (the same jar's throughput moves by a third within minutes). Each pair runs A and B on
# fresh nodes, the order alternating, each warmed up and then measured with wrk for DURATION;
# per run it records requests answered with the scenario's status per second and the node's
# own CPU time (utime + stime from /proc/PID/stat) per such request, which does not count the
# time the VM did not give it. The medians of the per-pair ratios B / A are the result.
#
#   A="before=/tmp/old.jar" B="after=target/taskloop.jar" SCENARIO=create_await bash bench/pairs.sh
#
# A variant is label=jar[:VAR=value...] as in bench/compare.sh; TASKLOOP_STORE=memory,
# TASKLOOP_LOOPS=$LOOPS and TASKLOOP_RETENTION_MS=1000 come first, so a variant may override them.
# Knobs: PAIRS (6), WARMUP (5s), DURATION (15s), THREADS (2), CONNECTIONS (64), LOOPS (2),
# AUTH_KEY (sent as Authorization: Bearer to both), OUT (a fresh directory under bench/results),
# JAVA_OPTS_A / JAVA_OPTS_B (JVM flags of each, e.g. JAVA_OPTS_B=-XX:+UseZGC: a flag's ':' cannot
# go in a variant), TOGETHER (set: each pair runs A and B at the same time, each node loaded by
# its own wrk with half the threads and connections and measured over the same interval, so a
# swing of the VM's speed within a pair hits both alike; the figures are then of a shared machine).
# Binds and targets 127.0.0.1 only; every node started is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

: "${A:?A=label=jar[:VAR=value...] is needed}" "${B:?B=label=jar[:VAR=value...] is needed}"
SCENARIO=${SCENARIO:-create_await}
PAIRS=${PAIRS:-6}
WARMUP=${WARMUP:-5s}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
LOOPS=${LOOPS:-2}
OUT=${OUT:-bench/results/pairs-$SCENARIO-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
TICK=$(getconf CLK_TCK)
WRK_AUTH=()
[ -n "${AUTH_KEY:-}" ] && WRK_AUTH=(-H "Authorization: Bearer $AUTH_KEY")
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); A=$A ${JAVA_OPTS_A:-} B=$B ${JAVA_OPTS_B:-}; $SCENARIO${TOGETHER:+; A and B together}; load $(cat /proc/loadavg)" \
  | tee "$OUT/provenance.txt"

# start VARIANT RUN JVM-FLAGS: one fresh node on a free port, ready; sets PORT, PID and LABEL
start() {
  local rest=${1#*=} flags=()
  LABEL=${1%%=*}
  read -r -a flags <<< "${3:-}"
  local jar=${rest%%:*} envs=()
  [[ "$rest" == *:* ]] && IFS=: read -r -a envs <<< "${rest#*:}"
  PORT=$(free_port)
  env TASKLOOP_HTTP_HOST=127.0.0.1 TASKLOOP_HTTP_PORT="$PORT" TASKLOOP_LOOPS="$LOOPS" TASKLOOP_STORE=memory \
    TASKLOOP_RETENTION_MS=1000 TASKLOOP_DATA_DIR="$OUT/data-$LABEL-$2" "${envs[@]}" \
    java "${flags[@]}" -jar "$jar" > "$OUT/$LABEL-$2.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.25
  done
}

# load PORT DURATION THREADS CONNECTIONS [OUTFILE]: wrk with the scenario's script
load() {
  wrk -t"$3" -c"$4" -d"$2" --latency "${WRK_AUTH[@]}" -s "bench/$SCENARIO.lua" "http://127.0.0.1:$1" > "${5:-/dev/null}"
}

# figures WRKFILE CPU-JIFFIES: "requests/s cpu-µs-per-request p99-ms"
figures() {
  awk -v t="$2" -v hz="$TICK" '/^RESULT/ {
    for (i = 1; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
    printf "%.1f %.2f %s\n", r["expected"] / r["duration_s"], t / hz * 1e6 / r["expected"], r["p99_ms"] }' "$1"
}

# measure VARIANT RUN JVM-FLAGS: one fresh node alone, warm-up, the measured run
measure() {
  start "$@"
  local pid=$PID label=$LABEL before after
  load "$PORT" "$WARMUP" "$THREADS" "$CONNECTIONS"
  before=$(proc_jiffies "$pid")
  load "$PORT" "$DURATION" "$THREADS" "$CONNECTIONS" "$OUT/$label-$2.wrk"
  after=$(proc_jiffies "$pid")
  stop "$pid"
  rm -rf "$OUT/data-$label-$2"
  figures "$OUT/$label-$2.wrk" $((after - before))
}

# together RUN: A and B side by side, each with its own wrk (half the threads and connections),
# warmed up and measured over the same interval, so a swing of the VM's speed hits both alike;
# prints A's figures, then B's, on one line
together() {
  local pa pb la lb porta portb wa wb before_a before_b after_a after_b half_t=$(( (THREADS + 1) / 2 )) half_c=$((CONNECTIONS / 2))
  if [ $(($1 % 2)) = 1 ]; then
    start "$A" "$1" "${JAVA_OPTS_A:-}"; pa=$PID la=$LABEL porta=$PORT
    start "$B" "$1" "${JAVA_OPTS_B:-}"; pb=$PID lb=$LABEL portb=$PORT
  else
    start "$B" "$1" "${JAVA_OPTS_B:-}"; pb=$PID lb=$LABEL portb=$PORT
    start "$A" "$1" "${JAVA_OPTS_A:-}"; pa=$PID la=$LABEL porta=$PORT
  fi
  # (wait names the two loads: the nodes are this shell's children too)
  load "$porta" "$WARMUP" "$half_t" "$half_c" & wa=$!
  load "$portb" "$WARMUP" "$half_t" "$half_c" & wb=$!
  wait "$wa" "$wb"
  before_a=$(proc_jiffies "$pa"); before_b=$(proc_jiffies "$pb")
  load "$porta" "$DURATION" "$half_t" "$half_c" "$OUT/$la-$1.wrk" & wa=$!
  load "$portb" "$DURATION" "$half_t" "$half_c" "$OUT/$lb-$1.wrk" & wb=$!
  wait "$wa" "$wb"
  after_a=$(proc_jiffies "$pa"); after_b=$(proc_jiffies "$pb")
  stop "$pa"; stop "$pb"
  rm -rf "$OUT/data-$la-$1" "$OUT/data-$lb-$1"
  echo "$(figures "$OUT/$la-$1.wrk" $((after_a - before_a))) $(figures "$OUT/$lb-$1.wrk" $((after_b - before_b)))"
}

LA=${A%%=*}
LB=${B%%=*}
echo "| pair | $LA: 2xx/s, µs CPU/request, p99 ms | $LB: 2xx/s, µs CPU/request, p99 ms | throughput $LB/$LA | CPU/request $LB/$LA |" | tee "$OUT/table.md"
echo "|---|---|---|---|---|" | tee -a "$OUT/table.md"
for i in $(seq 1 "$PAIRS"); do
  if [ -n "${TOGETHER:-}" ]; then
    read -r ar ac ap br bc bp < <(together "$i")
  elif [ $((i % 2)) = 1 ]; then
    read -r ar ac ap < <(measure "$A" "$i" "${JAVA_OPTS_A:-}")
    read -r br bc bp < <(measure "$B" "$i" "${JAVA_OPTS_B:-}")
  else
    read -r br bc bp < <(measure "$B" "$i" "${JAVA_OPTS_B:-}")
    read -r ar ac ap < <(measure "$A" "$i" "${JAVA_OPTS_A:-}")
  fi
  awk -v i="$i" -v ar="$ar" -v ac="$ac" -v ap="$ap" -v br="$br" -v bc="$bc" -v bp="$bp" 'BEGIN {
    printf "| %d | %.0f, %.1f, %s | %.0f, %.1f, %s | %.3f | %.3f |\n", i, ar, ac, ap, br, bc, bp, br / ar, bc / ac }' \
    | tee -a "$OUT/table.md"
done
/usr/bin/python3 - "$OUT/table.md" <<'PY' | tee -a "$OUT/table.md"
import statistics, sys
rows = [l.split("|") for l in open(sys.argv[1]) if l.startswith("| ") and l.split("|")[1].strip().isdigit()]
tp = [float(r[4]) for r in rows]
cpu = [float(r[5]) for r in rows]
print(f"| median | | | **{statistics.median(tp):.3f}** | **{statistics.median(cpu):.3f}** |")
PY
echo "results in $OUT"
