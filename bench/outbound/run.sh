#!/usr/bin/env bash
# taskloop outbound benchmarks: throughput of tasks that call out, each beside what bounds it.
#   (h1) http tasks, create-and-await (Prefer: wait=5), against bench/EchoServer.java, one node;
#   (h0) the ceiling: wrk sends the http task's own request straight to the same echo server;
#   (h2) fire-and-forget creates of the same http tasks (201 at once), then the time until every
#        one has finished, on the node of (h1);
#   (s1) create-and-await of `sleep 0` on a fresh node (bench/create_await.lua, the (b) of
#        bench/run.sh), the same wrk settings: what a create-and-await costs with no call out;
#   on one clustered node (cluster mode tcp, one member) with bench/outbound/Consumer.java, a
#   plain clustered Vert.x program in a JVM of its own that replies on bench.echo:
#   (e1) eventbus tasks, create-and-await; (e2) `sleep 0` create-and-await and (e3) http tasks,
#        create-and-await, on the same clustered node, so that (e1) stands beside both.
#
#   bash bench/outbound/run.sh     # about 3.5 minutes on a quiet machine; raw outputs in
#                                  # bench/outbound/results/<UTC time>/ (gitignored)
#
# Everything binds 127.0.0.1 and every load targets 127.0.0.1. wrk runs are bounded by -d, the
# drain of (h2) by DRAIN_MAX; every JVM this script starts is stopped by its PID.
# Before each measured run the script waits (at most QUIET_MAX s) until processes other than its
# own servers have taken under 10% of the machine for QUIET_SECONDS seconds in a row, and it runs
# a measurement again (up to RETRIES times) when other processes took more than 5% of the
# machine during it.
# Knobs (environment): TASKLOOP_JAR (target/taskloop.jar, built if missing), WARMUP (10s),
# DURATION (15s), THREADS (2), CONNECTIONS (64), LOOPS (TASKLOOP_LOOPS or nproc),
# BENCH_RETENTION_MS (1000), JAVA_OPTS (empty: JVM ergonomics), RETRIES (1), QUIET_MAX (600),
# QUIET_SECONDS (3),
# FIRE (1: run (h2)), FIRE_DURATION (5s), DRAIN_MAX (90: seconds), CLUSTER (1: run (e1)-(e3)),
# CONSUMER_MEMBER (lite: the consumer holds no partition of the cluster's maps; data: it does).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

cd "$(dirname "$0")/../.."
SRC_JAR=${TASKLOOP_JAR:-target/taskloop.jar}
WARMUP=${WARMUP:-10s}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
LOOPS=${LOOPS:-${TASKLOOP_LOOPS:-$(nproc)}}
# Finished tasks count against max_tasks for retention_ms (default 300 s): at these rates a
# default node is full within seconds and answers 429 (bench/run.sh, row c0). As there, the
# runs shorten retention to measure the steady state.
BENCH_RETENTION_MS=${BENCH_RETENTION_MS:-1000}
JAVA_OPTS=${JAVA_OPTS:-}
RETRIES=${RETRIES:-1}
QUIET_MAX=${QUIET_MAX:-600}
QUIET_SECONDS=${QUIET_SECONDS:-3}
FIRE=${FIRE:-1}
FIRE_DURATION=${FIRE_DURATION:-5s}
DRAIN_MAX=${DRAIN_MAX:-90}
CLUSTER=${CLUSTER:-1}
CONSUMER_MEMBER=${CONSUMER_MEMBER:-lite}
ADDRESS=bench.echo
WRK_OPTS="-t$THREADS -c$CONNECTIONS --timeout 10s"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get update && apt-get install -y wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }
if [ ! -f "$SRC_JAR" ]; then
  if [ -n "${TASKLOOP_JAR:-}" ]; then
    echo "TASKLOOP_JAR=$TASKLOOP_JAR does not exist" >&2
    exit 1
  fi
  mvn -q -B package -DskipTests
fi

