#!/usr/bin/env bash
# A cluster of virtual nodes on this machine, for multi-node runs without a cluster (as root).
# Each node has its own network namespace (an address on a bridge), hostname, CLOCK_MONOTONIC
# origin and, optionally, a CPU share; Open MPI reaches them through an rsh agent that enters
# the node, and its ranks talk TCP over the bridge.
#
#   scripts/vcluster.sh up N [--offsets S1,S2,...] [--cpu P1,P2,...]
#       N nodes gvc1..gvcN at 10.77.0.11.. ; node i's monotonic clock shifted by Si seconds
#       (default: 0,+37,-23,... both signs against the first node); Pi: its CPU share in % of
#       one core (cgroup v1 cpu.cfs_quota_us; empty: unlimited; with --cpu every node has a
#       cgroup of its own, weighing as GORGON_VC_SLOTS ranks would outside it).
#   scripts/vcluster.sh mpirun [mpirun options...]      mpirun across every node, 2 slots each
#                                                        (GORGON_VC_SLOTS=K for K)
#   scripts/vcluster.sh exec NODE COMMAND...             a command on one node (gvc2 or 2)
#   scripts/vcluster.sh slurm start|stop|status          a Slurm across the nodes: munged and
#                                                        slurmctld on gvc1, a slurmd on every node;
#                                                        then SLURM_CONF=STATE/slurm/slurm.conf
#                                                        (GORGON_VC_SLURM_CPUS per node, default 4;
#                                                        GORGON_VC_SLURM_TIMEOUT s to idle, 60)
#   scripts/vcluster.sh status | down
# `up` replaces a cluster already up; `down` removes whatever is left, Slurm too (safe to run
# twice); `slurm start` and `slurm stop` are safe to run twice.
set -euo pipefail

STATE=${GORGON_VC_STATE:-/run/gorgon-vcluster}
BRIDGE=gvcbr0
SUBNET=10.77.0
CGROUP=/sys/fs/cgroup/cpu/gorgon-vcluster-   # + gvcN: one CPU cgroup per node, at the top
SLURM_DIR=$STATE/slurm
SLURM_MARK=$SLURM_DIR/made-by-vcluster
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
  for g in "$CGROUP"gvc*; do
    [ -d "$g" ] || continue
    while read -r p; do echo "$p" > /sys/fs/cgroup/cpu/cgroup.procs 2>/dev/null || true; done < "$g/cgroup.procs"
    rmdir "$g" 2>/dev/null || true
  done
  # Slurm's daemons and job steps lived in the namespaces; their files go too (only a directory
  # `slurm start` made: it holds the mark).
  [ -f "$SLURM_MARK" ] && rm -rf "$SLURM_DIR"
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
  [[ "$cpus" =~ ^[0-9,]*$ ]] || die "--cpu takes whole percentages of one core, e.g. ,,25 (got '$cpus')"
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
    # With --cpu every node has a CPU cgroup of its own, beside the machine's processes; Pi
    # caps node i's. A group competes as one task of its weight (cpu.shares; 1024 is a
    # task's): each node weighs as its slots' ranks would outside a group, so that only the
    # caps make a node differ.
    if [ -n "$cpus" ]; then
      local p=${cpu[$((i - 1))]:-}
      mkdir -p "$CGROUP$ns"
      echo $((1024 * ${GORGON_VC_SLOTS:-2})) > "$CGROUP$ns/cpu.shares"
      echo 100000 > "$CGROUP$ns/cpu.cfs_period_us"
      echo $(( ${p:-0} > 0 ? p * 1000 : -1 )) > "$CGROUP$ns/cpu.cfs_quota_us"
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
  local g="${CGROUP}gvc$i"
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
    --mca osc sm,pt2pt \
    -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM "$@"
}

# ---- Slurm across the nodes: munged and slurmctld on gvc1, one slurmd per node, all inside
# the nodes' namespaces (so `down` ends them with the nodes). Files under $SLURM_DIR.
SLURM_CONF_FILE=$SLURM_DIR/slurm.conf
MUNGE_SOCKET=$SLURM_DIR/munge/munge.socket

