#!/usr/bin/env bash
# Where a node's CPU goes, by thread: a fresh node (2 loops, retention 1000 ms, ZGC as README
# starts it) loaded by wrk for WARMUP unrecorded, then DURATION recorded; each thread's utime +
# stime from /proc over that window (threads named from jcmd Thread.print), and the whole
# machine's busy time beside it. A thread near 100% is a bound; a machine short of 100% with
# no such thread is a pipeline waiting on itself.
#
#   bash bench/threads.sh create_await        # or gather10, create_sleep0
#   TASKLOOP_STORE=memory bash bench/threads.sh create_await
#
# Knobs: JAR (target/taskloop.jar), WARMUP (40s, past the heap growth of a fresh ZGC node),
# DURATION (15s), CONNECTIONS (64), TOP (8), TASKLOOP_STORE (sqlite). The node binds 127.0.0.1
# and is stopped by its PID.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "$0")/.."

SCENARIO=${1:-create_await}
JAR=${JAR:-target/taskloop.jar}
WARMUP=${WARMUP:-40s}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
TOP=${TOP:-8}
NODE=""
trap '[ -n "$NODE" ] && stop "$NODE"' EXIT
begin_run "threads-$SCENARIO"
start_node "$OUT" "$PORT" sqlite -XX:+UseZGC
URL="http://127.0.0.1:$PORT"
wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" --timeout 10s -s "bench/$SCENARIO.lua" "$URL" >"$OUT/warmup.txt"

# name|jiffies per live thread; names come from the JVM, ids from its nid (hex)
snapshot() {
  jcmd "$NODE" Thread.print 2>/dev/null | grep -oP '^"[^"]+".*nid=0x[0-9a-f]+' \
    | sed -E 's/^"([^"]+)".*nid=0x([0-9a-f]+)/\1 \2/' | while read -r line; do
      tid=$((16#${line##* }))
      [ -f "/proc/$NODE/task/$tid/stat" ] && echo "${line% *}|$(awk '{ print $14 + $15 }' "/proc/$NODE/task/$tid/stat")"
    done
}
snapshot >"$OUT/before.txt"
B0=$(busy_jiffies)
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -s "bench/$SCENARIO.lua" "$URL" | tee "$OUT/wrk.txt" | grep RESULT
snapshot >"$OUT/after.txt"
B1=$(busy_jiffies)
SECONDS_RUN=$(grep -oP 'duration_s=\K[0-9.]+' "$OUT/wrk.txt")
/usr/bin/python3 - "$OUT/before.txt" "$OUT/after.txt" "$((B1 - B0))" "$SECONDS_RUN" "$(nproc)" "$TOP" "$(getconf CLK_TCK)" <<'PY' | tee "$OUT/threads.txt"
import collections, sys
def read(path):
    d = collections.Counter()
    for line in open(path):
        name, jiffies = line.rstrip("\n").rsplit("|", 1)
        d[name] += int(jiffies)
    return d
before, after = read(sys.argv[1]), read(sys.argv[2])
busy, seconds, cores, top, hz = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
rows = sorted(((after[k] - before.get(k, 0), k) for k in after), reverse=True)
print(f"machine busy: {100 * busy / (hz * seconds * cores):.0f}% of {cores} cores; the node: {sum(r[0] for r in rows) / (hz * seconds):.2f} cores")
for jiffies, name in rows[:top]:
    print(f"{100 * jiffies / (hz * seconds):6.1f}% of a core  {name}")
PY
