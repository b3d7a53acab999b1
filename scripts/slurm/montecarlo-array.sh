#!/usr/bin/env bash
# Run a chokepoint Monte Carlo study as a Slurm job array, then merge the shards.
#
#   scripts/slurm/montecarlo-array.sh SCENARIO OUTDIR RUNS SEED SHARDS [-- MONTECARLO-ARGS...]
#
# Submits one array job with SHARDS tasks; task k runs
#   chokepoint montecarlo SCENARIO --runs RUNS --seed SEED --shard k/SHARDS \
#       --threads $SLURM_CPUS_PER_TASK --quiet --out OUTDIR/shards/k [MONTECARLO-ARGS...]
# (the runs i with i % SHARDS == k-1), and one merge job that starts when every task has
# succeeded (--dependency=afterok) and runs
#   chokepoint merge OUTDIR/shards/* --out OUTDIR/result
# OUTDIR/result then holds exactly the files one `chokepoint montecarlo` process with the
# same SCENARIO, RUNS, SEED and arguments writes (timing.json aside), whatever SHARDS is.
#
# Prints "ARRAY_JOB_ID MERGE_JOB_ID" on stdout. Environment:
#   CHOKEPOINT      the chokepoint binary (default: target/release/chokepoint of this
#                   checkout; it must be reachable from the compute nodes)
#   CPUS_PER_TASK   threads per shard (default 2)
#   SBATCH_OPTS     extra sbatch options for both jobs, e.g. "--partition=short --time=1:00:00"
# OUTDIR must be on a file system the compute nodes share, writable by you.
set -euo pipefail

if [ $# -lt 5 ]; then
    sed -n '2,20p' "$0" >&2
    exit 2
fi
SCENARIO=$(realpath "$1"); OUTDIR=$(realpath -m "$2"); RUNS=$3; SEED=$4; SHARDS=$5
shift 5
[ "${1:-}" = "--" ] && shift
for v in "$RUNS" "$SEED" "$SHARDS"; do
    [[ "$v" =~ ^[0-9]+$ ]] || { echo "RUNS, SEED and SHARDS must be whole numbers, got '$v'" >&2; exit 2; }
done
[ "$SHARDS" -ge 1 ] || { echo "SHARDS must be at least 1" >&2; exit 2; }
[ -f "$SCENARIO" ] || { echo "no scenario file $SCENARIO" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${CHOKEPOINT:-$HERE/../../target/release/chokepoint}")
[ -x "$BIN" ] || { echo "no chokepoint binary at $BIN (cargo build --release, or set CHOKEPOINT)" >&2; exit 2; }
CPUS=${CPUS_PER_TASK:-2}
read -r -a OPTS <<< "${SBATCH_OPTS:-}"

mkdir -p "$OUTDIR/shards" "$OUTDIR/logs"

# Quote every word for the job's shell.
q() { printf '%q ' "$@"; }
EXTRA=""
[ $# -eq 0 ] || EXTRA=$(q "$@")
TASK="$(q "$BIN") montecarlo $(q "$SCENARIO") --runs $RUNS --seed $SEED \
--shard \${SLURM_ARRAY_TASK_ID}/$SHARDS --threads \${SLURM_CPUS_PER_TASK:-$CPUS} --quiet \
--out $(printf %q "$OUTDIR/shards")/\${SLURM_ARRAY_TASK_ID} $EXTRA"

ARRAY=$(sbatch --parsable "${OPTS[@]}" --job-name=chokepoint-mc --array=1-"$SHARDS" \
    --cpus-per-task="$CPUS" --output="$OUTDIR/logs/shard-%a.log" --wrap "$TASK")
ARRAY=${ARRAY%%;*}

SHARD_DIRS=""
for k in $(seq 1 "$SHARDS"); do SHARD_DIRS+="$(q "$OUTDIR/shards/$k")"; done
MERGE=$(sbatch --parsable "${OPTS[@]}" --job-name=chokepoint-merge \
    --dependency=afterok:"$ARRAY" --kill-on-invalid-dep=yes --output="$OUTDIR/logs/merge.log" \
    --wrap "$(q "$BIN") merge $SHARD_DIRS --out $(q "$OUTDIR/result")")
MERGE=${MERGE%%;*}

echo "$ARRAY $MERGE"