# The pids of the processes on node i whose command name is one of NAMES.
node_procs() {
  local i=$1; shift
  local p c
  for p in $(ip netns pids "gvc$i" 2>/dev/null); do
    c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    for name in "$@"; do [ "$c" = "$name" ] && echo "$p"; done
  done
  return 0
}

# The pids of every process below PID.
descendants() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END { n = 1; q[1] = root
          for (i = 1; i <= n; i++) for (p in parent) if (parent[p] == q[i]) { q[++n] = p; print p } }'
}

slurm_write_config() {
  local n=$1 mpi=none mem
  mem=$(free -m | awk '/^Mem:/ {print $2}')
  # Slurm's PMIx plugin dlopens libpmix.so at run time.
  if compgen -G "/usr/lib/*/slurm*/mpi_pmix.so" >/dev/null &&
     { compgen -G "/usr/lib/*/pmix2/lib/libpmix.so" >/dev/null || compgen -G "/usr/lib/*/libpmix.so" >/dev/null; }; then
    mpi=pmix
  fi
  cat > "$SLURM_CONF_FILE" <<CONF
# Written by scripts/vcluster.sh slurm start for the virtual nodes; rewritten on every start.
ClusterName=gorgonvc
SlurmctldHost=gvc1($(node_ip 1))
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool/%n
SlurmctldPidFile=$SLURM_DIR/run/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/run/slurmd-%n.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd-%n.log
TmpFS=$SLURM_DIR/tmp/%n
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=$mpi
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
SwitchType=switch/none
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=600
JobRequeue=0
KillWait=10
InactiveLimit=0
MessageTimeout=20
SchedulerType=sched/backfill
NodeName=gvc[1-$n] NodeAddr=$SUBNET.[11-$((10 + n))] CPUs=${GORGON_VC_SLURM_CPUS:-4} RealMemory=$mem State=UNKNOWN
PartitionName=vc Nodes=gvc[1-$n] Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
}

