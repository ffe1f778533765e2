#!/usr/bin/env bash
# Where a scenario's time goes on the node: a JFR profile of one wrk run, folded into the top
# frames by self time, by the package of the frame that was running, and the taskloop frames by
# inclusive time. Fresh node on the memory store unless told (TASKLOOP_* in the environment pass
# through), 2 loops, retention 1000 ms, as bench/compare.sh runs it.
#
#   bash bench/profile.sh create_await        # or gather10, create_sleep0
#   TASKLOOP_STORE=sqlite bash bench/profile.sh create_await
#
# Knobs: WARMUP (8s, not recorded), DURATION (15s, recorded), THREADS (2), CONNECTIONS (64),
# JAR (target/taskloop.jar), TOP (25). The node binds 127.0.0.1 and is stopped by its PID.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "$0")/.."

SCENARIO=${1:-create_await}
WARMUP=${WARMUP:-8s}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
JAR=${JAR:-target/taskloop.jar}
TOP=${TOP:-25}
NODE=""
trap '[ -n "$NODE" ] && stop "$NODE"' EXIT
begin_run "profile-$SCENARIO"
start_node "$OUT" "$PORT" memory -XX:FlightRecorderOptions:stackdepth=512
URL="http://127.0.0.1:$PORT"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout 10s -s "bench/$SCENARIO.lua" "$URL" >"$OUT/warmup.txt"
jcmd "$NODE" JFR.stop >/dev/null 2>&1 || true
jcmd "$NODE" JFR.start name=run settings=profile filename="$OUT/node.jfr" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -s "bench/$SCENARIO.lua" "$URL" | tee "$OUT/wrk.txt"
jcmd "$NODE" JFR.stop name=run >/dev/null
jfr print --json --stack-depth 512 --events jdk.ExecutionSample "$OUT/node.jfr" >"$OUT/samples.json"
/usr/bin/python3 - "$OUT/samples.json" "$TOP" <<'PY' | tee "$OUT/top.txt"
import json, sys, collections, re
events = json.load(open(sys.argv[1]))["recording"]["events"]
top = int(sys.argv[2])
def name(f):
    m = f["method"]
    return re.sub(r"\$\$Lambda.*", "$$Lambda", m["type"]["name"]).replace("/", ".") + "." + m["name"]
# Layers counted inclusively: a sample counts for every layer with a frame on its stack.
LAYERS = [("metrics (Micrometer, Vert.x metrics SPI)", ("io.micrometer.", "io.vertx.micrometer.")),
          ("JSON (Jackson, Vert.x Json)", ("com.fasterxml.jackson.", "io.vertx.core.json.")),
          ("taskloop request handling (io.taskloop.http)", ("io.taskloop.http.",)),
          ("taskloop engine (io.taskloop.loop)", ("io.taskloop.loop.",)),
          ("taskloop journal (io.taskloop.journal)", ("io.taskloop.journal.",)),
          ("Vert.x Web routing", ("io.vertx.ext.web.",)),
          ("HTTP decode (Netty codec)", ("io.netty.handler.codec.",)),
          ("socket write/flush (sun.nio)", ("sun.nio.ch.",))]
self_t, pkg, incl, layer = (collections.Counter() for _ in range(4))
n = 0
for e in events:
    frames = [name(f) for f in e["values"]["stackTrace"]["frames"]]
    if not frames:
        continue
    n += 1
    self_t[frames[0]] += 1
    parts = frames[0].split(".")
    pkg[".".join(parts[:3]) if parts[0] in ("io", "com", "org", "sun", "jdk") else ".".join(parts[:2])] += 1
    for f in set(frames):
        if f.startswith("io.taskloop."):
            incl[f] += 1
    for title, prefixes in LAYERS:
        if any(f.startswith(prefixes) for f in frames):
            layer[title] += 1
print(f"{n} samples")
for title, c, k in (("layers, inclusive", layer, 20), ("by package of the running frame", pkg, top),
                    ("by self time", self_t, top), ("taskloop frames, inclusive", incl, top)):
    print(f"\n## {title}")
    for key, v in c.most_common(k):
        print(f"{100.0 * v / n:5.1f}%  {key}")
PY
