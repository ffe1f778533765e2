#!/usr/bin/env bash
# taskloop cluster benchmarks: three nodes as separate JVMs on this machine (127.0.0.1 only).
#   (1) latency p50/p99 of GET /v1/tasks/{id}, POST /v1/tasks/{id}/complete and PUT /v1/events/{name},
#       sent to the owning loop, to another loop of the owning node, and to another node
#       (bench/cluster/ClusterBench.java latency);
#   (2) throughput of create-and-await through a node that does not own the awaited task
#       (wait_for of a finished task on another node) beside the same with the task on the
#       receiving node, and of cross-node GET beside same-node GET (wrk);
#   (3) time from SIGKILL of a node holding 10,000 unfinished tasks until every one of them is
#       readable through the survivors, on a fresh 3-node cluster (ClusterBench.java adopt);
#       with EXTRAS=1 also SIGSTOP (a node that hangs with its sockets open) on a 4th node holding
#       2,000 tasks;
#   (4) heap held on each node, after full GCs, once (2) left its tasks;
#   with EXTRAS=1, (2)'s create-and-await and (1)'s tool also against one node that is not clustered.
#
#   bash bench/cluster/run.sh      # about 5 minutes; raw outputs in bench/results/cluster-<UTC time>/
#
# Every server binds 127.0.0.1 and every load targets 127.0.0.1. wrk runs are bounded by -d, the
# Java tool by its counts and bounds; every JVM this script starts is stopped by its PID (SIGKILL:
# a graceful leave would hand tasks over for up to 20 s and measure nothing).
# Knobs (environment): TASKLOOP_JAR (target/taskloop.jar, built if missing), LOOPS (2), HEAP (1g),
# JAVA_OPTS (-XX:+UseZGC, as README starts a node; empty for the JVM's default collector, G1),
# N (2000 timed requests per op and target), WARMUP_N (1000), LAT_WARMUP_S (20: the GETs are timed after at least
# this many seconds of the same GETs, so that they measure warm JVMs), EVENT_N (1000), WARMUP (6s),
# DURATION (10s), THREADS (2), CONNECTIONS (64), ADOPT_TASKS (10000), ADOPT_STOP_TASKS (2000),
# SETTLE_MS (1000), RETRIES (1: a wrk run in which other processes took > 10% is run again),
# RETENTION_MS (empty: the node's default, 300000), QUIET_MAX (20: seconds to wait for other
# processes to calm down before each measured run), EXTRAS (1: also a single non-clustered node
# under the same create-and-await load and the same latency tool, and the SIGSTOP adoption on a 4th node).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

cd "$(dirname "$0")/../.."
SRC_JAR=${TASKLOOP_JAR:-target/taskloop.jar}
LOOPS=${LOOPS:-2}
HEAP=${HEAP:-1g}
JAVA_OPTS=${JAVA_OPTS--XX:+UseZGC}
N=${N:-2000}
WARMUP_N=${WARMUP_N:-1000}
LAT_WARMUP_S=${LAT_WARMUP_S:-20}
EVENT_N=${EVENT_N:-1000}
WARMUP=${WARMUP:-6s}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
ADOPT_TASKS=${ADOPT_TASKS:-10000}
ADOPT_STOP_TASKS=${ADOPT_STOP_TASKS:-2000}
RETRIES=${RETRIES:-1}
SETTLE_MS=${SETTLE_MS:-1000}
EXTRAS=${EXTRAS:-1}
RETENTION_MS=${RETENTION_MS:-}
QUIET_MAX=${QUIET_MAX:-20}
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
OUT=bench/results/cluster-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
cp "$SRC_JAR" "$OUT/taskloop.jar"
JAR=$OUT/taskloop.jar
JAR_SHA=$(sha256sum "$JAR" | cut -c1-12)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain -- src/main pom.xml 2>/dev/null | wc -l)
echo "jar: $SRC_JAR built $(date -u -r "$SRC_JAR" +%Y-%m-%dT%H:%M:%SZ), sha256 $JAR_SHA, copied to $JAR; work tree HEAD $COMMIT with $DIRTY uncommitted change(s) under src/main and pom.xml${TASKLOOP_JAR_NOTE:+; $TASKLOOP_JAR_NOTE}" | tee "$OUT/provenance.txt"
# The module flags Hazelcast needs (the jar's manifest carries Add-Opens too; these are what pom.xml says).
HZ_FLAGS=$(sed -n 's:.*<hazelcast.jvm.flags>\(.*\)</hazelcast.jvm.flags>.*:\1:p' pom.xml)
[ -n "$HZ_FLAGS" ] || { echo "hazelcast.jvm.flags not found in pom.xml" >&2; exit 1; }
{ echo "start: $(cat /proc/loadavg)"; ps -eo pid,etime,pcpu,args --sort=-pcpu | head -8 | cut -c1-160; } > "$OUT/load.txt"

