#!/usr/bin/env bash
# The container image, built from the Dockerfile as it is and run as users run it, with podman:
#
#   1. base images: a JRE-only Debian and a JDK + Maven Debian, made with debootstrap (no
#      registry of container images is needed) and passed to the Dockerfile's build args;
#   2. one container: UID 10001, the entrypoint's flags, ZGC, a writable /data volume,
#      /health/ready, and an exit within the grace period on SIGTERM;
#   3. three containers started at the same moment on one podman network in kubernetes mode
#      (a network alias stands in for the headless service), with the image's wildcard cluster
#      host and no public host: one cluster of three, mixed tasks created through all three and
#      read across nodes, one container SIGKILLed and every task read and ended through the
#      survivors, then each container stopped and started in turn, losing nothing;
#   4. a full stop and start of all three, each with its own volume, losing nothing (each node's
#      journal, SQLite on its volume, holds its tasks).
#
# Usage: .ci/containers.sh   (as root; .ci/run calls it after mvn verify)
# Where podman cannot be installed it prints one line and exits 0. Every wait has a deadline,
# the whole run has one (TASKLOOP_CONTAINER_TIMEOUT_S), and whatever it made (containers,
# network, volumes, images, the root filesystems) is removed on the way out, pass or fail.
# Published ports are on 127.0.0.1 only; the containers talk to each other on their own network.
set -euo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$SELF")/.."

LIMIT_S=${TASKLOOP_CONTAINER_TIMEOUT_S:-900}   # 15 min; a whole run takes 4 to 7.5 here
if [ -z "${TASKLOOP_CONTAINERS_BOUNDED:-}" ]; then
  export TASKLOOP_CONTAINERS_BOUNDED=1
  # timeout signals the whole process group (podman, debootstrap, curl too); the EXIT trap
  # below then cleans up. --kill-after ends a cleanup that hangs.
  set +e
  timeout --kill-after=120 "$LIMIT_S" bash "$SELF" "$@"
  rc=$?
  [ "$rc" = 124 ] && echo "containers: FAILED: the run took over ${LIMIT_S}s"
  exit "$rc"
fi

STARTED=$(date +%s)
say() { echo "containers: [$(( $(date +%s) - STARTED ))s] $*"; }
skip() { echo "containers: $*: container test skipped"; exit 0; }

# ---------------------------------------------------------------- podman, or a clear skip

[ "$(id -u)" = 0 ] || skip "not root (debootstrap and rootful podman need it)"
missing=()
for tool in podman debootstrap runc jq; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || skip "podman not available (no apt-get to install ${missing[*]})"
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman debootstrap runc jq) \
      >/tmp/taskloop-containers-apt.log 2>&1; then
    skip "podman not available (apt-get install failed, see /tmp/taskloop-containers-apt.log)"
  fi
fi

# ---------------------------------------------------------------- names, and the clean-up

RUN=tlci$$
LABEL="io.taskloop.ci=$RUN"
JRE_BASE=localhost/taskloop-ci-jre:$RUN
BUILD_BASE=localhost/taskloop-ci-build:$RUN
IMAGE=localhost/taskloop:ci-$RUN
IMAGE_LABEL=$LABEL
# For working on this script: TASKLOOP_CONTAINER_KEEP_IMAGES=1 keeps the three images (under
# fixed names) and uses them again if they are there. CI never sets it, so it runs cold.
KEEP=${TASKLOOP_CONTAINER_KEEP_IMAGES:-}
if [ -n "$KEEP" ]; then
  JRE_BASE=localhost/taskloop-ci-jre:kept
  BUILD_BASE=localhost/taskloop-ci-build:kept
  IMAGE=localhost/taskloop:ci-kept
  IMAGE_LABEL=io.taskloop.ci=kept
fi
NET=taskloop-ci-$RUN
SERVICE=taskloop-hazelcast          # the network alias every node carries: the "headless service"
SINGLE=$RUN-single
NODES=("$RUN-0" "$RUN-1" "$RUN-2")
VOLUMES=("$RUN-data-0" "$RUN-data-1" "$RUN-data-2")
WORK=$(mktemp -d /var/tmp/taskloop-containers.XXXXXX)
LOGS=target/containers
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log
# crun fails on these machines' cgroups; podman's default ulimits are above the hard limits here.
PODMAN=(podman --runtime runc)
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
# The image asks for API keys beyond loopback: one admin key for this run, its hash in a keys
# file mounted where the image looks (TASKLOOP_AUTH_KEYS_FILE), as a Secret would be.
KEY=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
printf '{"keys":[{"id":"ci","hash":"sha256:%s","tenant":"ci","scopes":["admin"]}]}\n' \
  "$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)" > "$WORK/keys.json"