T_START=$(date +%s)
OUT=bench/outbound/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
cp "$SRC_JAR" "$OUT/taskloop.jar"
JAR=$OUT/taskloop.jar
JAR_SHA=$(sha256sum "$JAR" | cut -c1-12)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain -- src/main pom.xml 2>/dev/null | wc -l)
echo "jar: $SRC_JAR built $(date -u -r "$SRC_JAR" +%Y-%m-%dT%H:%M:%SZ), sha256 $JAR_SHA, copied to $JAR; work tree HEAD $COMMIT with $DIRTY uncommitted change(s) under src/main and pom.xml${TASKLOOP_JAR_NOTE:+; $TASKLOOP_JAR_NOTE}" | tee "$OUT/provenance.txt"
# The module flags Hazelcast needs outside `java -jar` (whose manifest carries them): pom.xml's.
HZ_FLAGS=$(sed -n 's:.*<hazelcast.jvm.flags>\(.*\)</hazelcast.jvm.flags>.*:\1:p' pom.xml)
[ -n "$HZ_FLAGS" ] || { echo "hazelcast.jvm.flags not found in pom.xml" >&2; exit 1; }
{ echo "start: $(cat /proc/loadavg)"; ps -eo pid,etime,pcpu,args --sort=-pcpu | head -8 | cut -c1-160; } > "$OUT/load.txt"
ROWS="$OUT/rows.md"
: > "$ROWS"

