#!/usr/bin/env bash
# A single-node Slurm on this machine, for trying and testing the batch scripts in jobs/.
#
#   scripts/slurm_local.sh start  [STATE_DIR]   start munged, slurmctld and slurmd; wait until idle
#   scripts/slurm_local.sh stop   [STATE_DIR]   cancel every job, stop the daemons (by pid files)
#   scripts/slurm_local.sh status [STATE_DIR]   which daemons run; sinfo and squeue when up
#
# Everything lives in STATE_DIR (default /tmp/gorgon-slurm): slurm.conf, the munge key, the
# munge socket, state, spool, pid and log files. Nothing under /etc is read or changed. After
# `start`, use the cluster with
#
#   source STATE_DIR/env.sh          # exports SLURM_CONF (start prints the line too)
#   sbatch jobs/single_node.sbatch
#
# Runs as root (slurmd must; SlurmUser=root). The daemons listen on loopback ports
# (default 16817 for slurmctld, 16818 for slurmd; set GORGON_SLURM_CTLD_PORT /
# GORGON_SLURM_SLURMD_PORT to run two clusters side by side). The node declares
# GORGON_SLURM_CPUS CPUs (default: the larger of 8 and nproc) so that 4-rank jobs fit on a
# 2-core machine, and the partition "debug" oversubscribes (OverSubscribe=FORCE).
# MpiDefault is pmix when Slurm's PMIx plugin and libpmix are installed, none otherwise.
# `start` and `stop` are safe to run twice. Environment:
#   GORGON_SLURM_START_TIMEOUT   seconds to wait for the node to become idle (default 60)
set -euo pipefail

cmd="${1:-}"
STATE_DIR="${2:-${GORGON_SLURM_DIR:-/tmp/gorgon-slurm}}"
CTLD_PORT="${GORGON_SLURM_CTLD_PORT:-16817}"
SLURMD_PORT="${GORGON_SLURM_SLURMD_PORT:-16818}"
START_TIMEOUT="${GORGON_SLURM_START_TIMEOUT:-60}"

die() { echo "slurm_local: error: $*" >&2; exit 1; }
usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

case "$cmd" in start|stop|status) ;; *) usage ;; esac
case "$STATE_DIR" in /*) ;; *) STATE_DIR="$PWD/$STATE_DIR" ;; esac

CONF="$STATE_DIR/etc/slurm.conf"
ENV_FILE="$STATE_DIR/env.sh"
MUNGE_SOCKET="$STATE_DIR/munge/munge.socket"
MUNGE_PID="$STATE_DIR/run/munged.pid"
CTLD_PID="$STATE_DIR/run/slurmctld.pid"
SLURMD_PID="$STATE_DIR/run/slurmd.pid"
HOST="$(hostname -s)"

# pid_alive FILE: the pid in FILE names a running process.
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null
}

# stop_pid NAME FILE: TERM the process of FILE, wait up to 10 s, then KILL; remove FILE.
stop_pid() {
  local name="$1" file="$2" pid i
  if pid_alive "$file"; then
    pid="$(cat "$file")"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "slurm_local: $name (pid $pid) did not stop on TERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    echo "slurm_local: stopped $name (pid $pid)"
  fi
  rm -f "$file"
}

show_logs() {
  local f
  for f in "$STATE_DIR"/log/*.log; do
    [ -f "$f" ] || continue
    echo "---- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
}

# The pids of slurmstepd processes of this cluster: their open files point into STATE_DIR.
stepds() {
  local p
  for p in $(pgrep -x slurmstepd 2>/dev/null || true); do
    if ls -l "/proc/$p/fd" 2>/dev/null | grep -q -- "$STATE_DIR/"; then echo "$p"; fi
  done
}

# descendants PID: the pids of every process below PID.
descendants() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      n = 1; q[1] = root
      for (i = 1; i <= n; i++)
        for (p in parent) if (parent[p] == q[i]) { q[++n] = p; print p }
    }'
}

write_config() {
  local cpus mem mpi
  cpus="${GORGON_SLURM_CPUS:-$(( $(nproc) > 8 ? $(nproc) : 8 ))}"
  mem="$(free -m | awk '/^Mem:/ {print $2}')"
  mpi=none
  if [ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/mpi_pmix.so ] || compgen -G "/usr/lib/*/slurm*/mpi_pmix.so" >/dev/null; then
    # Slurm's PMIx plugin dlopens libpmix.so (libpmix-dev on Debian) at run time.
    if compgen -G "/usr/lib/*/pmix2/lib/libpmix.so" >/dev/null || compgen -G "/usr/lib/*/libpmix.so" >/dev/null; then
      mpi=pmix
    fi
  fi
  cat > "$CONF" <<EOF
# Written by scripts/slurm_local.sh: a single-node cluster for tests. Do not edit; it is
# rewritten on every start.
ClusterName=gorgon
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$STATE_DIR/state
SlurmdSpoolDir=$STATE_DIR/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$STATE_DIR/log/slurmctld.log
SlurmdLogFile=$STATE_DIR/log/slurmd.log
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
# The node declares more CPUs than the machine has; trust the configuration.
SlurmdParameters=config_overrides
MinJobAge=600
JobRequeue=0
KillWait=10
InactiveLimit=0
MessageTimeout=20
SchedulerType=sched/backfill
NodeName=$HOST NodeAddr=127.0.0.1 NodeHostname=$HOST CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
  cat > "$ENV_FILE" <<EOF
