#!/usr/bin/env bash
# Test the job-array script against a real Slurm: install and start a one-node Slurm on
# localhost (Debian's slurm-wlm, as root, no systemd), run
# scripts/slurm/montecarlo-array.sh on a scenario, wait for the merge job, and compare
# the merged files with a single-process `chokepoint montecarlo` byte for byte (cmp).
# The daemons this script starts are stopped on exit (by their PID files).
#
#   scripts/slurm/test-local.sh            # defaults below
#   SCENARIO=scenarios/afghanistan/base.toml RUNS=90 SHARDS=3 scripts/slurm/test-local.sh
#   KEEP=1 keeps the outputs (in /tmp/chokepoint-slurm.*) after a pass; a failure keeps them.
#
# Exit status 0 when every file matches. Set-up as in the project's
# shared reference slurm-local.md; it rewrites /etc/slurm/slurm.conf.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCENARIO=${SCENARIO:-$ROOT/tests/fixtures/montecarlo/twoland_random.toml}
RUNS=${RUNS:-300}
SEED=${SEED:-2024}
SHARDS=${SHARDS:-3}
WORK=$(mktemp -d /tmp/chokepoint-slurm.XXXXXX)
chmod 755 "$WORK"
log() { printf '[test-local %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

if [ "$(id -u)" -ne 0 ]; then echo "run as root (it installs and starts Slurm)" >&2; exit 2; fi

export CHOKEPOINT=${CHOKEPOINT:-$ROOT/target/release/chokepoint}
if [ ! -x "$CHOKEPOINT" ]; then
    log "building chokepoint (release)"
    cargo build --release --manifest-path "$ROOT/Cargo.toml"
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurm-wlm and munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client munge >/dev/null
fi

STARTED=()   # PID files of the daemons this script started
cleanup() {
    local f pid
    for f in "${STARTED[@]}"; do
        if [ -f "$f" ] && pid=$(cat "$f") && [ -n "$pid" ]; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            log "stopped $(basename "$f" .pid) (pid $pid)"
        fi
    done
}
trap cleanup EXIT

# munge: authentication for Slurm.
mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
if [ -f /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; then
    log "munged already running"
else
    runuser -u munge -- /usr/sbin/munged
    STARTED+=(/run/munge/munged.pid)
    log "started munged"
fi

for f in /run/slurmctld.pid /run/slurmd.pid; do
    if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
        echo "a Slurm daemon is already running ($f): stop it first" >&2
        exit 1
    fi
done

H=$(hostname -s)
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$H
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$H NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
chown slurm:slurm /var/spool/slurmctld /var/log/slurm
/usr/sbin/slurmctld -c && STARTED+=(/run/slurmctld.pid)
/usr/sbin/slurmd && STARTED+=(/run/slurmd.pid)
log "started slurmctld and slurmd"

for _ in $(seq 1 60); do
    state=$(sinfo -h -o %t 2>/dev/null | head -1 || true)
    [ "$state" = "idle" ] && break
    sleep 1
done
[ "$state" = "idle" ] || { echo "the Slurm node did not come up (state '$state')" >&2; exit 1; }
log "node $H is idle"

T0=$(date +%s)
read -r ARRAY MERGE < <(CPUS_PER_TASK=1 "$ROOT/scripts/slurm/montecarlo-array.sh" \
    "$SCENARIO" "$WORK/slurm" "$RUNS" "$SEED" "$SHARDS")
[ -n "${MERGE:-}" ] || { echo "submitting the jobs failed" >&2; exit 1; }
log "submitted array job $ARRAY ($SHARDS shards of $RUNS runs) and merge job $MERGE"
for _ in $(seq 1 600); do
    [ -z "$(squeue -h -j "$ARRAY,$MERGE" 2>/dev/null)" ] && break
    sleep 1
done
log "Slurm jobs done in $(( $(date +%s) - T0 )) s"
if [ ! -f "$WORK/slurm/result/manifest.json" ]; then
    echo "the merge job wrote no result; logs:" >&2
    tail -n 20 "$WORK"/slurm/logs/*.log >&2 || true
    exit 1
fi

log "single-process run for comparison"
"$CHOKEPOINT" montecarlo "$SCENARIO" --runs "$RUNS" --seed "$SEED" --threads 2 --quiet \
    --out "$WORK/single" >/dev/null

status=0
n=0
for f in "$WORK"/single/*; do
    name=$(basename "$f")
    [ "$name" = timing.json ] && continue
    n=$((n + 1))
    if cmp -s "$f" "$WORK/slurm/result/$name"; then
        log "identical: $name"
    else
        log "DIFFERENT: $name"; status=1
    fi
done
extra=$(cd "$WORK/slurm/result" && ls | grep -v '^timing.json$' | while read -r x; do [ -e "$WORK/single/$x" ] || echo "$x"; done)
[ -z "$extra" ] || { log "only in the merged result: $extra"; status=1; }
if [ $status -eq 0 ]; then
    log "PASS: $n files of the Slurm array ($SHARDS shards) + merge are byte-identical to one process"
    [ -n "${KEEP:-}" ] && log "outputs kept in $WORK" || rm -rf "$WORK"
else
    log "FAIL (outputs kept in $WORK)"
fi
exit $status