chmod 644 "$WORK/keys.json"
AUTH=(-H "Authorization: Bearer $KEY")
RUN_FLAGS=(--label "$LABEL" --ulimit "nofile=$NOFILE:$NOFILE" --ulimit nproc=4096:4096 --memory 1g
  -v "$WORK/keys.json:/etc/taskloop/keys/keys.json:ro")

passed=0
failed=0
ok() { passed=$((passed + 1)); say "ok   $*"; }
bad() { failed=$((failed + 1)); say "FAIL $*"; }
die() { bad "$*"; exit 1; }

cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ] || [ "$failed" != 0 ]; then
    for c in "$SINGLE" "${NODES[@]}"; do
      "${PODMAN[@]}" container exists "$c" 2>/dev/null || continue
      "${PODMAN[@]}" logs "$c" > "$LOGS/$c.log" 2>&1
      echo "---- last lines of $c (all of it in $LOGS/$c.log)"
      tail -n 25 "$LOGS/$c.log"
    done
  fi
  "${PODMAN[@]}" ps -aq --filter "label=$LABEL" | xargs -r "${PODMAN[@]}" rm -f -v -t 0 >/dev/null 2>&1
  "${PODMAN[@]}" network rm -f "$NET" >/dev/null 2>&1
  "${PODMAN[@]}" volume ls -q --filter "label=$LABEL" | xargs -r "${PODMAN[@]}" volume rm -f >/dev/null 2>&1
  # Every image made here carries the label: the bases, the build stage and the image itself.
  if [ -z "$KEEP" ]; then
    "${PODMAN[@]}" images -aq --filter "label=$LABEL" | sort -u | xargs -r "${PODMAN[@]}" rmi -f >/dev/null 2>&1
    "${PODMAN[@]}" rmi -f "$IMAGE" "$JRE_BASE" "$BUILD_BASE" >/dev/null 2>&1
  fi
  rm -rf "$WORK"
  left=$("${PODMAN[@]}" ps -aq --filter "label=$LABEL"; "${PODMAN[@]}" images -aq --filter "label=$LABEL";
         "${PODMAN[@]}" volume ls -q --filter "label=$LABEL"; "${PODMAN[@]}" network ls -q --filter "name=^$NET\$")
  [ -z "$left" ] || echo "containers: clean-up left: $left"
  say "cleaned up; took $(( $(date +%s) - STARTED ))s in all"
  if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
    failed=1
    echo "containers: FAIL stopped with exit code $rc before its checks were done"
  fi
  echo "containers: $passed passed, $failed failed"
  [ "$rc" = 0 ] && [ "$failed" != 0 ] && rc=1
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# ---------------------------------------------------------------- HTTP helpers (127.0.0.1 only)