slurm_logs() {
  local f
  for f in "$SLURM_DIR"/log/*.log; do
    [ -f "$f" ] || continue
    echo "---- $f (last 20 lines)" >&2
    tail -n 20 "$f" >&2
  done
}

# Every node's state as sinfo sees it, e.g. "gvc1:idle gvc2:idle gvc3:idle".
slurm_node_states() {
  SLURM_CONF=$SLURM_CONF_FILE sinfo -h -N -o '%N:%T' 2>/dev/null | sort -u | tr '\n' ' '
}

slurm_running() {
  local n=$1 i
  [ -f "$SLURM_CONF_FILE" ] || return 1
  [ -n "$(node_procs 1 munged)" ] && [ -n "$(node_procs 1 slurmctld)" ] || return 1
  for i in $(seq 1 "$n"); do [ -n "$(node_procs "$i" slurmd)" ] || return 1; done
}

slurm_start() {
  [ -f "$STATE/nodes" ] || die "no cluster is up (scripts/vcluster.sh up N)"
  local n b; n=$(cat "$STATE/nodes")
  for b in munged mungekey slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null || die "'$b' not found: install slurm-wlm and munge (scripts/setup.sh does)"
  done
  if slurm_running "$n"; then
    echo "vcluster: slurm already running: $(slurm_node_states)"
  else
    slurm_stop quiet
    trap 'echo "vcluster: slurm start failed; stopping it" >&2; slurm_logs; slurm_stop quiet' ERR
    mkdir -p "$SLURM_DIR"/{munge,run,log,state}
    : > "$SLURM_MARK"
    chmod 755 "$SLURM_DIR/munge"   # munged wants its socket directory searchable by all
    for i in $(seq 1 "$n"); do mkdir -p "$SLURM_DIR/spool/gvc$i" "$SLURM_DIR/tmp/gvc$i"; done
    slurm_write_config "$n"
    mungekey --create --keyfile="$SLURM_DIR/munge/munge.key" >/dev/null
    chmod 400 "$SLURM_DIR/munge/munge.key"
    # munged's socket is a file: the other nodes reach it through the shared file system
    # (network namespaces separate only abstract sockets).
    (node_exec 1 munged --force --socket="$MUNGE_SOCKET" --key-file="$SLURM_DIR/munge/munge.key" \
      --pid-file="$SLURM_DIR/run/munged.pid" --log-file="$SLURM_DIR/log/munged.log" \
      --seed-file="$SLURM_DIR/munge/munged.seed")
    # -c: no jobs from an earlier start.
    (node_exec 1 env SLURM_CONF="$SLURM_CONF_FILE" slurmctld -c -f "$SLURM_CONF_FILE")
    for i in $(seq 1 "$n"); do
      (node_exec "$i" env SLURM_CONF="$SLURM_CONF_FILE" slurmd -f "$SLURM_CONF_FILE")
    done
    trap - ERR
  fi
  local deadline=$((SECONDS + ${GORGON_VC_SLURM_TIMEOUT:-60})) states=""
  while [ $SECONDS -lt $deadline ]; do
    states=$(slurm_node_states)
    [ "$(grep -o ':idle' <<< "$states" | wc -l)" = "$n" ] && break
    slurm_running "$n" || break
    sleep 0.5
  done
  if [ "$(grep -o ':idle' <<< "$states" | wc -l)" != "$n" ]; then
    echo "vcluster: slurm did not bring $n nodes to idle (sinfo: ${states:-nothing})" >&2
    slurm_logs
    slurm_stop quiet
    exit 1
  fi
  echo "vcluster: slurm up: $states(MpiDefault=$(awk -F= '/^MpiDefault=/ {print $2}' "$SLURM_CONF_FILE"))"
  echo "export SLURM_CONF=$SLURM_CONF_FILE"
}

# Cancels the jobs, stops the daemons, ends what is left of the job steps, removes the files.
slurm_stop() {
  local quiet=${1:-} n=0 i p deadline
  [ -f "$STATE/nodes" ] && n=$(cat "$STATE/nodes")
  if [ "$n" -gt 0 ] && [ -n "$(node_procs 1 slurmctld)" ] && [ -f "$SLURM_CONF_FILE" ]; then
    export SLURM_CONF=$SLURM_CONF_FILE
    if [ -n "$(squeue -h -o %i 2>/dev/null || true)" ]; then
      scancel --quiet --full $(squeue -h -o %i 2>/dev/null) 2>/dev/null || true
      deadline=$((SECONDS + 20))
      while [ $SECONDS -lt $deadline ] && [ -n "$(squeue -h -o %i 2>/dev/null || true)" ]; do
        sleep 0.5
      done
    fi
  fi
  for i in $(seq 1 "$n"); do
    for p in $(node_procs "$i" slurmd slurmctld munged); do kill -TERM "$p" 2>/dev/null || true; done
  done
  deadline=$((SECONDS + 10))
  for i in $(seq 1 "$n"); do
    while [ -n "$(node_procs "$i" slurmd slurmctld munged)" ] && [ $SECONDS -lt $deadline ]; do
      sleep 0.2
    done
    # Job steps outlive slurmd by design; here they must not outlive Slurm.
    for p in $(node_procs "$i" slurmd slurmctld munged slurmstepd); do
      kill -KILL "$p" $(descendants "$p") 2>/dev/null || true
    done
  done
  [ -f "$SLURM_MARK" ] && rm -rf "$SLURM_DIR"
  [ -n "$quiet" ] || echo "vcluster: slurm stopped"
}

slurm_status() {
  local n=0; [ -f "$STATE/nodes" ] && n=$(cat "$STATE/nodes")
  if [ "$n" -gt 0 ] && slurm_running "$n"; then
    echo "slurm: up: $(slurm_node_states)"
    echo "export SLURM_CONF=$SLURM_CONF_FILE"
  else
    echo "slurm: not running"
    return 3
  fi
}

slurm() {
  case "${1:-}" in
    start) slurm_start ;;
    stop) slurm_stop ;;
    status) slurm_status ;;
    *) die "usage: vcluster.sh slurm start|stop|status" ;;
  esac
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  status) [ -f "$STATE/nodes" ] && echo "up: $(cat "$STATE/nodes") nodes" || echo "down" ;;
  exec) shift; node_exec "$@" ;;
  rsh) shift; rsh "$@" ;;
  mpirun) shift; run_mpirun "$@" ;;
  slurm) shift; slurm "$@" ;;
  *) sed -n '2,22p' "$SELF"; exit 2 ;;
esac
