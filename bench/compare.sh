#!/usr/bin/env bash
# Throughput of several taskloop variants beside one plain Vert.x echo, in one run: (a) create
# sleep 0, (b) create-and-await, (c) gather of 10, each with the same wrk settings against the
# echo and against every variant. A variant is a jar and its environment, so one run compares
# commits (an older jar) and stores (memory, sqlite, postgres) under the same conditions.
#
#   bash bench/compare.sh                      # HEAD's jar on the memory, sqlite and postgres stores
#   VARIANTS="before=/path/old.jar:TASKLOOP_STORE=memory head=target/taskloop.jar:TASKLOOP_STORE=memory" \
#     SCENARIOS="create_sleep0 create_await gather10" bash bench/compare.sh
#
# A variant is label=jar[:VAR=value[:VAR=value...]]. A variant whose env says TASKLOOP_STORE=postgres
# gets a throwaway PostgreSQL 15 (initdb/pg_ctl as the postgres user, 127.0.0.1 only, stopped at
# the end). Each variant's data_dir is fresh, under the results directory. Also measured: the
# disk's fsync cost (pg_test_fsync, and dd with oflag=dsync), the journal's commit latency and
# batch sizes from /metrics, and (c0) gathers of 10 on the default retention and max_tasks.
# Everything binds and targets 127.0.0.1; every server started is stopped by its PID.
# Knobs: AUTH_KEY (none), WARMUP (40s: a fresh node on ZGC spends its first 25-30 s growing its
# heap into memory it never touched, each page fault taken by the loop that allocates, at 20-23k
# create-and-awaits a second against 51-60k after it), DURATION (15s), THREADS (2), CONNECTIONS (64), LOOPS (nproc),
# BENCH_RETENTION_MS (1000), C0_DURATION (30s, 0 to skip), SCENARIOS (create_await gather10),
# JAVA_OPTS (none; JVM flags for every variant, e.g. -XX:+UseZGC as README starts the node).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "$0")/.."

WARMUP=${WARMUP:-40s}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
LOOPS=${LOOPS:-$(nproc)}
BENCH_RETENTION_MS=${BENCH_RETENTION_MS:-1000}
C0_DURATION=${C0_DURATION:-30s}
SCENARIOS=${SCENARIOS:-create_await gather10}
HEAD_JAR=target/taskloop.jar
VARIANTS=${VARIANTS:-"memory=$HEAD_JAR:TASKLOOP_STORE=memory sqlite=$HEAD_JAR:TASKLOOP_STORE=sqlite postgres=$HEAD_JAR:TASKLOOP_STORE=postgres"}
WRK_OPTS="-t$THREADS -c$CONNECTIONS --timeout 10s"
# AUTH_KEY: sent as Authorization: Bearer to the echo and to every variant alike, so a variant
# with TASKLOOP_AUTH=keys (and a keys file holding the key's hash) is compared with one without.
WRK_AUTH=()
[ -n "${AUTH_KEY:-}" ] && WRK_AUTH=(-H "Authorization: Bearer $AUTH_KEY")
PG_BIN=/usr/lib/postgresql/15/bin

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -f "$HEAD_JAR" ] || mvn -q -B package -DskipTests