STARTED=()
cleanup() {
  for pid in "${STARTED[@]:-}"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT

# start_taskloop NAME [VAR=value ...]: a fresh node on a fresh port; sets TL_PID, TL_PORT, TL_CMD.
start_taskloop() {
  local name=$1
  shift
  TL_PORT=$(free_port)
  local envs=(TASKLOOP_HTTP_HOST=127.0.0.1 "TASKLOOP_HTTP_PORT=$TL_PORT" "TASKLOOP_LOOPS=$LOOPS"
    "TASKLOOP_RETENTION_MS=$BENCH_RETENTION_MS" "TASKLOOP_DATA_DIR=$OUT/data-$name" "$@")
  local jvm=$JAVA_OPTS
  if [[ " ${envs[*]} " == *" TASKLOOP_CLUSTER_MODE=tcp "* ]]; then jvm="${JAVA_OPTS:+$JAVA_OPTS }$HZ_FLAGS"; fi
  TL_CMD="env ${envs[*]} java ${jvm:+$jvm }-jar $JAR"
  TL_CMD=${TL_CMD//$HZ_FLAGS/\$HZ_FLAGS}
  # shellcheck disable=SC2086
  env "${envs[@]}" java $jvm -jar "$JAR" > "$OUT/taskloop-$name.log" 2>&1 &
  TL_PID=$!
  STARTED+=("$TL_PID")
  wait_ready "http://127.0.0.1:$TL_PORT/health/ready" "$TL_PID" "$OUT/taskloop-$name.log"
  echo "taskloop ($name) pid $TL_PID on 127.0.0.1:$TL_PORT: $TL_CMD" | tee -a "$OUT/servers.txt"
}

result_field() { # file field
  { grep '^RESULT' "$1" || true; } | head -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
state_field() { # file field: from the STATE line of outbound.lua
  { grep '^STATE' "$1" || true; } | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# ------------------------------------------------------------------ CPU accounting
# The machine's busy jiffies (user, nice, system, irq, softirq: loopback packets are processed in
# softirq, charged to whichever process it interrupted) and those of given processes.

# quiet_gate LABEL PID...: waits (at most QUIET_MAX s) until everything but these processes (this
# script's idle servers) took under 10% of the machine in each of QUIET_SECONDS seconds in a row;
# logs how long it waited and how busy the machine was, in load.txt and in QUIET_NOTE.
quiet_gate() {
  local label=$1 b0 b1 s0 s1 waited=0 pct quiet=0
  shift
  while :; do
    b0=$(busy_jiffies); s0=$(pids_jiffies "$@"); sleep 1; b1=$(busy_jiffies); s1=$(pids_jiffies "$@")
    pct=$(( ((b1 - b0) - (s1 - s0)) * 100 / ($(nproc) * 100) )); [ "$pct" -lt 0 ] && pct=0
    if [ $(( (b1 - b0) - (s1 - s0) )) -lt $(( $(nproc) * 10 )) ]; then
      quiet=$((quiet + 1))
    else
      quiet=0
    fi
    if [ "$quiet" -ge "$QUIET_SECONDS" ]; then
      QUIET_NOTE="quiet gate: waited ${waited} s for ${QUIET_SECONDS} quiet seconds in a row; others took ${pct}% of the machine in the last one"
      break
    fi
    waited=$((waited + 1))
    if [ "$waited" -ge "$QUIET_MAX" ]; then
      QUIET_NOTE="quiet gate: machine still busy after $QUIET_MAX s (others ${pct}%); measured anyway"
      break
    fi
  done
  echo "$(date -u +%H:%M:%S) $label: $QUIET_NOTE; load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt" >&2
}

# cpu_lines B0 B1 T0 T1 CLIENT_TIME_FILE "name=jiffies ...": how the cores were shared.
cpu_lines() {
  awk -v b="$(($2 - $1))" -v t0="$3" -v t1="$4" -v n="$(nproc)" -v w="$(cat "$5")" -v per="$6" 'BEGIN {
    split(w, a, " "); wj = (a[1] + a[2]) * 100; cap = (t1 - t0) * n * 100; own = wj;
    printf "CPU share of the %d cores during the measured run (%.1f s):", n, t1 - t0;
    k = split(per, parts, " ");
    for (i = 1; i <= k; i++) { split(parts[i], kv, "="); own += kv[2]; printf " %s %.0f%%,", kv[1], 100 * kv[2] / cap;
      machine = machine sprintf(" %s_pct=%.1f", kv[1], 100 * kv[2] / cap) }
    o = 100 * (b - own) / cap; if (o < 0 && o > -1) o = 0;  # accounting noise (jiffies, rounding)
    printf " wrk %.0f%%, other processes %.0f%%\n", 100 * wj / cap, o;
    printf "CPU other_pct=%.1f wrk_pct=%.1f%s\n", o, 100 * wj / cap, machine }'
}

# cpu_per_task FILE: "taskloop 41 µs, echo 12 µs" of CPU per 2xx answer, from the CPU line.
cpu_per_task() {
  local ok
  ok=$(result_field "$1" ok_rps)
  sed -n 's/^CPU other_pct=[0-9.-]* wrk_pct=[0-9.]*//p' "$1" | tr ' ' '\n' | sed -n 's/_pct=/ /p' |
    awk -v ok="$ok" -v n="$(nproc)" '{ printf "%s%s %.1f µs", sep, $1, $2 / 100 * n * 1e6 / ok; sep = ", " }'
}

# bench_wrk LABEL SCRIPT URL "name=pid ..." [WARMUP]: quiet gate, warm-up, then the measured run,
# repeated (up to RETRIES times, after another quiet gate) while other processes took more than
# 5% of the machine; keeps the least disturbed try as LABEL.txt and prints its path.
bench_wrk() {
  local label=$1 script=$2 url=$3 procs=$4 warmup=${5:-$WARMUP}
  local pids=() p
  for p in $procs; do pids+=("${p#*=}"); done
  quiet_gate "$label" "${pids[@]}"
  local gate=$QUIET_NOTE
  if [ "$warmup" != 0 ]; then
    wrk $WRK_OPTS -d"$warmup" -s "bench/outbound/$script" "$url" > "$OUT/$label.warmup.txt" 2>&1
  fi
  local envp=""
  case $script in http_*) envp="env OUTBOUND_TARGET=$OUTBOUND_TARGET " ;; esac
  local cmd="${envp}wrk $WRK_OPTS -d$DURATION -s bench/outbound/$script $url"
  local try best="" best_other=1000 other b0 b1 t0 t1 f per s
  local -A j0=()
  for try in $(seq 1 $((1 + RETRIES))); do
    f="$OUT/$label.try$try.txt"
    echo "\$ $cmd" > "$f"
    echo "$gate" >> "$f"
    for p in $procs; do j0[${p%%=*}]=$(proc_jiffies "${p#*=}"); done
    metrics_snapshot "$OUT/$label.try$try.metrics-before" "$procs"
    b0=$(busy_jiffies); t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$OUT/$label.try$try.wrktime" $cmd >> "$f" 2>&1
    b1=$(busy_jiffies); t1=$(date +%s.%N)
    per=""
    for p in $procs; do per="$per ${p%%=*}=$(( $(proc_jiffies "${p#*=}") - j0[${p%%=*}] ))"; done
    cpu_lines "$b0" "$b1" "$t0" "$t1" "$OUT/$label.try$try.wrktime" "$per" >> "$f"
    metrics_snapshot "$OUT/$label.try$try.metrics-after" "$procs"
    other=$(sed -n 's/^CPU other_pct=\([0-9.-]*\).*/\1/p' "$f")
    if awk -v o="$other" -v b="$best_other" 'BEGIN { exit !(o < b) }'; then
      best=$try
      best_other=$other
    fi
    if awk -v o="$other" 'BEGIN { exit !(o <= 5) }'; then
      break
    fi
    if [ "$try" -le "$RETRIES" ]; then
      echo "$(date -u +%H:%M:%S) $label try $try: other processes took $other% of the machine; measuring again" | tee -a "$OUT/load.txt" >&2
      quiet_gate "$label retry" "${pids[@]}"
      gate="$QUIET_NOTE (before try $((try + 1)))"
    else
      echo "$(date -u +%H:%M:%S) $label: every try was disturbed; keeping the least disturbed ($best_other%)" | tee -a "$OUT/load.txt" >&2
    fi
  done
  cp "$OUT/$label.try$best.txt" "$OUT/$label.txt"
  for s in before after; do
    if [ -f "$OUT/$label.try$best.metrics-$s" ]; then cp "$OUT/$label.try$best.metrics-$s" "$OUT/$label.metrics-$s"; fi
  done
  echo "$OUT/$label.txt"
}

# metrics_snapshot FILE "name=pid ...": taskloop's finished-task counters (GET /metrics), when a
# taskloop node is among the processes (its port is in TL_PORT).
metrics_snapshot() {
  if [[ " $2" == *" taskloop="* ]]; then
    curl -s -m 5 "http://127.0.0.1:$TL_PORT/metrics" | grep '^taskloop_tasks_finished_total' > "$1" || true
  fi
}

# finished_delta LABEL TYPE: "succeeded=N failed=N timed_out=N cancelled=N" finished during the measured run.
finished_delta() {
  awk -v type="$2" '
    FNR == 1 { f++ }
    index($0, "type=\"" type "\"") {
      match($0, /state="[a-z_]*"/); s = substr($0, RSTART + 7, RLENGTH - 8);
      v = $NF + 0; if (f == 1) before[s] = v; else after[s] = v; seen[s] = 1 }
    END { out = ""; for (s in seen) out = out sprintf("%s=%d ", s, after[s] - before[s]); print out }' \
    "$OUT/$1.metrics-before" "$OUT/$1.metrics-after" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/^ *//; s/ *$//'
}

# samples LABEL URL BODY: three create-and-awaits by curl after the run, kept whole; prints "k/3 succeeded".
samples() {
  local label=$1 url=$2 body=$3 ok=0 i
  : > "$OUT/$label.samples.txt"
  for i in 1 2 3; do
    curl -s -m 10 -i -X POST -H 'Content-Type: application/json' -H 'Prefer: wait=5' -d "$body" "$url/v1/tasks" \
      >> "$OUT/$label.samples.txt" || true
    echo >> "$OUT/$label.samples.txt"
  done
  ok=$(grep -c '"state":"succeeded"' "$OUT/$label.samples.txt" || true)
  echo "$ok/3 succeeded"
}

# row LABEL TITLE TYPE SAMPLES: one table row from LABEL.txt.
row() {
  local label=$1 title=$2 type=$3 sampled=$4 f="$OUT/$1.txt"
  local rps ok_rps non2xx s429 sockerr p50 p99 succ notsucc cpu other delta=""
  rps=$(result_field "$f" rps); ok_rps=$(result_field "$f" ok_rps); non2xx=$(result_field "$f" non2xx)
  s429=$(result_field "$f" s429); sockerr=$(result_field "$f" sockerr)
  p50=$(result_field "$f" p50_ms); p99=$(result_field "$f" p99_ms)
  succ=$(state_field "$f" succeeded); notsucc=$(state_field "$f" other)
  cpu=$(sed -n 's/^CPU share of the [0-9]* cores during the measured run ([0-9.]* s): //p' "$f")
  other=$(sed -n 's/^CPU other_pct=\([0-9.-]*\).*/\1/p' "$f")
  if [ -n "$type" ] && [ -f "$OUT/$label.metrics-after" ]; then delta="$type tasks finished during the run: $(finished_delta "$label" "$type")"; fi
  printf '| %s | **%s/s** (%s answers/s) | %s / %s ms | %s (429: %s), socket errors %s | %s | %s | %s; CPU per answer: %s | %s | `%s` |\n' \
    "$title" "$ok_rps" "$rps" "$p50" "$p99" "$non2xx" "$s429" "$sockerr" \
    "${succ:+succeeded: $succ, not: $notsucc}" "${delta#; }${sampled:+; curl samples: $sampled}" "$cpu" "$(cpu_per_task "$f")" \
    "$({ grep '^quiet gate' "$f" || true; } | head -1)" "$(sed -n 1p "$f" | cut -c3-)" >> "$ROWS"
}

# ------------------------------------------------------------------ echo server (the http tasks' target)
ECHO_PORT=$(free_port)
ECHO_URL=http://127.0.0.1:$ECHO_PORT/
ECHO_CMD="java ${JAVA_OPTS:+$JAVA_OPTS }-cp $JAR bench/EchoServer.java $ECHO_PORT $LOOPS"
# shellcheck disable=SC2086
java $JAVA_OPTS -cp "$JAR" bench/EchoServer.java "$ECHO_PORT" "$LOOPS" > "$OUT/echo.log" 2>&1 &
ECHO_PID=$!
STARTED+=("$ECHO_PID")
wait_ready "$ECHO_URL" "$ECHO_PID" "$OUT/echo.log"
echo "echo pid $ECHO_PID on 127.0.0.1:$ECHO_PORT: $ECHO_CMD" | tee -a "$OUT/servers.txt"
export OUTBOUND_TARGET=$ECHO_URL OUTBOUND_ADDRESS=$ADDRESS
HTTP_BODY="{\"type\":\"http\",\"request\":{\"method\":\"POST\",\"url\":\"$ECHO_URL\",\"body\":{\"n\":1}}}"
SLEEP_BODY='{"type":"sleep","delay_ms":0}'
EB_BODY="{\"type\":\"eventbus\",\"address\":\"$ADDRESS\",\"body\":{\"n\":1}}"

# ------------------------------------------------------------------ (h1) http tasks, create-and-await
start_taskloop http
H_PID=$TL_PID H_PORT=$TL_PORT
f=$(bench_wrk h1-http-await http_await.lua "http://127.0.0.1:$H_PORT/" "taskloop=$H_PID echo=$ECHO_PID")
grep -h '^RESULT\|^STATE' "$f"
row h1-http-await "(h1) http tasks, create-and-await, one node" http "$(samples h1-http-await "http://127.0.0.1:$H_PORT" "$HTTP_BODY")"

# ------------------------------------------------------------------ (h2) fire-and-forget http creates
if [ "$FIRE" = 1 ]; then
  quiet_gate h2-http-create "$H_PID" "$ECHO_PID"
  F="$OUT/h2-http-create.txt"
  cmd="env OUTBOUND_TARGET=$OUTBOUND_TARGET wrk $WRK_OPTS -d$FIRE_DURATION -s bench/outbound/http_create.lua http://127.0.0.1:$H_PORT/"
  { echo "\$ $cmd"; echo "$QUIET_NOTE"; } > "$F"
  metrics_snapshot "$OUT/h2-http-create.metrics-before" "taskloop=$H_PID"
  j0t=$(proc_jiffies "$H_PID"); j0e=$(proc_jiffies "$ECHO_PID"); b0=$(busy_jiffies); t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$OUT/h2.wrktime" $cmd >> "$F" 2>&1
  t_created=$(date +%s.%N)
  # Drain: poll the node until no task is unfinished (bounded by DRAIN_MAX s).
  peak=0 unfinished=-1
  for _ in $(seq 1 $((DRAIN_MAX * 4))); do
    view=$(curl -s -m 5 "http://127.0.0.1:$H_PORT/v1/cluster" || true)
    if [[ "$view" != *'"unfinished":'* ]]; then sleep 0.25; continue; fi
    unfinished=$(echo "$view" | grep -o '"unfinished":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
    if [ "$unfinished" -gt "$peak" ]; then peak=$unfinished; fi
    echo "$(date +%s.%N) unfinished=$unfinished" >> "$OUT/h2-http-create.drain.txt"
    [ "$unfinished" = 0 ] && break
    sleep 0.25
  done
  t_drained=$(date +%s.%N); b1=$(busy_jiffies)
  per="taskloop=$(( $(proc_jiffies "$H_PID") - j0t )) echo=$(( $(proc_jiffies "$ECHO_PID") - j0e ))"
  cpu_lines "$b0" "$b1" "$t0" "$t_drained" "$OUT/h2.wrktime" "$per" | sed 's/during the measured run/from the first create until all finished/' >> "$F"
  metrics_snapshot "$OUT/h2-http-create.metrics-after" "taskloop=$H_PID"
  H2_DELTA=$(finished_delta h2-http-create http)
  H2_OK=$(echo "$H2_DELTA" | tr ' ' '\n' | sed -n 's/^succeeded=//p')
  {
    echo "created in $(awk -v a="$t0" -v b="$t_created" 'BEGIN { printf "%.2f", b - a }') s (wrk), all finished $(awk -v a="$t0" -v b="$t_drained" 'BEGIN { printf "%.2f", b - a }') s after the first create; unfinished at the end: $unfinished (peak seen $peak)"
    echo "http tasks finished from the first create until the drain: $H2_DELTA"
    echo "DRAIN total_s=$(awk -v a="$t0" -v b="$t_drained" 'BEGIN { printf "%.2f", b - a }') unfinished_end=$unfinished peak=$peak completed_per_s=$(awk -v n="${H2_OK:-0}" -v a="$t0" -v b="$t_drained" 'BEGIN { printf "%.0f", n / (b - a) }')"
  } >> "$F"
  grep -h '^RESULT\|^DRAIN\|^http tasks\|^created' "$F"
  printf '| %s | **%s creates/s** (201; %s answers/s) | %s / %s ms | %s (429: %s), socket errors %s | %s | %s | %s | %s | `%s` |\n' \
    "(h2) http tasks, fire-and-forget creates for $FIRE_DURATION, then the drain" "$(result_field "$F" ok_rps)" "$(result_field "$F" rps)" \
    "$(result_field "$F" p50_ms)" "$(result_field "$F" p99_ms)" "$(result_field "$F" non2xx)" "$(result_field "$F" s429)" "$(result_field "$F" sockerr)" \
    "$(sed -n 's/^created in/created in/p' "$F")" "finished: $H2_DELTA; **$(sed -n 's/.*completed_per_s=//p' "$F") completions/s** from the first create to the last completion" \
    "$(sed -n 's/^CPU share of the [0-9]* cores from the first create until all finished ([0-9.]* s): //p' "$F")" \
    "$({ grep '^quiet gate' "$F" || true; } | head -1)" "$cmd" >> "$ROWS"
fi
stop "$H_PID"

# ------------------------------------------------------------------ (h0) the ceiling: wrk straight to the echo
f=$(bench_wrk h0-echo-direct echo_direct.lua "$ECHO_URL" "echo=$ECHO_PID")
grep -h '^RESULT' "$f"
row h0-echo-direct "(h0) ceiling: the same request straight to the echo server" "" ""

# ------------------------------------------------------------------ (s1) sleep 0, create-and-await, one node
start_taskloop sleep0
S_PID=$TL_PID
f=$(bench_wrk s1-sleep0-await sleep0_await.lua "http://127.0.0.1:$TL_PORT/" "taskloop=$S_PID")
grep -h '^RESULT\|^STATE' "$f"
row s1-sleep0-await "(s1) sleep 0, create-and-await, one node" sleep "$(samples s1-sleep0-await "http://127.0.0.1:$TL_PORT" "$SLEEP_BODY")"
stop "$S_PID"

# ------------------------------------------------------------------ (e1)-(e3) one clustered node + the consumer
if [ "$CLUSTER" = 1 ]; then
  CLUSTER_NAME=outbound-$$-$RANDOM
  NODE_HZ=$(free_port)
  CONSUMER_HZ=$(free_port)
  start_taskloop clustered TASKLOOP_CLUSTER_MODE=tcp "TASKLOOP_CLUSTER_MEMBERS=127.0.0.1:$NODE_HZ" \
    "TASKLOOP_CLUSTER_PORT=$NODE_HZ" TASKLOOP_CLUSTER_HOST=127.0.0.1 "TASKLOOP_CLUSTER_NAME=$CLUSTER_NAME"
  C_PID=$TL_PID C_PORT=$TL_PORT
  CONSUMER_CMD="java ${JAVA_OPTS:+$JAVA_OPTS }\$HZ_FLAGS -cp $JAR bench/outbound/Consumer.java $CLUSTER_NAME $CONSUMER_HZ 127.0.0.1:$NODE_HZ $ADDRESS $CONSUMER_MEMBER"
  # shellcheck disable=SC2086
  java $JAVA_OPTS $HZ_FLAGS -cp "$JAR" bench/outbound/Consumer.java "$CLUSTER_NAME" "$CONSUMER_HZ" "127.0.0.1:$NODE_HZ" \
    "$ADDRESS" "$CONSUMER_MEMBER" > "$OUT/consumer.log" 2>&1 &
  CONSUMER_PID=$!
  STARTED+=("$CONSUMER_PID")
  for _ in $(seq 1 360); do
    grep -q '^consumer ready' "$OUT/consumer.log" && break
    kill -0 "$CONSUMER_PID" 2>/dev/null || { echo "consumer died:" >&2; tail -40 "$OUT/consumer.log" >&2; exit 1; }
    sleep 0.25
  done
  grep -q '^consumer ready' "$OUT/consumer.log" || { echo "consumer not ready after 90 s" >&2; exit 1; }
  echo "consumer pid $CONSUMER_PID, hazelcast 127.0.0.1:$CONSUMER_HZ: $CONSUMER_CMD" | tee -a "$OUT/servers.txt"
  # The node learns of the new subscription asynchronously: first contact until an eventbus task succeeds (30 s bound).
  for i in $(seq 1 60); do
    if curl -s -m 10 -X POST -H 'Content-Type: application/json' -H 'Prefer: wait=5' -d "$EB_BODY" \
        "http://127.0.0.1:$C_PORT/v1/tasks" | grep -q '"state":"succeeded"'; then
      echo "first eventbus task succeeded after $i tries; $(( $(date +%s) - T_START )) s since the start"
      break
    fi
    [ "$i" = 60 ] && { echo "no eventbus task succeeded within 30 s" >&2; exit 1; }
    sleep 0.5
  done

  f=$(bench_wrk e1-eventbus-await eventbus_await.lua "http://127.0.0.1:$C_PORT/" "taskloop=$C_PID consumer=$CONSUMER_PID")
  grep -h '^RESULT\|^STATE' "$f"
  row e1-eventbus-await "(e1) eventbus tasks, create-and-await, clustered node + consumer JVM" eventbus \
    "$(samples e1-eventbus-await "http://127.0.0.1:$C_PORT" "$EB_BODY")"
  f=$(bench_wrk e2-sleep0-await sleep0_await.lua "http://127.0.0.1:$C_PORT/" "taskloop=$C_PID consumer=$CONSUMER_PID")
  grep -h '^RESULT\|^STATE' "$f"
  row e2-sleep0-await "(e2) sleep 0, create-and-await, the same clustered node" sleep \
    "$(samples e2-sleep0-await "http://127.0.0.1:$C_PORT" "$SLEEP_BODY")"
  f=$(bench_wrk e3-http-await http_await.lua "http://127.0.0.1:$C_PORT/" "taskloop=$C_PID echo=$ECHO_PID consumer=$CONSUMER_PID")
  grep -h '^RESULT\|^STATE' "$f"
  row e3-http-await "(e3) http tasks, create-and-await, the same clustered node" http \
    "$(samples e3-http-await "http://127.0.0.1:$C_PORT" "$HTTP_BODY")"
  curl -s "http://127.0.0.1:$C_PORT/v1/cluster" > "$OUT/clustered.cluster.json"
  stop "$CONSUMER_PID"
  stop "$C_PID"
fi
stop "$ECHO_PID"

{ echo "end: $(cat /proc/loadavg)"; ps -eo pid,etime,pcpu,args --sort=-pcpu | head -8 | cut -c1-160; } >> "$OUT/load.txt"

# ------------------------------------------------------------------ the table
ratio() { # label_a label_b
  local a b
  a=$(result_field "$OUT/$1.txt" ok_rps 2>/dev/null || true); b=$(result_field "$OUT/$2.txt" ok_rps 2>/dev/null || true)
  if [ -n "$a" ] && [ -n "$b" ]; then awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f%%", 100 * a / b }'; else echo "n/a"; fi
}
{
  echo "## taskloop outbound benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(( $(date +%s) - T_START )) s)"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(java -version 2>&1 | head -1)."
  echo "wrk $WRK_OPTS, ${WARMUP} warm-up then ${DURATION} measured; all on 127.0.0.1, load generator and servers on the same cores."
  echo "taskloop: $LOOPS loops, TASKLOOP_RETENTION_MS=$BENCH_RETENTION_MS; echo: $LOOPS verticle instances; consumer: $CONSUMER_MEMBER Hazelcast member; JVM options: '${JAVA_OPTS:-none (ergonomics)}'."
  cat "$OUT/provenance.txt"
  echo
  echo "| scenario | rate (2xx) | latency p50 / p99 | non-2xx | task states in the answers | node's counters, samples | CPU share | quiet gate | command |"
  echo "|---|---|---|---|---|---|---|---|---|"
  cat "$ROWS"
  echo
  echo "Ratios (2xx per second):"
  echo "- (h1) http tasks / (h0) the echo hit directly: $(ratio h1-http-await h0-echo-direct)"
  echo "- (h1) http tasks / (s1) sleep 0 create-and-await, one node: $(ratio h1-http-await s1-sleep0-await)"
  if [ "$CLUSTER" = 1 ]; then
    echo "- (e1) eventbus tasks / (e2) sleep 0, same clustered node: $(ratio e1-eventbus-await e2-sleep0-await)"
    echo "- (e1) eventbus tasks / (e3) http tasks, same clustered node: $(ratio e1-eventbus-await e3-http-await)"
    echo "- (e3) http tasks, clustered / (h1) http tasks, one node: $(ratio e3-http-await h1-http-await)"
    echo "- (e2) sleep 0, clustered / (s1) sleep 0, one node: $(ratio e2-sleep0-await s1-sleep0-await)"
  fi
  echo
  echo "Servers:"
  sed 's/^/- /' "$OUT/servers.txt"
  echo
  echo "Raw outputs: $OUT/"
} | tee "$OUT/table.md"