# port CONTAINER: the host port its 8080 is published on
port() { "${PODMAN[@]}" port "$1" 8080/tcp | head -n 1 | sed -E 's/.*:([0-9]+)$/\1/'; }
# http METHOD PORT PATH [BODY]: prints "STATUS BODY" on one line; STATUS is 000 when no answer,
# and 503-without-Retry-After for a 503 that does not say when to come back.
http() {
  local out code
  local -a data=()
  [ $# -ge 4 ] && data=(-H 'Content-Type: application/json' -d "$4")
  out=$(curl -s --max-time 40 -w '\n%{http_code} %header{retry-after}' "${AUTH[@]}" -X "$1" "http://127.0.0.1:$2$3" "${data[@]}") || true
  local nl=$'\n'
  code=${out##*"$nl"}
  case "$code" in
    "503 ") code=503-without-Retry-After ;;
    *) code=${code%% *} ;;
  esac
  printf '%s %s\n' "${code:-000}" "$(printf '%s' "${out%"$nl"*}" | tr -d '\n')"
}
# again STATUS: whether an answer is worth asking again: no answer yet, or a 503 with Retry-After
again() { [ "$1" = 000 ] || [ "$1" = 503 ]; }
# until_ready PORT SECONDS: waits for /health/ready
until_ready() {
  local deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    curl -sf --max-time 2 "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}
# cluster_size PORT: how many nodes this node's GET /v1/cluster lists (each answered over the event bus)
cluster_size() {
  curl -s --max-time 10 "${AUTH[@]}" "http://127.0.0.1:$1/v1/cluster" 2>/dev/null | jq -r '.nodes | length' 2>/dev/null || echo 0
}
# until_cluster SECONDS N CONTAINER...: every listed container is ready and sees N nodes
until_cluster() {
  local deadline=$(( $(date +%s) + $1 )) want=$2 c all
  shift 2
  while [ "$(date +%s)" -lt "$deadline" ]; do
    all=1
    for c in "$@"; do
      [ "$(cluster_size "$(port "$c")")" = "$want" ] || { all=0; break; }
    done
    [ "$all" = 1 ] && return 0
    sleep 1
  done
  return 1
}
node_id() { curl -s --max-time 10 "${AUTH[@]}" "http://127.0.0.1:$1/v1/cluster" | jq -r '.node'; }

# ---------------------------------------------------------------- 1. base images and the image

# Debian's mirror as this machine's apt is set up (the default of debootstrap where none is found).
MIRROR=$(sed -n -E 's/^URIs:[[:space:]]*([^[:space:]]+\/debian)\/?$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$MIRROR" ] || MIRROR=$(sed -n -E 's/^deb[[:space:]]+([^[:space:]]+\/debian)\/?[[:space:]]+.*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
SUITE=bookworm   # the Debian release that has openjdk-17

# rootfs DIR PACKAGES: a minimal Debian with these packages, without package caches and docs
rootfs() {
  local t0=$SECONDS
  debootstrap --variant=minbase --include="$2" "$SUITE" "$1" ${MIRROR:+"$MIRROR"} > "$1.log" 2>&1 \
    || { tail -n 20 "$1.log"; return 1; }
  say "  debootstrap of $(basename "$1") took $(( SECONDS - t0 ))s"
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/usr/share/doc/* "$1"/usr/share/man/* \
    "$1"/usr/share/info/* "$1"/usr/share/locale/* "$1"/var/log/*.log "$1"/var/cache/debconf/*-old
}
# import DIR NAME: the root filesystem as an image of one layer, labelled for the clean-up
import() {
  tar -C "$1" -c . | "${PODMAN[@]}" import -q --change "LABEL $IMAGE_LABEL" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV LANG=C.UTF-8" - "$2" >/dev/null
}

make_bases() {
  say "debootstrap $SUITE from ${MIRROR:-the default mirror of debootstrap}: openjdk-17-jre-headless (runtime), openjdk-17-jdk-headless + maven (build)"
  local t0 jre_pid build_pid
  t0=$(date +%s)
  rootfs "$WORK/jre" openjdk-17-jre-headless,ca-certificates & jre_pid=$!
  rootfs "$WORK/build" openjdk-17-jdk-headless,maven,ca-certificates & build_pid=$!
  wait "$jre_pid" || die "debootstrap of the runtime base"
  wait "$build_pid" || die "debootstrap of the build base"
  # The machine's own trust store, for Maven in the build stage: where outbound HTTPS goes through
  # a proxy with a CA of its own, Maven cannot reach Maven Central without it.
  cp /etc/ssl/certs/ca-certificates.crt "$WORK/build/etc/ssl/certs/ca-certificates.crt"
  if [ -f /etc/ssl/certs/java/cacerts ]; then cp /etc/ssl/certs/java/cacerts "$WORK/build/etc/ssl/certs/java/cacerts"; fi
  local t1=$SECONDS
  import "$WORK/jre" "$JRE_BASE"
  import "$WORK/build" "$BUILD_BASE"
  rm -rf "$WORK/jre" "$WORK/build"
  say "  imported in $(( SECONDS - t1 ))s"
  say "bases made in $(( $(date +%s) - t0 ))s"
}
make_image() {
  local t0
  local -a build=("${PODMAN[@]}" build --isolation chroot --network host --pull=never --layers=false -f Dockerfile
                  --build-arg "BUILD_IMAGE=$BUILD_BASE" --build-arg "BASE_IMAGE=$JRE_BASE" -t "$IMAGE")
  # The machine's Maven repository (mvn verify has just filled it) as an overlay: the build stage
  # reads what is there and downloads only what is missing; nothing it writes reaches the host.
  if [ -d "$HOME/.m2/repository" ] && [ -z "${TASKLOOP_CONTAINER_COLD_MAVEN:-}" ]; then
    build+=(--volume "$HOME/.m2:/root/.m2:O")
  fi
  t0=$(date +%s)
  "${build[@]}" . > "$LOGS/build.log" 2>&1 || { tail -n 30 "$LOGS/build.log"; die "podman build (log in $LOGS/build.log)"; }
  say "image built from the Dockerfile in $(( $(date +%s) - t0 ))s"
}
exists() { "${PODMAN[@]}" image exists "$1"; }
if [ -n "$KEEP" ] && exists "$JRE_BASE" && exists "$BUILD_BASE"; then say "kept bases used again"; else make_bases; fi
if [ -n "$KEEP" ] && exists "$IMAGE"; then say "kept image used again"; else make_image; fi

size=$("${PODMAN[@]}" image inspect "$IMAGE" --format '{{.Size}}')
say "image size: $(( size / 1000000 )) MB ($size bytes)"
inspect() { "${PODMAN[@]}" image inspect "$IMAGE" --format "$1"; }
[ "$(inspect '{{.Config.User}}')" = "10001:0" ] && ok "image runs as 10001:0" || bad "image user is $(inspect '{{.Config.User}}')"
inspect '{{json .Config.Volumes}}' | jq -e 'has("/data")' >/dev/null && ok "image declares VOLUME /data" || bad "no VOLUME /data"
inspect '{{json .Config.Env}}' | jq -e 'index("TASKLOOP_DATA_DIR=/data") != null' >/dev/null \
  && ok "image sets TASKLOOP_DATA_DIR=/data" || bad "TASKLOOP_DATA_DIR is not /data"
inspect '{{json .Config.ExposedPorts}}' | jq -e 'has("8080/tcp") and has("5701/tcp")' >/dev/null \
  && ok "image exposes 8080 (HTTP) and 5701 (Hazelcast)" || bad "exposed ports: $(inspect '{{json .Config.ExposedPorts}}')"
inspect '{{json .Config.Env}}' | jq -e 'map(select(startswith("JDK_JAVA_OPTIONS=") and contains("-XX:+UseZGC"))) | length == 1' \
  >/dev/null && ok "JDK_JAVA_OPTIONS turns ZGC on" || bad "JDK_JAVA_OPTIONS lacks -XX:+UseZGC"
jdk_tools=$("${PODMAN[@]}" run --rm "${RUN_FLAGS[@]}" --entrypoint /bin/sh "$IMAGE" -c \
  'for t in javac jar jshell jlink mvn; do command -v $t; done; ls /usr/lib/jvm/*/bin | grep -x javac; true')
[ -z "$jdk_tools" ] && ok "runtime is JRE-only (no javac, jar, jshell, jlink, mvn)" || bad "runtime has JDK tools: $jdk_tools"

# ---------------------------------------------------------------- 2. one container

say "one container"
"${PODMAN[@]}" run -d --name "$SINGLE" "${RUN_FLAGS[@]}" -p 127.0.0.1::8080 "$IMAGE" >/dev/null
P=$(port "$SINGLE")
until_ready "$P" 90 || die "/health/ready on the single container (127.0.0.1:$P)"
ok "/health/ready answers through 127.0.0.1:$P"
[ "$("${PODMAN[@]}" exec "$SINGLE" id -u):$("${PODMAN[@]}" exec "$SINGLE" id -g)" = "10001:0" ] \
  && ok "the process runs as UID 10001, GID 0" || bad "the process runs as $("${PODMAN[@]}" exec "$SINGLE" id)"
cmdline=$("${PODMAN[@]}" exec "$SINGLE" cat /proc/1/cmdline | tr '\0' ' ' | sed 's/ $//')
entrypoint=$(inspect '{{json .Config.Entrypoint}}' | jq -r 'join(" ")')
[ "$cmdline" = "$entrypoint" ] && ok "PID 1 is the entrypoint: $cmdline" || bad "PID 1 is '$cmdline', not '$entrypoint'"
hz_flags=$(sed -n -E 's/.*<hazelcast.jvm.flags>(.*)<\/hazelcast.jvm.flags>.*/\1/p' pom.xml)
[[ " $cmdline " == *" $hz_flags "* && "$cmdline" == *"-Dhazelcast.phone.home.enabled=false"* ]] \
  && ok "with pom.xml's Hazelcast flags and phone-home off" || bad "PID 1 lacks the Hazelcast flags"
metrics=$(curl -s --max-time 10 "${AUTH[@]}" "http://127.0.0.1:$P/metrics" || true)
grep -q 'jvm_memory_used_bytes{area="heap",id="ZHeap"' <<<"$metrics" \
  && ok "the JVM runs ZGC (its heap is ZHeap in /metrics)" || bad "no ZHeap in /metrics: not ZGC"
# MaxRAMPercentage=75 of the container's 1 GiB limit: 768 MiB.
heap=$(sed -n -E 's/^jvm_memory_max_bytes\{area="heap",id="ZHeap"\} ([0-9.E+]+).*/\1/p' <<<"$metrics" | awk '{printf "%d", $1}')
[ "${heap:-0}" = 805306368 ] && ok "the heap is sized from the container's memory limit: $(( heap >> 20 )) MiB of 1 GiB" \
  || bad "max heap ${heap:-unknown} bytes, not 75% of the 1 GiB limit"
"${PODMAN[@]}" exec "$SINGLE" sh -c 'test "$TASKLOOP_DATA_DIR" = /data && test "$(stat -c %u:%g:%a /data)" = 10001:0:775 && touch /data/probe && rm /data/probe' \
  && ok "/data (an anonymous volume here) is 10001:0, mode 775, writable by the node" \
  || bad "/data is $("${PODMAN[@]}" exec "$SINGLE" stat -c %u:%g:%a /data), not writable by 10001"
unauthorized=$(curl -s -o /dev/null -w '%{http_code} %header{www-authenticate}' --max-time 10 -X POST \
  -H 'Content-Type: application/json' -d '{"type":"sleep","delay_ms":0}' "http://127.0.0.1:$P/v1/tasks" || true)
[[ "$unauthorized" == "401 Bearer"* ]] && ok "beyond loopback the image asks for a key: $unauthorized" \
  || bad "a create without a key got '$unauthorized', not 401 with WWW-Authenticate: Bearer"
read -r status body < <(http POST "$P" "/v1/tasks?wait=5" '{"type":"sleep","delay_ms":200,"result":"hi"}')
[ "$status" = 201 ] && [ "$(jq -r .result <<<"$body")" = hi ] && ok "a sleep task runs to its result" \
  || bad "sleep task: $status $body"
ui=$(curl -s --max-time 10 "http://127.0.0.1:$P/ui" | grep -c 'src="/ui/vendor/alpine.js"' || true)
vendor=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 10 "http://127.0.0.1:$P/ui/vendor/echarts.js" || true)
[ "$ui" = 1 ] && [[ "$vendor" == "200 "* ]] && ok "the dashboard is served from the image, its libraries too (echarts.js: $vendor bytes)" \
  || bad "/ui: page matched $ui, /ui/vendor/echarts.js answered '$vendor'"
t0=$(date +%s%N)
"${PODMAN[@]}" stop -t 10 "$SINGLE" >/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
code=$("${PODMAN[@]}" inspect "$SINGLE" --format '{{.State.ExitCode}}')
[ "$code" = 143 ] && ok "SIGTERM: exited by itself in ${ms} ms (code 143; podman stop's grace is 10 s)" \
  || bad "SIGTERM: exit code $code after ${ms} ms (137 means the grace ran out)"
"${PODMAN[@]}" logs "$SINGLE" > "$LOGS/$SINGLE.log" 2>&1
"${PODMAN[@]}" rm -f -v "$SINGLE" >/dev/null   # -v: and its anonymous /data volume

# ---------------------------------------------------------------- 3. three containers, one cluster

"${PODMAN[@]}" network create --label "$LABEL" "$NET" >/dev/null
for v in "${VOLUMES[@]}"; do "${PODMAN[@]}" volume create --label "$LABEL" "$v" >/dev/null; done
# start_node I: kubernetes mode, the alias as the service name; cluster host and public host as
# the image has them (0.0.0.0, none): what a docker or podman user gets.
start_node() {
  "${PODMAN[@]}" run -d --name "${NODES[$1]}" --hostname "taskloop-$1" "${RUN_FLAGS[@]}" \
    --network "$NET" --network-alias "$SERVICE" -p 127.0.0.1::8080 -v "${VOLUMES[$1]}:/data" \
    -e TASKLOOP_CLUSTER_MODE=kubernetes -e TASKLOOP_CLUSTER_SERVICE_DNS="$SERVICE" -e TASKLOOP_LOOPS=2 \
    "$IMAGE" >/dev/null
}
say "three containers started at the same moment on network $NET, alias $SERVICE"
t0=$(date +%s)
pids=()
for i in 0 1 2; do start_node "$i" 2>> "$LOGS/podman-run.log" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid" || die "podman run of a node (see $LOGS/podman-run.log)"; done
until_cluster 180 3 "${NODES[@]}" || die "one cluster of three did not form within 180 s"
ok "one cluster of three formed in $(( $(date +%s) - t0 ))s: each node's /v1/cluster lists 3 nodes answering over the event bus"
# What each node advertises: its address on the network, never the wildcard it is bound to.
for i in 0 1 2; do
  ip=$("${PODMAN[@]}" inspect "${NODES[$i]}" --format "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}")
  line=$("${PODMAN[@]}" logs "${NODES[$i]}" 2>&1 | grep -m 1 'event bus at' || true)
  [[ "$line" == *"event bus at $ip:"* ]] && ok "node $i: ${line##*Main - }" || bad "node $i (at $ip) logs: ${line:-no event bus line}"
done

PORTS=()
IDS=()
refresh_ports() { PORTS=(); for c in "${NODES[@]}"; do PORTS+=("$(port "$c")"); done; }
refresh_ids() { IDS=(); for p in "${PORTS[@]}"; do IDS+=("$(node_id "$p")"); done; }
refresh_ports
refresh_ids

# The tasks of one wave, created through every node: sleeps, external futures completed later,
# event waiters woken by PUT /v1/events, a gather of inline children, a gather over tasks of
# another node (by id), and a wait_for around an event. EXPECT[id] is the result each must end with.
declare -A EXPECT=() EXTERNAL=() OWNER=()
EVENTS=()
WAVE=()
create() { # create PORT SPEC EXPECTED-RESULT: adds the task to WAVE, its id in CREATED
  local status body
  read -r status body < <(http POST "$1" /v1/tasks "$2")
  if [ "$status" != 201 ]; then
    echo "   create through $1: $status $body"
    return 1
  fi
  CREATED=$(jq -r .id <<<"$body")
  EXPECT[$CREATED]=$(jq -c . <<<"$3")
  OWNER[$CREATED]=$(jq -r .loop.node <<<"$body")
  WAVE+=("$CREATED")
}
wave() { # wave TAG SLEEP-MS: creates the wave's tasks, 10 through each node and 3 gathers across nodes
  local tag=$1 d=$2 i k p n
  local -a first_ext=() first_sleep=()
  WAVE=()
  EVENTS=()
  for i in 0 1 2; do
    p=${PORTS[$i]}
    EVENTS+=("$tag-ev-$i")
    for k in 0 1 2; do
      create "$p" "{\"type\":\"sleep\",\"delay_ms\":$((d + k * 1000)),\"result\":\"$tag-sleep-$i-$k\"}" "\"$tag-sleep-$i-$k\"" || return 1
      if [ "$k" = 0 ]; then first_sleep[$i]=$CREATED; fi
    done
    for k in 0 1; do
      create "$p" "{\"type\":\"external\",\"name\":\"$tag-ext-$i-$k\"}" "{\"n\":\"$tag-ext-$i-$k\"}" || return 1
      EXTERNAL[$CREATED]="{\"result\":{\"n\":\"$tag-ext-$i-$k\"}}"
      if [ "$k" = 0 ]; then first_ext[$i]=$CREATED; fi
    done
    for k in 0 1; do
      create "$p" "{\"type\":\"event\",\"event\":\"$tag-ev-$i\"}" "\"go-$tag-ev-$i\"" || return 1
    done
    create "$p" "{\"type\":\"gather\",\"tasks\":[{\"type\":\"sleep\",\"delay_ms\":$d,\"result\":\"g\"},{\"type\":\"event\",\"event\":\"$tag-ev-$i\"}]}" \
      "[\"g\",\"go-$tag-ev-$i\"]" || return 1
    create "$p" "{\"type\":\"wait_for\",\"task\":{\"type\":\"event\",\"event\":\"$tag-ev-$i\"},\"timeout_ms\":600000}" \
      "\"go-$tag-ev-$i\"" || return 1
  done
  # Gathers over tasks of the next node, by id: composites told across nodes when a child ends.
  for i in 0 1 2; do
    n=$(( (i + 1) % 3 ))
    create "${PORTS[$i]}" "{\"type\":\"gather\",\"tasks\":[\"${first_ext[$n]}\",\"${first_sleep[$n]}\"]}" \
      "[{\"n\":\"$tag-ext-$n-0\"},\"$tag-sleep-$n-0\"]" || return 1
  done
}
# forwards: requests the three nodes have passed to another node over the event bus, in all
forwards() {
  local p total=0 n
  for p in "${PORTS[@]}"; do
    n=$(curl -s --max-time 10 "${AUTH[@]}" "http://127.0.0.1:$p/metrics" | sed -n -E 's/^taskloop_forwards_total\{scope="node"\} ([0-9]+).*/\1/p')
    total=$(( total + ${n:-0} ))
  done
  echo "$total"
}
# read_across: every task of WAVE read through a node that does not own it (which passes the
# request to the owner over the event bus and the answer back).
read_across() {
  local id j p status body before
  ACROSS_BAD=0
  before=$(forwards)
  for id in "${WAVE[@]}"; do
    for j in 0 1 2; do if [ "${IDS[$j]}" = "${OWNER[$id]}" ]; then break; fi; done
    p=${PORTS[$(( (j + 1) % 3 ))]}
    read -r status body < <(http GET "$p" "/v1/tasks/$id")
    if [ "$status" != 200 ] || [ "$(jq -r .id <<<"$body")" != "$id" ]; then
      echo "   $id through node $(( (j + 1) % 3 )): $status $(head -c 300 <<<"$body")"
      ACROSS_BAD=$((ACROSS_BAD + 1))
    fi
  done
  ACROSS_FORWARDS=$(( $(forwards) - before ))
}
# read_all SECONDS GONE PORT...: every task of WAVE answers 200 through the given nodes in turn,
# owned by any node but GONE (a node that was killed or stopped; - for none). A 503 with
# Retry-After while adoption runs, or an owner that is still GONE, is asked again until the
# bound (READ_503 counts those answers); anything else fails at once.
read_all() {
  local deadline=$(( $(date +%s) + $1 )) gone=$2 id n=0 status body p owner
  shift 2
  local -a ports=("$@")
  READ_BAD=0
  READ_503=0
  for id in "${WAVE[@]}"; do
    p=${ports[$(( n % ${#ports[@]} ))]}
    n=$((n + 1))
    while :; do
      read -r status body < <(http GET "$p" "/v1/tasks/$id")
      owner=$(jq -r '.loop.node // empty' <<<"$body" 2>/dev/null || true)
      if [ "$status" = 200 ] && [ "$owner" != "$gone" ]; then
        OWNER[$id]=$owner
        break
      fi
      if [ "$status" = 503 ]; then READ_503=$((READ_503 + 1)); fi
      if { [ "$status" != 200 ] && ! again "$status"; } || [ "$(date +%s)" -ge "$deadline" ]; then
        echo "   $id through $p: $status $(head -c 300 <<<"$body")"
        READ_BAD=$((READ_BAD + 1))
        break
      fi
      sleep 0.5
    done
  done
}
# finish PORT...: sets the wave's events and completes its external tasks through the given
# nodes (a 503 is asked again), then long-polls every task to its end and checks its result.
finish() {
  local -a ports=("$@")
  local id ev status body n=0 p state result deadline=$(( $(date +%s) + 150 ))
  for ev in "${EVENTS[@]}"; do
    p=${ports[$(( n++ % ${#ports[@]} ))]}
    until read -r status body < <(http PUT "$p" "/v1/events/$ev" "{\"payload\":\"go-$ev\"}") && [[ "$status" == 20? ]]; do
      if ! again "$status" || [ "$(date +%s)" -ge "$deadline" ]; then bad "set event $ev: $status $body"; break; fi
      sleep 0.5
    done
  done
  for id in "${WAVE[@]}"; do
    [ -n "${EXTERNAL[$id]:-}" ] || continue
    p=${ports[$(( n++ % ${#ports[@]} ))]}
    until read -r status body < <(http POST "$p" "/v1/tasks/$id/complete" "${EXTERNAL[$id]}") && [ "$status" = 200 ]; do
      if ! again "$status" || [ "$(date +%s)" -ge "$deadline" ]; then bad "complete $id: $status $body"; break; fi
      sleep 0.5
    done
  done
  FINISH_BAD=0
  for id in "${WAVE[@]}"; do
    p=${ports[$(( n++ % ${#ports[@]} ))]}
    while :; do
      read -r status body < <(http GET "$p" "/v1/tasks/$id?wait=25")
      state=$(jq -r '.state // empty' <<<"$body" 2>/dev/null || true)
      if [ "$status" = 200 ] && [ "$state" != pending ] && [ "$state" != running ]; then
        result=$(jq -c .result <<<"$body")
        if [ "$state" != succeeded ] || [ "$result" != "${EXPECT[$id]}" ]; then
          echo "   $id: $state $result $(jq -c .error <<<"$body"), expected succeeded ${EXPECT[$id]}"
          FINISH_BAD=$((FINISH_BAD + 1))
        fi
        break
      fi
      if { [ "$status" != 200 ] && ! again "$status"; } || [ "$(date +%s)" -ge "$deadline" ]; then
        echo "   $id through $p: $status $(head -c 300 <<<"$body")"
        FINISH_BAD=$((FINISH_BAD + 1))
        break
      fi
      if [ "$status" != 200 ]; then sleep 0.5; fi
    done
  done
}
owned_by() { local n=0 id; for id in "${WAVE[@]}"; do if [ "${OWNER[$id]}" = "$1" ]; then n=$((n + 1)); fi; done; echo "$n"; }

# -- mixed tasks through all three, read across nodes
wave kill 25000 || die "creating the tasks"
ok "${#WAVE[@]} tasks created through all three nodes (owners: $(owned_by "${IDS[0]}"), $(owned_by "${IDS[1]}"), $(owned_by "${IDS[2]}"))"
read_across
[ "$ACROSS_BAD" = 0 ] && [ "$ACROSS_FORWARDS" -ge "${#WAVE[@]}" ] \
  && ok "every task read through a node that does not own it ($ACROSS_FORWARDS requests passed node to node)" \
  || bad "reads across nodes: $ACROSS_BAD failed, $ACROSS_FORWARDS passed node to node for ${#WAVE[@]} tasks"

# -- SIGKILL one container; the survivors adopt its tasks
VICTIM=1
dead=${IDS[$VICTIM]}
theirs=$(owned_by "$dead")
t0=$(date +%s)
"${PODMAN[@]}" kill --signal KILL "${NODES[$VICTIM]}" >/dev/null
say "SIGKILLed ${NODES[$VICTIM]} (node $dead, owner of $theirs tasks)"
SURVIVORS=("${PORTS[0]}" "${PORTS[2]}")
read_all 90 "$dead" "${SURVIVORS[@]}"
[ "$READ_BAD" = 0 ] && ok "every task readable through the survivors $(( $(date +%s) - t0 ))s after the kill: $theirs of $theirs adopted ($READ_503 answers were 503 + Retry-After meanwhile)" \
  || bad "after the kill: $READ_BAD of ${#WAVE[@]} unreadable or still owned by the dead node"
until_cluster 60 2 "${NODES[0]}" "${NODES[2]}" && ok "the survivors see a cluster of two" || bad "the survivors do not agree on two nodes"
finish "${SURVIVORS[@]}"
[ "$FINISH_BAD" = 0 ] && ok "all ${#WAVE[@]} tasks ended right through the survivors (sleeps, externals, events, gathers, wait_for)" \
  || bad "$FINISH_BAD tasks did not end right after the kill"

# -- podman start the killed one, then stop and start each in turn
"${PODMAN[@]}" start "${NODES[$VICTIM]}" >/dev/null
until_cluster 180 3 "${NODES[@]}" || die "the killed container did not rejoin within 180 s"
ok "the killed container started again and rejoined: three nodes"
refresh_ports
refresh_ids
wave roll 60000 || die "creating the tasks of the rolling restart"
ok "${#WAVE[@]} tasks created for the rolling restart"
for i in 0 1 2; do
  gone=${IDS[$i]}
  t0=$(date +%s%N)
  "${PODMAN[@]}" stop -t 60 "${NODES[$i]}" >/dev/null
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  code=$("${PODMAN[@]}" inspect "${NODES[$i]}" --format '{{.State.ExitCode}}')
  [ "$code" = 143 ] && ok "podman stop ${NODES[$i]}: handed its tasks over and exited in ${ms} ms" \
    || bad "podman stop ${NODES[$i]}: exit code $code after ${ms} ms"
  others=()
  for j in 0 1 2; do if [ "$j" != "$i" ]; then others+=("${PORTS[$j]}"); fi; done
  read_all 60 "$gone" "${others[@]}"
  [ "$READ_BAD" = 0 ] && ok "  every task readable on the other two, none owned by the stopped node" \
    || bad "  with ${NODES[$i]} stopped: $READ_BAD unreadable or still its"
  "${PODMAN[@]}" start "${NODES[$i]}" >/dev/null
  until_cluster 180 3 "${NODES[@]}" || die "${NODES[$i]} did not rejoin within 180 s"
  refresh_ports
  IDS[$i]=$(node_id "${PORTS[$i]}")
  ok "  ${NODES[$i]} started again and rejoined"
done
finish "${PORTS[@]}"
[ "$FINISH_BAD" = 0 ] && ok "all ${#WAVE[@]} tasks ended right after the rolling restart" \
  || bad "$FINISH_BAD tasks did not end right after the rolling restart"

# ---------------------------------------------------------------- 4. a full stop and start (the journal)

journal_full_stop_start() {
  wave journal 45000 || die "creating the tasks of the full stop"
  ok "${#WAVE[@]} tasks created before a full stop"
  local t0 c
  t0=$(date +%s)
  "${PODMAN[@]}" stop -t 60 "${NODES[@]}" >/dev/null
  for c in "${NODES[@]}"; do "${PODMAN[@]}" start "$c" >/dev/null; done
  until_cluster 180 3 "${NODES[@]}" || die "the cluster did not form again after a full stop"
  refresh_ports
  ok "all three stopped and started again in $(( $(date +%s) - t0 ))s, each with its own volume"
  read_all 90 - "${PORTS[@]}"
  if [ "$READ_BAD" != 0 ]; then
    bad "$READ_BAD of ${#WAVE[@]} tasks lost in the full stop"
    return
  fi
  ok "every task readable after the full stop"
  finish "${PORTS[@]}"
  [ "$FINISH_BAD" = 0 ] && ok "all ${#WAVE[@]} tasks ended right after the full stop" \
    || bad "$FINISH_BAD tasks did not end right after the full stop"
}
journal_full_stop_start

for c in "${NODES[@]}"; do "${PODMAN[@]}" logs "$c" > "$LOGS/$c.log" 2>&1; done
