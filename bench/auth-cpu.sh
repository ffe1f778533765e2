#!/usr/bin/env bash
# What auth costs a request in the node's own CPU time, not only in throughput: bench/pairs.sh
# with a node on the memory store without auth ("open") against one with TASKLOOP_AUTH=keys
# ("keys"), the same Authorization header sent to both, create-and-await.
#
#   bash bench/auth-cpu.sh            # PAIRS=6 WARMUP=5s DURATION=15s THREADS=2 CONNECTIONS=64 LOOPS=2
#
# Binds and targets 127.0.0.1 only; every node started is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=${JAR:-target/taskloop.jar}
export OUT=${OUT:-bench/results/auth-cpu-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
AUTH_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '{"keys": [{"id": "bench", "hash": "sha256:%s", "tenant": "bench", "scopes": ["tasks:read", "tasks:write"]}]}\n' \
  "$(printf '%s' "$AUTH_KEY" | sha256sum | cut -d' ' -f1)" > "$OUT/keys.json"
export AUTH_KEY SCENARIO=create_await
A="open=$JAR" B="keys=$JAR:TASKLOOP_AUTH=keys:TASKLOOP_AUTH_KEYS_FILE=$OUT/keys.json" exec bash bench/pairs.sh
