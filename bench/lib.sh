# Helpers shared by bench/run.sh, bench/cluster/run.sh and bench/outbound/run.sh (sourced).

# A free loopback port, never one this script handed out before (servers may not be up yet).
TAKEN=" "
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 30000))
    if [ -z "$(ss -Htln "sport = :$port")" ] && [[ "$TAKEN" != *" $port "* ]]; then
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
