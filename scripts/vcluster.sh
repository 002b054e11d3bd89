#!/usr/bin/env bash
# A cluster of virtual nodes on this machine, for multi-node runs without a cluster (as root).
# Each node has its own network namespace (an address on a bridge), hostname, CLOCK_MONOTONIC
# origin and, optionally, a CPU share; Open MPI reaches them through an rsh agent that enters
# the node, and its ranks talk TCP over the bridge.
#
#   scripts/vcluster.sh up N [--offsets S1,S2,...] [--cpu P1,P2,...]
#       N nodes gvc1..gvcN at 10.77.0.11.. ; node i's monotonic clock shifted by Si seconds
#       (default: 0,+37,-23,... both signs against the first node); Pi: its CPU share in % of
#       one core (cgroup v1 cpu.cfs_quota_us; default unlimited).
#   scripts/vcluster.sh mpirun [mpirun options...]      mpirun across every node, 2 slots each
#                                                        (GORGON_VC_SLOTS=K for K)
#   scripts/vcluster.sh exec NODE COMMAND...             a command on one node (gvc2 or 2)
#   scripts/vcluster.sh status | down
# `up` replaces a cluster already up; `down` removes whatever is left (safe to run twice).
set -euo pipefail

STATE=${GORGON_VC_STATE:-/run/gorgon-vcluster}
BRIDGE=gvcbr0
SUBNET=10.77.0
CGROUP=/sys/fs/cgroup/cpu/gorgon-vcluster
SELF=$(readlink -f "$0")

die() { echo "vcluster: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network, UTS and time namespaces, cgroups)"

node_ip() { echo "$SUBNET.$((10 + $1))"; }

# The node number of a name as Open MPI or a user gives it: gvc2, 2, 10.77.0.12.
node_of() {
  case "$1" in
    gvc[0-9]*) echo "${1#gvc}" ;;
    "$SUBNET".*) echo $(( ${1##*.} - 10 )) ;;
    [0-9]*) echo "$1" ;;
    *) die "unknown node '$1'" ;;
  esac
}

down() {
  # Only what `up` made: the gvcN namespaces (and every process in them), their veths, the
  # bridge, the cgroups, the state files.
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^gvc[0-9]*$' || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip link delete "$ns-h" 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
  done
  ip link delete "$BRIDGE" 2>/dev/null || true
  if [ -d "$CGROUP" ]; then
    for g in "$CGROUP"/gvc*; do
      [ -d "$g" ] || continue
      while read -r p; do echo "$p" > /sys/fs/cgroup/cpu/cgroup.procs 2>/dev/null || true; done < "$g/cgroup.procs"
      rmdir "$g" 2>/dev/null || true
    done
    rmdir "$CGROUP" 2>/dev/null || true
  fi
  if [ -d "$STATE" ]; then
    rm -f "$STATE"/nodes "$STATE"/node*.pid "$STATE"/node*.offset "$STATE"/node*.err
    rmdir "$STATE" 2>/dev/null || true
  fi
}

