#!/usr/bin/env bash
# What auth costs a request in the node's own CPU time, not in throughput: on this shared VM the
# throughput of one jar moves by a third within minutes (BENCHMARKS.md, "The cost of auth"), but
# the CPU a process spends per request does not count the time it was not given. For PAIRS pairs,
# alternating which goes first: a fresh node on the memory store without auth ("open") and one
# with TASKLOOP_AUTH=keys ("keys"), each warmed up, then wrk create-and-await for DURATION with
# the same Authorization header; the node's utime+stime from /proc/PID/stat before and after,
# divided by the requests answered 201.
#
#   bash bench/auth-cpu.sh            # PAIRS=6 WARMUP=5s DURATION=15s THREADS=2 CONNECTIONS=64 LOOPS=2
#
# Binds and targets 127.0.0.1 only; every node started is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

PAIRS=${PAIRS:-6}
WARMUP=${WARMUP:-5s}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
LOOPS=${LOOPS:-2}
JAR=${JAR:-target/taskloop.jar}
OUT=bench/results/auth-cpu-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '{"keys": [{"id": "bench", "hash": "sha256:%s", "tenant": "bench", "scopes": ["tasks:read", "tasks:write"]}]}\n' \
  "$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)" > "$OUT/keys.json"
TICK=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure LABEL [ENV...]: one fresh node, warm-up, then the measured run; prints "LABEL requests ticks"
measure() {
  local label=$1
  shift
  local port pid
  port=$(free_port)
  env TASKLOOP_HTTP_HOST=127.0.0.1 TASKLOOP_HTTP_PORT="$port" TASKLOOP_LOOPS="$LOOPS" TASKLOOP_STORE=memory \
    TASKLOOP_RETENTION_MS=1000 "$@" java -jar "$JAR" > "$OUT/$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.25
  done
  local auth=(-H "Authorization: Bearer $KEY")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${auth[@]}" -s bench/create_await.lua "http://127.0.0.1:$port" > /dev/null
  local before after
  before=$(cpu_ticks "$pid")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "${auth[@]}" -s bench/create_await.lua "http://127.0.0.1:$port" \
    > "$OUT/$label.wrk"
  after=$(cpu_ticks "$pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  local expected
  expected=$(grep '^RESULT' "$OUT/$label.wrk" | sed 's/.* expected=\([0-9]*\).*/\1/')
  echo "$label $expected $((after - before))"
}

echo "| pair | open: µs CPU / request (requests) | keys: µs CPU / request (requests) | keys / open |" | tee "$OUT/table.md"
echo "|---|---|---|---|" | tee -a "$OUT/table.md"
for i in $(seq 1 "$PAIRS"); do
  if [ $((i % 2)) = 1 ]; then
    read -r _ on ot < <(measure "open-$i")
    read -r _ kn kt < <(measure "keys-$i" TASKLOOP_AUTH=keys TASKLOOP_AUTH_KEYS_FILE="$OUT/keys.json")
  else
    read -r _ kn kt < <(measure "keys-$i" TASKLOOP_AUTH=keys TASKLOOP_AUTH_KEYS_FILE="$OUT/keys.json")
    read -r _ on ot < <(measure "open-$i")
  fi
  awk -v i="$i" -v on="$on" -v ot="$ot" -v kn="$kn" -v kt="$kt" -v hz="$TICK" 'BEGIN {
    o = ot / hz * 1e6 / on; k = kt / hz * 1e6 / kn;
    printf "| %d | %.1f (%d) | %.1f (%d) | %.3f |\n", i, o, on, k, kn, k / o }' | tee -a "$OUT/table.md"
done
echo "results in $OUT"
