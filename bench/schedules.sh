#!/usr/bin/env bash
# Schedules: tick lateness and scale. Each scenario of bench/Schedules.java against its own fresh
# node (fresh data_dir, default store sqlite, default settings, JVM started as the README says:
# `java -XX:+UseZGC -jar`):
#
#   cron1k       1,000 schedules "* * * * * *" (all fire at each whole second), 30 ticks measured
#   every1k      1,000 schedules every_ms 1000, start_at 1 ms apart over a second, 30 ticks measured
#   delayed100k  100,000 sleep-0 tasks with start_at spread over 10 s, 30 s after their creates begin
#                (after 20,000 plain creates that warm the JVMs up)
#   held100k     heap per schedule at 100,000 schedules (every_ms 60000), then ~80 s of their ticks
#
#   TASKLOOP_JAR=/work/jars/sched-880c0e8.jar COMMIT=880c0e8 bash bench/schedules.sh [SCENARIO ...]
#
# About 7 minutes for all four. Knobs: TASKLOOP_JAR (target/taskloop.jar), COMMIT (the commit the
# jar was built from, for the record; default HEAD), JAVA_OPTS (the node's JVM options, README's -XX:+UseZGC),
# LEAD_S (60: held100k's first ticks this long after its creates begin), WARMUP_TICKS (30: cron1k's and
# every1k's ticks before the measured 30; a fresh node on ZGC grows its heap for minutes at 1,000
# fires a second, and its loops pay a page fault per first-touched page meanwhile). Binds and targets
# 127.0.0.1 only; every client run is bounded by `timeout`; stops only the nodes it started, by PID.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "$0")/.."
SRC_JAR=${TASKLOOP_JAR:-target/taskloop.jar}
COMMIT=${COMMIT:-$(git rev-parse --short HEAD)}
JAVA_OPTS=${JAVA_OPTS--XX:+UseZGC}
LEAD_S=${LEAD_S:-60}
WARMUP_TICKS=${WARMUP_TICKS:-30}
SCENARIOS=${*:-cron1k every1k delayed100k held100k}
OUT=bench/results/schedules-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
# A copy of the jar, so that a rebuild during the run cannot change the classes under a running JVM.
cp "$SRC_JAR" "$OUT/taskloop.jar"
JAR=$OUT/taskloop.jar
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && stop "$p"; done
}
trap cleanup EXIT

{
  echo "jar: $SRC_JAR (copied to $JAR), sha256 $(sha256sum "$JAR" | cut -c1-12), built from commit $COMMIT (as given)"
  echo "work tree: HEAD $(git rev-parse --short HEAD), $(git status --porcelain -- src/main pom.xml | wc -l) uncommitted change(s) under src/main and pom.xml (not what is measured)"
  echo "java: $(java -version 2>&1 | head -2 | tr '\n' ' ')"
  echo "machine: nproc $(nproc), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
  echo "env: JDK_JAVA_OPTIONS=${JDK_JAVA_OPTIONS:-<unset>} JAVA_TOOL_OPTIONS=${JAVA_TOOL_OPTIONS:-<unset>} JAVA_OPTS (node)=${JAVA_OPTS:-<empty>}"
  echo "start: $(date -u +%Y-%m-%dT%H:%M:%SZ), loadavg $(cat /proc/loadavg)"
} | tee "$OUT/provenance.txt"

# Waits (at most 60 s) until the machine is under 10% busy over one second, so that a scenario
# does not start on top of someone else's build; measures anyway after that, and says so.
quiet_gate() {
  local b0 b1
  for _ in $(seq 1 60); do
    b0=$(busy_jiffies); sleep 1; b1=$(busy_jiffies)
    if [ $((b1 - b0)) -lt $(( $(nproc) * 10 )) ]; then
      return
    fi
  done
  echo "$(date -u +%H:%M:%S) machine still busy after 60 s ($(cat /proc/loadavg)); measuring anyway" | tee -a "$OUT/provenance.txt"
}

RUN=0
for SC in $SCENARIOS; do
  RUN=$((RUN + 1))
  DIR=$OUT/$SC
  [ -e "$DIR" ] && DIR=$OUT/$SC-$RUN # a scenario named twice gets a fresh directory (and data_dir) each time
  mkdir -p "$DIR"
  quiet_gate
  PORT=$(free_port)
  ENVS=("TASKLOOP_HTTP_HOST=127.0.0.1" "TASKLOOP_HTTP_PORT=$PORT" "TASKLOOP_DATA_DIR=$DIR/data")
  # shellcheck disable=SC2086
  env "${ENVS[@]}" java $JAVA_OPTS -jar "$JAR" > "$DIR/taskloop.log" 2>&1 &
  TL=$!
  PIDS+=("$TL")
  for _ in $(seq 1 120); do
    curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$PORT/health/ready" && break
    kill -0 "$TL" 2>/dev/null || { echo "node died at start; log:" >&2; cat "$DIR/taskloop.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "$SC: node pid $TL: env ${ENVS[*]} java $JAVA_OPTS -jar $JAR" | tee -a "$OUT/provenance.txt"
  CMD="java -Dlead.s=$LEAD_S -Dwarmup.ticks=$WARMUP_TICKS -cp $JAR bench/Schedules.java $SC http://127.0.0.1:$PORT $TL $DIR"
  echo "\$ $CMD" > "$DIR/result.txt"
  echo "started $(date -u +%H:%M:%S), loadavg $(cat /proc/loadavg)" >> "$DIR/result.txt"
  rc=0
  timeout 420 $CMD >> "$DIR/result.txt" 2>&1 || rc=$?
  cat "$DIR/result.txt"
  [ "$rc" = 0 ] || echo "$SC: client exited with $rc" | tee -a "$DIR/result.txt"
  curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" > "$DIR/metrics.txt" || true
  curl -s --max-time 10 -o "$DIR/cluster.json" -w "$SC: after the client, GET /v1/cluster answered %{http_code} in %{time_total} s\n" \
    "http://127.0.0.1:$PORT/v1/cluster" || echo "$SC: after the client, GET /v1/cluster: no answer in 10 s"
  stop "$TL"
  grep -E '^[0-9:.]+ +(WARN|ERROR) ' "$DIR/taskloop.log" > "$DIR/warn-error.txt" || true
  echo "$SC: node log: $(grep -c ' WARN ' "$DIR/taskloop.log" || true) WARN, $(grep -c ' ERROR ' "$DIR/taskloop.log" || true) ERROR lines (in $DIR/warn-error.txt)"
  head -5 "$DIR/warn-error.txt" | cut -c1-300
done
echo "end: $(date -u +%Y-%m-%dT%H:%M:%SZ); results in $OUT"