STARTED=()
cleanup() {
  for pid in "${STARTED[@]:-}"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT


declare -A PID HTTP CPORT CMD
CLUSTER_NAME=bench-$$-$RANDOM
# start_node NAME MEMBERS: a clustered node on fresh ports; sets PID[NAME], HTTP[NAME], CMD[NAME].
start_node() {
  local name=$1 members=$2
  local envs=(TASKLOOP_HTTP_HOST=127.0.0.1 "TASKLOOP_HTTP_PORT=${HTTP[$name]}" "TASKLOOP_LOOPS=$LOOPS"
    TASKLOOP_CLUSTER_MODE=tcp "TASKLOOP_CLUSTER_MEMBERS=$members" "TASKLOOP_CLUSTER_PORT=${CPORT[$name]}"
    "TASKLOOP_CLUSTER_NAME=$CLUSTER_NAME" TASKLOOP_CLUSTER_HOST=127.0.0.1 "TASKLOOP_DATA_DIR=$OUT/data-$name"
    TASKLOOP_HTTP_READ_TIMEOUT_MS=600000) # the latency tool's connections idle while it creates thousands of tasks
                                          # (over 30 s with the journal), and each must stay on its loop
  if [ -n "$RETENTION_MS" ]; then envs+=("TASKLOOP_RETENTION_MS=$RETENTION_MS"); fi
  # shellcheck disable=SC2086
  env "${envs[@]}" java $JAVA_OPTS -Xmx$HEAP $HZ_FLAGS "-Xlog:gc:file=$OUT/gc-$name.log" -jar "$JAR" > "$OUT/$name.log" 2>&1 &
  PID[$name]=$!
  STARTED+=("${PID[$name]}")
  CMD[$name]="env ${envs[*]} java $JAVA_OPTS -Xmx$HEAP \$HZ_FLAGS -Xlog:gc:file=$OUT/gc-$name.log -jar $JAR"
  echo "$name: pid ${PID[$name]}, http 127.0.0.1:${HTTP[$name]}, hazelcast 127.0.0.1:${CPORT[$name]}: ${CMD[$name]}" | tee -a "$OUT/servers.txt"
}

# wait_cluster SIZE NAME...: every named node ready and seeing SIZE nodes in GET /v1/cluster.
wait_cluster() {
  local size=$1 name n
  shift
  for _ in $(seq 1 240); do
    n=0
    for name in "$@"; do
      if ! kill -0 "${PID[$name]}" 2>/dev/null; then
        echo "node $name died; its log:" >&2
        tail -40 "$OUT/$name.log" >&2
        exit 1
      fi
      if [ "$(curl -s -m 5 "http://127.0.0.1:${HTTP[$name]}/v1/cluster" | grep -o '"self":' | wc -l)" = "$size" ]; then
        n=$((n + 1))
      fi
    done
    if [ "$n" = "$#" ]; then
      return
    fi
    sleep 0.5
  done
  echo "cluster of $size did not form in 120 s" >&2
  exit 1
}

# ------------------------------------------------------------------ CPU accounting
# Busy jiffies of the machine (user, nice, system, irq, softirq) and of given processes: how the
# two cores were shared during a measured run, and whether another session took some.

# quiet_gate PID...: waits (at most QUIET_MAX s) until everything but these processes takes < 10% of the machine.
quiet_gate() {
  local b0 b1 s0 s1
  for _ in $(seq 1 "$QUIET_MAX"); do
    b0=$(busy_jiffies); s0=$(pids_jiffies "$@"); sleep 1; b1=$(busy_jiffies); s1=$(pids_jiffies "$@")
    if [ $(( (b1 - b0) - (s1 - s0) )) -lt $(( $(nproc) * 10 )) ]; then
      return
    fi
  done
  echo "$(date -u +%H:%M:%S) machine still busy after $QUIET_MAX s; measuring anyway" | tee -a "$OUT/load.txt" >&2
}

# measure FILE CLIENT_NAME NODE_NAMES -- COMMAND...: runs COMMAND (output appended to FILE) and
# appends how the cores were shared: each node, the client, other processes.
measure() {
  local file=$1 client=$2 names=$3
  shift 4
  local name b0 b1 t0 t1 pids=() j0=() j1=() i
  for name in $names; do pids+=("${PID[$name]}"); done
  quiet_gate "${pids[@]}"
  echo "\$ $*" >> "$file"
  for i in "${!pids[@]}"; do j0[$i]=$(proc_jiffies "${pids[$i]}"); done
  b0=$(busy_jiffies); t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$file.clienttime" "$@" >> "$file" 2>&1
  b1=$(busy_jiffies); t1=$(date +%s.%N)
  for i in "${!pids[@]}"; do j1[$i]=$(proc_jiffies "${pids[$i]}"); done
  local line="" sum=0 d
  for i in "${!pids[@]}"; do
    d=$((j1[i] - j0[i])); sum=$((sum + d))
    line="$line $(echo $names | cut -d' ' -f$((i + 1)))=$d"
  done
  awk -v b="$((b1 - b0))" -v s="$sum" -v t0="$t0" -v t1="$t1" -v n="$(nproc)" -v w="$(cat "$file.clienttime")" \
      -v c="$client" -v per="$line" 'BEGIN {
    split(w, a, " "); wj = (a[1] + a[2]) * 100; cap = (t1 - t0) * n * 100;
    printf "CPU share of the %d cores over %.1f s:", n, t1 - t0;
    k = split(per, parts, " ");
    for (i = 1; i <= k; i++) { split(parts[i], kv, "="); printf " %s %.0f%%,", kv[1], 100 * kv[2] / cap }
    printf " %s %.0f%%, other processes %.0f%%\n", c, 100 * wj / cap, 100 * (b - s - wj) / cap;
    printf "CPU other_pct=%.1f\n", 100 * (b - s - wj) / cap }' >> "$file"
  rm -f "$file.clienttime"
}

result_field() { # file field [scenario]
  grep '^RESULT' "$1" | { if [ -n "${3:-}" ]; then grep -- "$3"; else cat; fi; } | head -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# ------------------------------------------------------------------ cluster 1: A B C
for n in A B C D A2 B2 C2; do HTTP[$n]=$(free_port); CPORT[$n]=$(free_port); done
MEMBERS="127.0.0.1:${CPORT[A]},127.0.0.1:${CPORT[B]},127.0.0.1:${CPORT[C]}"
for n in A B C; do start_node "$n" "$MEMBERS"; done
wait_cluster 3 A B C
echo "cluster A B C formed after $(( $(date +%s) - T_START )) s"
URL_A=http://127.0.0.1:${HTTP[A]}
URL_B=http://127.0.0.1:${HTTP[B]}
curl -s "$URL_A/v1/cluster" > "$OUT/cluster-before.json"

# ------------------------------------------------------------------ (1) latency
LAT_CMD="java bench/cluster/ClusterBench.java latency $URL_A $URL_B $N $WARMUP_N $EVENT_N $LAT_WARMUP_S"
measure "$OUT/latency.txt" ClusterBench.java "A B C" -- $LAT_CMD
grep -E '^(RESULT|owner|CPU share)' "$OUT/latency.txt"

# ------------------------------------------------------------------ (2) throughput
# A finished task on each node, created there (sleep 0, awaited), read back to check its owner.
finished_on() { # URL -> id of a finished task owned by that node
  curl -s -X POST "$1/v1/tasks" -H 'Prefer: wait=5' -d '{"type":"sleep","delay_ms":0}' | sed -E 's/.*"id":"([^"]+)".*/\1/'
}
# wrk_measure LABEL NODES CHILD SCRIPT URL: warm-up, then the measured run, run again (up to RETRIES
# times) while other processes took more than 10% of the machine; keeps the least disturbed try.
wrk_measure() {
  local label=$1 names=$2 child=$3 script=$4 url=$5
  local cmd="wrk $WRK_OPTS -d$DURATION -s $script $url/"
  CHILD=$child SCENARIO=$label wrk $WRK_OPTS -d"$WARMUP" -s "$script" "$url/" > "$OUT/$label.warmup.txt" 2>&1
  local try f other best="" best_other=1000
  for try in $(seq 1 $((1 + RETRIES))); do
    f=$OUT/$label.try$try.txt
    echo "CHILD=$child SCENARIO=$label" > "$f"
    CHILD=$child SCENARIO=$label measure "$f" wrk "$names" -- $cmd
    other=$(sed -n 's/^CPU other_pct=//p' "$f")
    if awk -v o="$other" -v b="$best_other" 'BEGIN { exit !(o < b) }'; then best=$f; best_other=$other; fi
    if awk -v o="$other" 'BEGIN { exit !(o <= 10) }'; then break; fi
    echo "$(date -u +%H:%M:%S) $label try $try: other processes took $other% of the machine" | tee -a "$OUT/load.txt" >&2
  done
  cp "$best" "$OUT/$label.txt"
  grep -E '^(RESULT|CPU share)' "$OUT/$label.txt"
  TPUT_CMD[$label]="CHILD=$child SCENARIO=$label $cmd"
}
tput_run() { # LABEL SCRIPT URL CHILD
  wrk_measure "$1" "A B C" "$4" "bench/cluster/$2" "$3"
}
declare -A TPUT_CMD
ID_A=$(finished_on "$URL_A")
ID_B=$(finished_on "$URL_B")
echo "finished task on A: $ID_A; on B: $ID_B" | tee -a "$OUT/servers.txt"
# Same-node first, then cross-node, for each operation; every request goes to B.
tput_run wait_for_same wait_for.lua "$URL_B" "$ID_B"
tput_run wait_for_cross wait_for.lua "$URL_B" "$ID_A"
tput_run get_same get_task.lua "$URL_B" "$ID_B"
tput_run get_cross get_task.lua "$URL_B" "$ID_A"
# The single-node benchmark's create-and-await (sleep 0, Prefer: wait=5), here on clustered B.
wrk_measure create_await "A B C" - bench/create_await.lua "$URL_B"
curl -s "$URL_A/v1/cluster" > "$OUT/cluster-after-throughput.json"

# ------------------------------------------------------------------ (4) heap held by the records
# After full GCs: what each node's heap holds once B created the tasks above (retained finished
# tasks are replicated too), and what the largest classes on A (which owns almost none) are.
HELD_B=$(curl -s "$URL_B/v1/cluster" | grep -o '"tasks_held":[0-9]*' | head -1 | cut -d: -f2)
HELD_A=$(curl -s "$URL_A/v1/cluster" | grep -o '"tasks_held":[0-9]*' | head -1 | cut -d: -f2)
: > "$OUT/heap.txt"
for n in A B C; do
  jcmd "${PID[$n]}" GC.run > /dev/null
  used=$(jcmd "${PID[$n]}" GC.heap_info | grep -o 'used [0-9]*K' | head -1 | grep -o '[0-9]*')
  echo "HEAP node=$n used_kb=$used" >> "$OUT/heap.txt"
done
jcmd "${PID[A]}" GC.class_histogram | head -20 > "$OUT/histogram-A.txt"
echo "tasks held: A $HELD_A, B $HELD_B (C none)" | tee -a "$OUT/heap.txt"
cat "$OUT/heap.txt"
for n in A B C; do
  kill -9 "${PID[$n]}" 2>/dev/null || true
  wait "${PID[$n]}" 2>/dev/null || true
done

SINGLE_CMD=""
if [ "$EXTRAS" = 1 ]; then
  # The same create-and-await load on one node started alike but not clustered (cluster_mode none).
  HTTP[S]=$(free_port)
  envs=(TASKLOOP_HTTP_HOST=127.0.0.1 "TASKLOOP_HTTP_PORT=${HTTP[S]}" "TASKLOOP_LOOPS=$LOOPS" "TASKLOOP_DATA_DIR=$OUT/data-S")
  if [ -n "$RETENTION_MS" ]; then envs+=("TASKLOOP_RETENTION_MS=$RETENTION_MS"); fi
  # shellcheck disable=SC2086
  env "${envs[@]}" java $JAVA_OPTS -Xmx$HEAP $HZ_FLAGS "-Xlog:gc:file=$OUT/gc-S.log" -jar "$JAR" > "$OUT/S.log" 2>&1 &
  PID[S]=$!
  STARTED+=("${PID[S]}")
  SINGLE_CMD="env ${envs[*]} java $JAVA_OPTS -Xmx$HEAP \$HZ_FLAGS -Xlog:gc:file=$OUT/gc-S.log -jar $JAR"
  echo "S: pid ${PID[S]}, http 127.0.0.1:${HTTP[S]}, not clustered: $SINGLE_CMD" | tee -a "$OUT/servers.txt"
  for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:${HTTP[S]}/health/ready" && break; sleep 0.25; done
  wrk_measure create_await_single S - bench/create_await.lua "http://127.0.0.1:${HTTP[S]}"
  # The latency tool against the single node (OWNER = OTHER: its "other" column is the same node).
  SINGLE_LAT_CMD="java bench/cluster/ClusterBench.java latency http://127.0.0.1:${HTTP[S]} http://127.0.0.1:${HTTP[S]} $N $WARMUP_N $EVENT_N $LAT_WARMUP_S"
  measure "$OUT/latency-single.txt" ClusterBench.java "S" -- $SINGLE_LAT_CMD
  grep -E '^(RESULT|CPU share)' "$OUT/latency-single.txt"
  kill -9 "${PID[S]}" 2>/dev/null || true
  wait "${PID[S]}" 2>/dev/null || true
fi

# ------------------------------------------------------------------ (3) adoption, fresh cluster A2 B2 C2
MEMBERS2="127.0.0.1:${CPORT[A2]},127.0.0.1:${CPORT[B2]},127.0.0.1:${CPORT[C2]}"
for n in A2 B2 C2; do start_node "$n" "$MEMBERS2"; done
wait_cluster 3 A2 B2 C2
URL_A2=http://127.0.0.1:${HTTP[A2]}
URL_B2=http://127.0.0.1:${HTTP[B2]}
URL_C2=http://127.0.0.1:${HTTP[C2]}
ADOPT_CMD="java bench/cluster/ClusterBench.java adopt $URL_C2 ${PID[C2]} $URL_A2,$URL_B2 $ADOPT_TASKS $SETTLE_MS 60 --signal KILL --log $OUT/A2.log --log $OUT/B2.log"
measure "$OUT/adopt-kill.txt" ClusterBench.java "A2 B2" -- $ADOPT_CMD
wait "${PID[C2]}" 2>/dev/null || true
grep -E '^(RESULT|CPU share)' "$OUT/adopt-kill.txt"

STOP_CMD=""
if [ "$EXTRAS" = 1 ]; then
  # A 4th node joins the two survivors; it is loaded alike, then SIGSTOPped: its sockets stay open,
  # so only Hazelcast's heartbeat timeout (5 s, ClusterSetup) can tell that it is gone.
  start_node D "127.0.0.1:${CPORT[A2]},127.0.0.1:${CPORT[B2]},127.0.0.1:${CPORT[D]}"
  wait_cluster 3 A2 B2 D
  URL_D=http://127.0.0.1:${HTTP[D]}
  STOP_CMD="java bench/cluster/ClusterBench.java adopt $URL_D ${PID[D]} $URL_A2,$URL_B2 $ADOPT_STOP_TASKS $SETTLE_MS 60 --signal STOP --log $OUT/A2.log --log $OUT/B2.log"
  measure "$OUT/adopt-stop.txt" ClusterBench.java "A2 B2" -- $STOP_CMD
  kill -9 "${PID[D]}" 2>/dev/null || true
  wait "${PID[D]}" 2>/dev/null || true
  grep -E '^(RESULT|CPU share)' "$OUT/adopt-stop.txt"
fi

{ echo "end: $(cat /proc/loadavg)"; ps -eo pid,etime,pcpu,args --sort=-pcpu | head -8 | cut -c1-160; } >> "$OUT/load.txt"

# ------------------------------------------------------------------ the tables
lat_cell() { # op target -> "p50 / p99"
  local line
  line=$(grep "^RESULT latency op=$1 target=$2 " "$OUT/latency.txt")
  echo "$(echo "$line" | tr ' ' '\n' | sed -n 's/^p50_ms=//p') / $(echo "$line" | tr ' ' '\n' | sed -n 's/^p99_ms=//p') ms (bad $(echo "$line" | tr ' ' '\n' | sed -n 's/^bad=//p'))"
}
good() { local v; v=$(result_field "$1" good_rps); [ -n "$v" ] || v=$(result_field "$1" ok_rps); echo "$v"; }
cpu_of() { grep '^CPU share' "$1" | sed 's/^CPU share of the [0-9]* cores over [0-9.]* s: //'; }
{
  echo "## taskloop cluster benchmark results ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(( $(date +%s) - T_START )) s)"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(java -version 2>&1 | head -1)."
  echo "Three taskloop JVMs ($JAVA_OPTS -Xmx$HEAP, TASKLOOP_LOOPS=$LOOPS, Hazelcast tcp join on 127.0.0.1) and the load generator share these cores."
  cat "$OUT/provenance.txt"
  echo
  echo "### (1) latency, sequential requests on keep-alive connections ($N timed per cell after $WARMUP_N warm-up, for GETs at least $LAT_WARMUP_S s of them; events $EVENT_N)"
  echo
  echo "| operation | owning loop | same node, other loop | other node |"
  echo "|---|---|---|---|"
  echo "| GET /v1/tasks/{id} | $(lat_cell get own) | $(lat_cell get loop) | $(lat_cell get other) |"
  echo "| POST /v1/tasks/{id}/complete | $(lat_cell complete own) | $(lat_cell complete loop) | $(lat_cell complete other) |"
  echo "| PUT /v1/events/{name}, PUT's own answer | $(lat_cell event_put same_node) (same node as the waiter) | | $(lat_cell event_put other_node) |"
  echo "| PUT /v1/events/{name} until the waiting task is seen succeeded | $(lat_cell event_seen same_node) (same node as the waiter) | | $(lat_cell event_seen other_node) |"
  echo
  echo "CPU: $(cpu_of "$OUT/latency.txt"). Command: \`$LAT_CMD\`"
  if [ -f "$OUT/latency-single.txt" ]; then
    echo
    echo "The same tool against one node that is not clustered (EXTRAS=1; its 'other node' cells are the same node):"
    echo
    grep '^RESULT' "$OUT/latency-single.txt"
    echo "CPU: $(cpu_of "$OUT/latency-single.txt"). Command: \`$SINGLE_LAT_CMD\`"
  fi
  echo
  echo "### (2) throughput through node B (wrk $WRK_OPTS, $WARMUP warm-up then $DURATION)"
  echo
  echo "| scenario | requests/s (good answers) | p50 / p99 | non-2xx, bad bodies, socket errors | CPU | command |"
  echo "|---|---|---|---|---|---|"
  for label in wait_for_same wait_for_cross get_same get_cross create_await create_await_single; do
    f=$OUT/$label.txt
    [ -f "$f" ] || continue
    echo "| $label | $(good "$f") | $(result_field "$f" p50_ms) / $(result_field "$f" p99_ms) ms | $(result_field "$f" non2xx), $(result_field "$f" badbody), $(result_field "$f" sockerr) | $(cpu_of "$f") | \`${TPUT_CMD[$label]}\` |"
  done
  awk -v a="$(good "$OUT/wait_for_cross.txt")" -v b="$(good "$OUT/wait_for_same.txt")" \
    -v c="$(good "$OUT/get_cross.txt")" -v d="$(good "$OUT/get_same.txt")" \
    'BEGIN { printf "\nRatios cross / same: wait_for %.2f, GET %.2f\n", a / b, c / d }'
  if [ -f "$OUT/create_await_single.txt" ]; then
    awk -v a="$(good "$OUT/create_await.txt")" -v b="$(good "$OUT/create_await_single.txt")" \
      'BEGIN { printf "create_await clustered / single node: %.2f\n", a / b }'
  fi
  echo
  echo "### (4) heap after full GC, once the runs above left their tasks (retention ${RETENTION_MS:-default})"
  echo
  cat "$OUT/heap.txt"
  echo
  echo "### (3) adoption ($ADOPT_TASKS unfinished tasks on the victim, fresh cluster A2 B2 C2)"
  echo
  grep '^RESULT adopt' "$OUT/adopt-kill.txt"
  echo "CPU: $(cpu_of "$OUT/adopt-kill.txt"). Command: \`$ADOPT_CMD\`"
  if [ -n "$STOP_CMD" ]; then
    echo
    grep '^RESULT adopt' "$OUT/adopt-stop.txt"
    echo "CPU: $(cpu_of "$OUT/adopt-stop.txt"). Command: \`$STOP_CMD\`"
  fi
  echo
  echo "Servers: see $OUT/servers.txt (\$HZ_FLAGS: $HZ_FLAGS). Raw outputs: $OUT/"
} | tee "$OUT/table.md"
