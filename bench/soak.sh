#!/usr/bin/env bash
# A 30-minute soak of one node at a fixed rate of create-and-await, on its default retention
# (300 s), to see that the store (SQLite file or PostgreSQL table), the tasks held in memory and
# the heap level off once retention passes and stay flat.
#
#   RATE=20000 STORE=sqlite bash bench/soak.sh       # or STORE=postgres (a throwaway PostgreSQL 15)
#
# Knobs: RATE (per second; choose half the measured (b) capacity), DURATION_S (1800), SAMPLE_S (30),
# LOOPS (nproc), STORE (sqlite | postgres). Binds and targets 127.0.0.1; stops what it started by PID.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "$0")/.."
RATE=${RATE:?set RATE, e.g. half the measured create-and-await rate}
DURATION_S=${DURATION_S:-1800}
SAMPLE_S=${SAMPLE_S:-30}
LOOPS=${LOOPS:-$(nproc)}
STORE=${STORE:-sqlite}
JAR=${TASKLOOP_JAR:-target/taskloop.jar}
PG_BIN=/usr/lib/postgresql/15/bin
OUT=bench/results/soak-$STORE-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
PIDS=()
PG_DIR=""
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && stop "$p"; done
  if [ -n "$PG_DIR" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
trap cleanup EXIT
PORT=$(free_port)
ENVS=("TASKLOOP_HTTP_HOST=127.0.0.1" "TASKLOOP_HTTP_PORT=$PORT" "TASKLOOP_LOOPS=$LOOPS" "TASKLOOP_DATA_DIR=$OUT/data"
  "TASKLOOP_STORE=$STORE")
MEASURE="$OUT/data"
if [ "$STORE" = postgres ]; then
  PG_DIR=$(mktemp -d /tmp/taskloop-soak-pg.XXXXXX)
  chown postgres "$PG_DIR"
  PG_PORT=$(free_port)
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=''" start >/dev/null
  runuser -u postgres -- "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE taskloop"
  ENVS+=("TASKLOOP_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PG_PORT/taskloop")
  MEASURE="jdbc:postgresql://127.0.0.1:$PG_PORT/taskloop?user=postgres"
fi
env "${ENVS[@]}" java -jar "$JAR" > "$OUT/taskloop.log" 2>&1 &
TL=$!
PIDS+=("$TL")
for _ in $(seq 1 240); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/health/ready" && break; sleep 0.25; done
echo "commit $(git rev-parse --short HEAD); node pid $TL: env ${ENVS[*]} java -jar $JAR" | tee "$OUT/provenance.txt"
CMD="java -cp $JAR bench/Soak.java http://127.0.0.1:$PORT $RATE $DURATION_S $SAMPLE_S $TL $MEASURE"
echo "\$ $CMD" | tee "$OUT/soak.txt"
$CMD | tee -a "$OUT/soak.txt"
curl -s "http://127.0.0.1:$PORT/metrics" > "$OUT/metrics.txt"