up() {
  local n=$1; shift
  local offsets="" cpus=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --offsets) offsets=$2; shift 2 ;;
      --cpu) cpus=$2; shift 2 ;;
      *) die "unknown option '$1'" ;;
    esac
  done
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 50 ] || die "N must be 1..50"
  if [ -n "$cpus" ] && [ ! -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
    die "--cpu needs cgroup v1's cpu controller at /sys/fs/cgroup/cpu"
  fi
  down
  trap 'echo "vcluster: up failed; cleaning up" >&2; down' ERR
  mkdir -p "$STATE"
  ip link add "$BRIDGE" type bridge
  ip addr add "$SUBNET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  IFS=, read -r -a off <<< "${offsets:-0,37,-23,61,-47,13,-71,29}"
  IFS=, read -r -a cpu <<< "$cpus"
  for i in $(seq 1 "$n"); do
    local ns=gvc$i ip; ip=$(node_ip "$i")
    ip netns add "$ns"
    ip link add "$ns-h" type veth peer name eth0 netns "$ns"
    ip link set "$ns-h" master "$BRIDGE" up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    local s=${off[$(( (i - 1) % ${#off[@]} ))]:-0}
    # The node's holder: its own hostname and clock origin, kept while the cluster is up.
    ip netns exec "$ns" unshare --uts --time --monotonic="$s" --fork \
      sh -c 'hostname "$1"; echo "$2" > "$3"; exec sleep infinity' sh "$ns" "$s" \
      "$STATE/node$i.offset" </dev/null >/dev/null 2>"$STATE/node$i.err" &
    echo $! > "$STATE/node$i.pid"
    local p=${cpu[$((i - 1))]:-}
    if [ -n "$p" ]; then
      mkdir -p "$CGROUP/$ns"
      echo 100000 > "$CGROUP/$ns/cpu.cfs_period_us"
      echo $((p * 1000)) > "$CGROUP/$ns/cpu.cfs_quota_us"
    fi
  done
  echo "$n" > "$STATE/nodes"
  # Wait for every holder to be in its namespaces.
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 100); do [ -f "$STATE/node$i.offset" ] && break; sleep 0.05; done
    if [ ! -f "$STATE/node$i.offset" ]; then
      echo "vcluster: node $i did not start: $(cat "$STATE/node$i.err" 2>/dev/null)" >&2
      down
      exit 1
    fi
  done
  trap - ERR
  echo "vcluster: $n nodes up: $(for i in $(seq 1 "$n"); do printf 'gvc%d=%s(%+ds) ' "$i" "$(node_ip "$i")" "$(cat "$STATE/node$i.offset")"; done)"
}

# The holder process of node i: the innermost child of the unshare, which has the namespaces.
holder() {
  local pid; pid=$(cat "$STATE/node$1.pid" 2>/dev/null) || die "node $1 is not up"
  local child; child=$(pgrep -P "$pid" | head -n1)
  [ -n "$child" ] || die "node $1's holder is gone (scripts/vcluster.sh up again)"
  echo "$child"
}

# exec NODE COMMAND...: in the node's network, UTS and time namespaces and its CPU cgroup.
node_exec() {
  local i; i=$(node_of "$1"); shift
  local h; h=$(holder "$i")
  local g="$CGROUP/gvc$i"
  if [ -d "$g" ]; then
    exec nsenter -t "$h" --net --uts --time -- sh -c 'echo $$ > "$0/cgroup.procs"; exec "$@"' "$g" "$@"
  fi
  exec nsenter -t "$h" --net --uts --time -- "$@"
}

# Open MPI's rsh agent: called as AGENT [ssh options] HOST COMMAND-STRING...
rsh() {
  while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done
  local host=$1; shift
  node_exec "$host" sh -c "$*"
}

run_mpirun() {
  [ -f "$STATE/nodes" ] || die "no cluster is up (scripts/vcluster.sh up N)"
  local n; n=$(cat "$STATE/nodes")
  local slots=${GORGON_VC_SLOTS:-2} hosts=""
  for i in $(seq 1 "$n"); do hosts+="${hosts:+,}$(node_ip "$i"):$slots"; done
  exec mpirun --host "$hosts" --mca plm_rsh_agent "$SELF rsh" \
    --mca btl tcp,self --mca btl_tcp_if_include "$SUBNET.0/24" \
    --mca oob_tcp_if_include "$SUBNET.0/24" --mca plm_rsh_no_tree_spawn 1 \
    -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM "$@"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  status) [ -f "$STATE/nodes" ] && echo "up: $(cat "$STATE/nodes") nodes" || echo "down" ;;
  exec) shift; node_exec "$@" ;;
  rsh) shift; rsh "$@" ;;
  mpirun) shift; run_mpirun "$@" ;;
  *) sed -n '2,17p' "$SELF"; exit 2 ;;
esac
