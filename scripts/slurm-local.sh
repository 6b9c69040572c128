#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for g's Slurm tests and for trying
# `--backend slurm` without a cluster: munged, slurmctld and slurmd from
# Debian's packages (22.05), no systemd, no slurmdbd.
#
#   scripts/slurm-local.sh start    install when missing (apt-get, as root), configure, start; prints SLURM_CONF=...
#   scripts/slurm-local.sh stop     stop the daemons this script started
#   scripts/slurm-local.sh env      print SLURM_CONF=... (for `export $(scripts/slurm-local.sh env)`)
#
# Everything lives in G_SLURM_DIR (default /tmp/g-slurm): slurm.conf, state,
# logs, pid files, the job completion log. Clients find the cluster through
# SLURM_CONF. Pitfalls this config avoids (see issue 15): munged runs as the
# munge user and refuses (or cannot reach) a socket, log or pid file whose
# parent folders lack o+x, so when G_SLURM_DIR is under such a folder (a
# mktemp -d, a home folder: 0700) munged's files go to a folder of their own,
# /tmp/g-slurm-munge-XXXXXX, named in G_SLURM_DIR/munge-dir and removed by
# stop; the default MailProg is missing; jobs wait 2-3 s unless
# batch_sched_delay=0; cgroups are not available, hence proctrack/linuxproc
# and task/none; without slurmdbd there is no sacct, so finished jobs are
# logged by jobcomp/filetxt. G_SLURM_PORT (default 6817; slurmd takes the next
# one) lets a second cluster run beside the first.
set -euo pipefail

DIR=${G_SLURM_DIR:-/tmp/g-slurm}
CONF=$DIR/slurm.conf
NODE=$(hostname -s)
# More slots than cores: the tests run many short tasks at once (config_overrides lets slurmd accept it).
CPUS=${G_SLURM_CPUS:-16}
PORT=${G_SLURM_PORT:-6817}

# True when every folder from / down to $1 lets others through (o+x): what munged, run as munge, needs.
traversable() {
  local path
  path=$(realpath -m "$1")
  while :; do
    if [ -e "$path" ] && [ $(($(stat -c %#a "$path") & 1)) -eq 0 ]; then return 1; fi
    [ "$path" = / ] && return 0
    path=$(dirname "$path")
  done
}

# Where munged's socket, pid, log and seed live: $DIR/munge when the munge user can reach it, else a
# folder of their own under /tmp (recorded in $DIR/munge-dir, reused while it exists).
munge_dir() {
  local recorded
  recorded=$(cat "$DIR/munge-dir" 2>/dev/null || true)
  if [ -n "$recorded" ] && [ -d "$recorded" ]; then echo "$recorded"; return; fi
  # $DIR itself is made 755 below; the folders above it are not ours to open.
  if traversable "$(dirname "$(realpath -m "$DIR")")"; then echo "$DIR/munge"; return; fi
  recorded=$(mktemp -d /tmp/g-slurm-munge-XXXXXX)
  echo "$recorded" >"$DIR/munge-dir"
  echo "slurm-local: the munge user cannot reach $DIR (a folder above it lacks o+x); munged's socket and logs go to $recorded" >&2
  echo "$recorded"
}

install_when_missing() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then return; fi
  if [ "$(id -u)" != 0 ]; then
    echo "slurm-local: slurmctld, slurmd, slurm-client and munge are not installed; as root: apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null; }
}

write_config() {
  mkdir -p "$DIR/state" "$DIR/spool"
  MUNGE=$(munge_dir)
  mkdir -p "$MUNGE"
  # munged checks every parent folder of its socket for o+x.
  chmod 755 "$DIR" "$MUNGE"
  cat >"$CONF" <<EOF
ClusterName=glocal
SlurmctldHost=$NODE
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE/munge.socket
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MailProg=/bin/true
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.log
MinJobAge=600
ReturnToService=2
MaxArraySize=10001
NodeName=$NODE CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

# A daemon may remove its own pid file as it exits: read it once, quietly.
alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start() {
  install_when_missing
  write_config
  if ! alive "$MUNGE/munged.pid"; then
    [ -f /etc/munge/munge.key ] || { mkdir -p /etc/munge && dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null && chmod 400 /etc/munge/munge.key; }
    # munged runs as the key's owner; root may run it with --force.
    local owner
    owner=$(stat -c %U /etc/munge/munge.key)
    chown "$owner" "$MUNGE" 2>/dev/null || true
    if [ "$(id -un)" = root ] && [ "$owner" != root ]; then
      runuser -u "$owner" -- munged --socket="$MUNGE/munge.socket" --pid-file="$MUNGE/munged.pid" --log-file="$MUNGE/munged.log" --seed-file="$MUNGE/munge.seed"
    else
      munged --force --socket="$MUNGE/munge.socket" --pid-file="$MUNGE/munged.pid" --log-file="$MUNGE/munged.log" --seed-file="$MUNGE/munge.seed"
    fi
  fi
  export SLURM_CONF=$CONF
  alive "$DIR/slurmctld.pid" || slurmctld -f "$CONF"
  alive "$DIR/slurmd.pid" || slurmd -f "$CONF"
  # Ready when the node takes jobs.
  for _ in $(seq 1 100); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "SLURM_CONF=$CONF"
      return
    fi
    sleep 0.2
  done
  echo "slurm-local: the node did not become idle within 20 s; see $DIR/slurmctld.log and $DIR/slurmd.log" >&2
  exit 1
}

stop() {
  local munge
  munge=$(cat "$DIR/munge-dir" 2>/dev/null || echo "$DIR/munge")
  for pidfile in "$DIR/slurmd.pid" "$DIR/slurmctld.pid" "$munge/munged.pid"; do
    if alive "$pidfile"; then
      kill "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || true
      for _ in $(seq 1 50); do alive "$pidfile" || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done
  # munged's own folder under /tmp, when G_SLURM_DIR was out of its reach.
  if [ -f "$DIR/munge-dir" ]; then
    case $munge in /tmp/g-slurm-munge-*) rm -rf "$munge" ;; esac
    rm -f "$DIR/munge-dir"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) echo "SLURM_CONF=$CONF" ;;
  *) echo "usage: scripts/slurm-local.sh start|stop|env" >&2; exit 2 ;;
esac