OUT=bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
STARTED=()
PG_DIR=""
cleanup() {
  for pid in "${STARTED[@]:-}"; do
    [ -n "$pid" ] && stop "$pid"
  done
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
trap cleanup EXIT
echo "commit $COMMIT; load at start: $(cat /proc/loadavg)" | tee "$OUT/provenance.txt"

PG_URL=""
start_postgres() {
  PG_DIR=$(mktemp -d /tmp/taskloop-bench-pg.XXXXXX)
  chown postgres "$PG_DIR"
  local port
  port=$(free_port)
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=''" start >/dev/null
  PG_URL="postgresql://postgres@127.0.0.1:$port/taskloop"
  echo "postgresql 15 on 127.0.0.1:$port (defaults: fsync on, synchronous_commit on)" | tee -a "$OUT/provenance.txt"
}

# start_variant LABEL JAR ENV...: sets TL_PID TL_PORT TL_CMD
start_variant() {
  local label=$1 jar=$2
  shift 2
  TL_PORT=$(free_port)
  local data="$OUT/data-$label-$RANDOM"
  local envs=("TASKLOOP_HTTP_HOST=127.0.0.1" "TASKLOOP_HTTP_PORT=$TL_PORT" "TASKLOOP_LOOPS=$LOOPS" "TASKLOOP_DATA_DIR=$data" "$@")
  local e
  for e in "$@"; do
    if [ "$e" = TASKLOOP_STORE=postgres ]; then
      [ -n "$PG_URL" ] || start_postgres
      # A fresh database for each run of a variant.
      PG_PORT=$(echo "$PG_URL" | sed 's|.*:\([0-9]*\)/.*|\1|')
      runuser -u postgres -- "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "DROP DATABASE IF EXISTS taskloop" >/dev/null
      runuser -u postgres -- "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE taskloop" >/dev/null
      envs+=("TASKLOOP_POSTGRES_URL=$PG_URL")
    fi
  done
  TL_CMD="env ${envs[*]} java ${JAVA_OPTS:+$JAVA_OPTS }-jar $jar"
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM flags
  env "${envs[@]}" java ${JAVA_OPTS:-} -jar "$jar" > "$OUT/taskloop-$label.log" 2>&1 &
  TL_PID=$!
  STARTED+=("$TL_PID")
  wait_ready "http://127.0.0.1:$TL_PORT/health/ready" "$TL_PID" "$OUT/taskloop-$label.log"
}

result_field() { grep '^RESULT' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

measure() { # label script port [warmup]
  local label=$1 script=$2 port=$3 warmup=${4:-$WARMUP}
  [ "$warmup" != 0 ] && wrk $WRK_OPTS "${WRK_AUTH[@]}" -d"$warmup" -s "bench/$script.lua" "http://127.0.0.1:$port/" > "$OUT/$label.warmup.txt" 2>&1
  local cmd="wrk $WRK_OPTS -d$DURATION -s bench/$script.lua http://127.0.0.1:$port/"
  echo "\$ wrk $WRK_OPTS ${AUTH_KEY:+-H 'Authorization: Bearer \$AUTH_KEY' }-d$DURATION -s bench/$script.lua http://127.0.0.1:$port/" > "$OUT/$label.txt"
  wrk $WRK_OPTS "${WRK_AUTH[@]}" -d"$DURATION" -s "bench/$script.lua" "http://127.0.0.1:$port/" >> "$OUT/$label.txt" 2>&1
  echo "$OUT/$label.txt"
}

# ------------------------------------------------------------------ the disk
{
  echo "## fsync cost of this disk"
  if [ -x "$PG_BIN/pg_test_fsync" ]; then
    "$PG_BIN/pg_test_fsync" -s 2 -f "$PWD/$OUT/fsync.test" 2>&1 | sed -n '/Compare file sync methods using one 8kB write/,/^$/p' || true
  fi
  echo "4 KiB writes with O_DSYNC (dd):"
  dd if=/dev/zero of="$OUT/fsync.dd" bs=4k count=2000 oflag=dsync 2>&1 | tail -1 || true
  rm -f "$OUT/fsync.dd" "$OUT/fsync.test"
} | tee "$OUT/fsync.txt"

# ------------------------------------------------------------------ echo baseline
ECHO_PORT=$(free_port)
java -cp "$HEAD_JAR" bench/EchoServer.java "$ECHO_PORT" "$LOOPS" > "$OUT/echo.log" 2>&1 &
ECHO_PID=$!
STARTED+=("$ECHO_PID")
wait_ready "http://127.0.0.1:$ECHO_PORT/" "$ECHO_PID" "$OUT/echo.log"
declare -A ECHO_RPS
for script in $SCENARIOS; do
  f=$(measure "echo-$script" "$script" "$ECHO_PORT")
  ECHO_RPS[$script]=$(result_field "$f" rps)
done
stop "$ECHO_PID"

# ------------------------------------------------------------------ the variants
ROWS="$OUT/rows.md"
echo "| variant | scenario | 2xx/s | % of echo | p50 / p99 ms | non-2xx (429) | journal: mean commit, mean batch | command |" > "$ROWS"
echo "|---|---|---|---|---|---|---|---|" >> "$ROWS"
for v in $VARIANTS; do
  label=${v%%=*}
  rest=${v#*=}
  IFS=: read -r -a parts <<< "$rest"
  jar=${parts[0]}
  envs=("${parts[@]:1}")
  for script in $SCENARIOS; do
    start_variant "$label-$script" "$jar" "TASKLOOP_RETENTION_MS=$BENCH_RETENTION_MS" "${envs[@]}"
    f=$(measure "$label-$script" "$script" "$TL_PORT")
    curl -s "http://127.0.0.1:$TL_PORT/metrics" > "$OUT/$label-$script.metrics"
    stop "$TL_PID"
    ok=$(result_field "$f" ok_rps)
    pct=$(awk -v a="$ok" -v b="${ECHO_RPS[$script]}" 'BEGIN { printf "%.1f%%", 100 * a / b }')
    journal=$(awk '/^taskloop_journal_commit_seconds_sum /{s=$2} /^taskloop_journal_commit_seconds_count /{c=$2}
      /^taskloop_journal_batch_changes_sum /{bs=$2} /^taskloop_journal_batch_changes_count /{bc=$2}
      END { if (c > 0) printf "%.2f ms, %.0f changes", 1000 * s / c, bs / bc; else print "-" }' "$OUT/$label-$script.metrics")
    printf '| %s | %s | %s | %s | %s / %s | %s (%s) | %s | `%s` then `%s` |\n' "$label" "$script" "$ok" "$pct" \
      "$(result_field "$f" p50_ms)" "$(result_field "$f" p99_ms)" "$(result_field "$f" non2xx)" "$(result_field "$f" s429)" \
      "$journal" "$TL_CMD" "$(sed -n 1p "$f" | cut -c3-)" >> "$ROWS"
  done
done
for script in $SCENARIOS; do
  echo "| echo | $script | ${ECHO_RPS[$script]} | 100% | | | | \`java -cp $HEAD_JAR bench/EchoServer.java PORT $LOOPS\` |" >> "$ROWS"
done

# ------------------------------------------------------------------ (c0) gathers on the defaults
if [ "$C0_DURATION" != 0 ]; then
  start_variant c0 "$HEAD_JAR"
  cmd="wrk $WRK_OPTS -d$C0_DURATION -s bench/gather10.lua http://127.0.0.1:$TL_PORT/"
  echo "\$ $cmd" > "$OUT/c0.txt"
  $cmd >> "$OUT/c0.txt" 2>&1
  curl -s "http://127.0.0.1:$TL_PORT/v1/cluster" > "$OUT/c0.cluster.json"
  stop "$TL_PID"
  printf '| sqlite, default retention (300 s) and max_tasks (1e6), fresh node, no warm-up | gather10 for %s | %s | %s | %s / %s | %s (%s) | | `%s` then `%s` |\n' \
    "$C0_DURATION" "$(result_field "$OUT/c0.txt" ok_rps)" \
    "$(awk -v a="$(result_field "$OUT/c0.txt" ok_rps)" -v b="${ECHO_RPS[gather10]:-0}" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "-" }')" \
    "$(result_field "$OUT/c0.txt" p50_ms)" "$(result_field "$OUT/c0.txt" p99_ms)" "$(result_field "$OUT/c0.txt" non2xx)" \
    "$(result_field "$OUT/c0.txt" s429)" "$TL_CMD" "$cmd" >> "$ROWS"
fi

echo "load at end: $(cat /proc/loadavg)" | tee -a "$OUT/provenance.txt"
cat "$ROWS"