# Source this file to use the local Slurm of scripts/slurm_local.sh.
export SLURM_CONF=$CONF
EOF
}

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd needs root; SlurmUser=root)"
  local b
  for b in munged mungekey slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null || die "'$b' not found: install slurm-wlm and munge (scripts/setup.sh does)"
  done
  if pid_alive "$CTLD_PID" && pid_alive "$SLURMD_PID" && pid_alive "$MUNGE_PID"; then
    echo "slurm_local: already running in $STATE_DIR"
  else
    # Whatever is left of an earlier start (a daemon that died, stale pid files): stop it first.
    stop_daemons quiet
    mkdir -p "$STATE_DIR"
    chmod 700 "$STATE_DIR"
    mkdir -p "$STATE_DIR"/{etc,munge,run,log,state,spool}
    chmod 755 "$STATE_DIR/munge"   # munged wants the socket directory searchable by all
    write_config

    # munged with its own key, socket, pid, log and seed files.
    if [ ! -s "$STATE_DIR/munge/munge.key" ]; then
      mungekey --create --keyfile="$STATE_DIR/munge/munge.key" >/dev/null
    fi
    chmod 400 "$STATE_DIR/munge/munge.key"
    munged --force --socket="$MUNGE_SOCKET" --key-file="$STATE_DIR/munge/munge.key" \
      --pid-file="$MUNGE_PID" --log-file="$STATE_DIR/log/munged.log" \
      --seed-file="$STATE_DIR/munge/munged.seed" \
      || { show_logs; die "munged did not start"; }

    export SLURM_CONF="$CONF"
    # -c: start with no jobs (a cluster stopped by a crash would otherwise requeue its jobs).
    slurmctld -c -f "$CONF" || { show_logs; die "slurmctld did not start"; }
    slurmd -f "$CONF" || { show_logs; die "slurmd did not start"; }
  fi

  export SLURM_CONF="$CONF"
  local deadline=$(( SECONDS + START_TIMEOUT )) state=""
  while [ $SECONDS -lt $deadline ]; do
    state="$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -n1 || true)"
    case "$state" in idle|mixed|allocated) break ;; esac
    if ! pid_alive "$CTLD_PID" || ! pid_alive "$SLURMD_PID"; then
      sleep 0.5   # a daemon may still be writing its pid file
      if ! pid_alive "$CTLD_PID" || ! pid_alive "$SLURMD_PID"; then
        show_logs
        stop_daemons quiet
        die "a Slurm daemon exited during start-up (logs above)"
      fi
    fi
    sleep 0.5
  done
  case "$state" in
    idle|mixed|allocated) ;;
    *)
      echo "slurm_local: node $HOST is '${state:-unknown}' after ${START_TIMEOUT}s, not idle" >&2
      sinfo -N -l >&2 || true
      show_logs
      stop_daemons quiet
      die "local Slurm did not come up"
      ;;
  esac
  echo "slurm_local: up in $STATE_DIR (node $HOST $state, MpiDefault=$(awk -F= '/^MpiDefault=/ {print $2}' "$CONF"))"
  echo "export SLURM_CONF=$CONF"
}

# Cancel the jobs, wait for their steps to end, stop the daemons.
stop_daemons() {
  local quiet="${1:-}" deadline p
  if [ -f "$CONF" ] && pid_alive "$CTLD_PID"; then
    export SLURM_CONF="$CONF"
    if [ -n "$(squeue -h -o %i 2>/dev/null || true)" ]; then
      scancel --full --quiet $(squeue -h -o %i 2>/dev/null) 2>/dev/null || true
      deadline=$(( SECONDS + 30 ))
      while [ $SECONDS -lt $deadline ] && [ -n "$(squeue -h -o %i 2>/dev/null || true)" ]; do
        sleep 0.5
      done
    fi
  fi
  stop_pid slurmd "$SLURMD_PID"
  stop_pid slurmctld "$CTLD_PID"
  stop_pid munged "$MUNGE_PID"
  # Job steps outlive slurmd by design; ours (and the job processes under them) must not
  # outlive the cluster.
  deadline=$(( SECONDS + 10 ))
  while [ -n "$(stepds)" ] && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
  for p in $(stepds); do
    echo "slurm_local: killing leftover slurmstepd (pid $p) and its processes: $(descendants "$p" | tr '\n' ' ')" >&2
    kill -KILL "$p" $(descendants "$p") 2>/dev/null || true
  done
  [ -n "$quiet" ] || echo "slurm_local: stopped ($STATE_DIR)"
}

status() {
  local rc=0 name file
  for name in munged slurmctld slurmd; do
    file="$STATE_DIR/run/$name.pid"
    if pid_alive "$file"; then
      echo "$name: running (pid $(cat "$file"))"
    else
      echo "$name: not running"; rc=3
    fi
  done
  if [ $rc -eq 0 ]; then
    export SLURM_CONF="$CONF"
    echo "export SLURM_CONF=$CONF"
    sinfo || rc=3
    squeue || rc=3
  fi
  return $rc
}

case "$cmd" in
  start) start ;;
  stop) stop_daemons ;;
  status) status ;;
esac
