#!/usr/bin/env bash
# Installs and starts a single-node Slurm cluster from Debian's packages (slurm-wlm 22.05 + munge),
# for lockstep's Slurm tests. Idempotent and non-interactive: run it again and it only starts what is down.
# Usage: scripts/ci/slurm.sh [start|stop|status]   (needs root; `stop` ends the daemons by their PIDs)
set -euo pipefail

action="${1:-start}"
conf=/etc/slurm/slurm.conf

pid_of() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null && cat "$1"; }

if [ "$action" = stop ]; then
  for f in /run/slurmd.pid /run/slurmctld.pid; do p=$(pid_of "$f" || true); [ -n "$p" ] && kill "$p" || true; done
  exit 0
fi
if [ "$action" = status ]; then
  sinfo && exit 0 || exit 1
fi

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  echo "slurm.sh: installing slurmctld slurmd slurm-client munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge
fi

# munge authenticates every Slurm message; the package created /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi

host=$(hostname)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm
want=$(cat <<CONF
# written by lockstep scripts/ci/slurm.sh
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge=300
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
)
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
  printf '%s\n' "$want" > "$conf"
  # a changed config needs the daemons restarted
  for f in /run/slurmd.pid /run/slurmctld.pid; do p=$(pid_of "$f" || true); [ -n "$p" ] && kill "$p" || true; done
  sleep 1
fi

pid_of /run/slurmctld.pid >/dev/null || /usr/sbin/slurmctld
pid_of /run/slurmd.pid >/dev/null || /usr/sbin/slurmd

for _ in $(seq 1 100); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  case "$state" in idle|mix|alloc) echo "slurm.sh: node $host is $state"; exit 0 ;; esac
  # a node left down or drained by an earlier run comes back here
  if [ -n "$state" ] && [ "$state" != "unk" ] && [ "$state" != "unk*" ]; then
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  fi
  sleep 0.2
done
echo "slurm.sh: Slurm did not become ready; last state: ${state:-none}" >&2
tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
