# Helpers shared by the bench scripts (sourced).

# A free loopback port, never one this script handed out before (servers may not be up yet),
# below the kernel's range for outgoing connections' ports, and bound by no socket in any state:
# a port wrk or a node's client held for a connection made a node's bind fail (EADDRINUSE) and
# ended a run. TAKEN only grows where free_port runs in the script's own shell, not in $(...).
TAKEN=" "
EPHEMERAL_FROM=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % (EPHEMERAL_FROM - 20000)))
    if [ -z "$(ss -Htan "sport = :$port")" ] && [[ "$TAKEN" != *" $port "* ]]; then
      TAKEN="$TAKEN$port "
      echo "$port"
      return
    fi
  done
  echo "no free port found" >&2
  exit 1
}

stop() { # pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# CPU accounting from /proc: the whole machine's busy jiffies, and a set of processes'.
busy_jiffies() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }
proc_jiffies() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pids_jiffies() { local s=0 p; for p in "$@"; do s=$((s + $(proc_jiffies "$p"))); done; echo "$s"; }

# The start of a one-node profiling run (threads.sh, perf.sh, profile.sh): wrk at hand, $JAR
# built if missing, a fresh $OUT under bench/results named for it, a $PORT, and the provenance.
begin_run() { # name
  command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
  [ -f "$JAR" ] || mvn -q -B package -DskipTests
  OUT=bench/results/$1-$(date -u +%Y%m%dT%H%M%SZ)
  mkdir -p "$OUT"
  PORT=$(free_port)
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); jar $JAR; load $(cat /proc/loadavg)" \
    | tee "$OUT/provenance.txt"
}

# Waits (60 s at most) until url answers 2xx; if the process dies first, or the time runs out,
# prints the end of its log and exits.
wait_ready() { # url pid log
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "$1" && return
    kill -0 "$2" 2>/dev/null || { echo "server died; its log ends:" >&2; tail -20 "$3" >&2; exit 1; }
    sleep 0.25
  done
  echo "not ready after 60 s: $1; its log ends:" >&2
  tail -20 "$3" >&2
  exit 1
}

# A fresh node of $JAR for the profiling tools (profile.sh, threads.sh, perf.sh) on 127.0.0.1:port,
# its data and log under out: 2 loops, retention 1000 ms and the given store unless TASKLOOP_*
# in the environment say otherwise; the JVM flags follow. Sets NODE to its PID once it is ready.
start_node() { # out port store java-flags...
  local out=$1 port=$2 store=$3
  shift 3
  env TASKLOOP_HTTP_HOST=127.0.0.1 TASKLOOP_HTTP_PORT="$port" TASKLOOP_LOOPS="${TASKLOOP_LOOPS:-2}" \
      TASKLOOP_STORE="${TASKLOOP_STORE:-$store}" TASKLOOP_RETENTION_MS="${TASKLOOP_RETENTION_MS:-1000}" \
      TASKLOOP_DATA_DIR="$out/data" java "$@" -jar "$JAR" >"$out/node.log" 2>&1 &
  NODE=$!
  wait_ready "http://127.0.0.1:$port/health/ready" "$NODE" "$out/node.log"
}
