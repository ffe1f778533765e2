#!/usr/bin/env bash
# Where a node's time goes, native frames included: Linux perf (Debian's linux-perf) samples a
# fresh node under wrk, JIT frames named through the JVM's own perf map (jcmd Compiler.perfmap,
# with -XX:+PreserveFramePointer for whole stacks). Unlike bench/profile.sh (JFR) it sees the
# kernel (socket writes, fsync, page faults) and the SQLite library, and it does not misplace
# inlined frames. Folded per group of threads (event loops, the SQLite threads): frames by self
# share and by inclusive share.
#
#   bash bench/perf.sh create_await                     # sqlite, as the node defaults
#   TASKLOOP_STORE=memory bash bench/perf.sh gather10
#
# Knobs: JAR (target/taskloop.jar), WARMUP (40s, not recorded: past the heap growth of a fresh
# ZGC node), DURATION (10s, recorded), CONNECTIONS (64), TOP (30), FREQ (1999 Hz). Frame
# pointers and perf's sampling slow the node, so read shares, not rates. The node binds
# 127.0.0.1 and is stopped by its PID.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "$0")/.."

SCENARIO=${1:-create_await}
JAR=${JAR:-target/taskloop.jar}
WARMUP=${WARMUP:-40s}
DURATION=${DURATION:-10}
DURATION=${DURATION%s}
CONNECTIONS=${CONNECTIONS:-64}
TOP=${TOP:-30}
FREQ=${FREQ:-1999}
command -v perf >/dev/null || { echo "perf is missing: apt-get install -y linux-perf" >&2; exit 1; }
NODE=""
WRK=""
trap '[ -n "$WRK" ] && kill "$WRK" 2>/dev/null; [ -n "$NODE" ] && stop "$NODE"; rm -f "/tmp/perf-$NODE.map"' EXIT
begin_run "perf-$SCENARIO"
start_node "$OUT" "$PORT" sqlite -XX:+UseZGC -XX:+PreserveFramePointer
URL="http://127.0.0.1:$PORT"
wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" --timeout 10s -s "bench/$SCENARIO.lua" "$URL" >"$OUT/warmup.txt"
wrk -t2 -c"$CONNECTIONS" -d"$((DURATION + 4))s" --timeout 10s --latency -s "bench/$SCENARIO.lua" "$URL" >"$OUT/wrk.txt" &
WRK=$!
sleep 2
perf record -e cpu-clock -F "$FREQ" -g -p "$NODE" -o "$OUT/perf.data" -- sleep "$DURATION" >"$OUT/perf-record.log" 2>&1
jcmd "$NODE" Compiler.perfmap >/dev/null # /tmp/perf-<pid>.map, read by perf script below
wait "$WRK"
WRK=""
grep RESULT "$OUT/wrk.txt" || tail -3 "$OUT/wrk.txt"
perf script -i "$OUT/perf.data" 2>/dev/null >"$OUT/samples.txt"
/usr/bin/python3 - "$OUT/samples.txt" "$TOP" <<'PY' | tee "$OUT/top.txt"
import collections, re, sys
top = int(sys.argv[2])
GROUPS = [("event loops", "vert.x-eventloo"), ("SQLite threads (commit, sync, checkpoint, read)", "taskloop-sqlite")]
NOISE = ("Interpreter", "thread_", "JavaCalls", "StubRoutines", "Thread::", "start_thread", "JavaThread",
         "entry_SYSCALL", "do_syscall_64", "[unknown]")
stats = {g: (collections.Counter(), collections.Counter(), [0]) for g, _ in GROUPS}
for block in open(sys.argv[1]).read().split("\n\n"):
    lines = [l for l in block.split("\n") if l.strip()]
    if not lines:
        continue
    head = re.match(r"(.*?)\s+\d+\s+[\d.]+:", lines[0])
    if not head:
        continue
    group = next((g for g, prefix in GROUPS if head.group(1).strip().startswith(prefix)), None)
    if group is None:
        continue
    frames = []
    for line in lines[1:]:
        m = re.match(r"\s*[0-9a-f]+\s+(.*)\s+\((.*)\)$", line)
        if not m:
            continue
        sym, dso = m.group(1), m.group(2).rsplit("/", 1)[-1]
        if sym.startswith("[unknown]") or sym.startswith("0x"):
            sym = "[" + re.sub(r"-[0-9a-f-]{20,}", "", dso) + "]"  # a stripped library: by its name
        sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
        frames.append(re.sub(r"\(.*\)", "", sym))
    if not frames:
        continue
    own, incl, n = stats[group]
    n[0] += 1
    own[frames[0]] += 1
    for f in set(frames):
        incl[f] += 1
for group, _ in GROUPS:
    own, incl, n = stats[group]
    if not n[0]:
        continue
    print(f"# {group}: {n[0]} samples")
    print("## self")
    for f, c in own.most_common(top):
        print(f"{100 * c / n[0]:6.2f}%  {f[:140]}")
    print("## inclusive")
    shown = 0
    for f, c in incl.most_common():
        if any(x in f for x in NOISE):
            continue
        print(f"{100 * c / n[0]:6.2f}%  {f[:140]}")
        shown += 1
        if shown == top:
            break
    print()
PY
