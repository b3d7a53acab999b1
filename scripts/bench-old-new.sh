#!/usr/bin/env bash
# Time two chokepoint binaries alternately on the same inputs (issue 23's table) and
# print each one's median wall and user time and the ratio new/old.
#
#   scripts/bench-old-new.sh OLD_BINARY NEW_BINARY [RUNS] [REPEATS]
#
# RUNS (default 10000) years per study; REPEATS (default 3) alternated pairs per
# workload. Each study writes to a scratch folder that is removed. Timings on a shared
# machine are noisy: quote the medians with the load average this prints.
set -euo pipefail
old=${1:?old binary}; new=${2:?new binary}; runs=${3:-10000}; reps=${4:-3}
cd "$(dirname "$0")/.."
base=scenarios/afghanistan/base.toml
opts="scenarios/afghanistan/options/chabahar.toml scenarios/afghanistan/options/khaf_herat_rail.toml scenarios/afghanistan/options/trans_afghan_rail.toml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
declare -A work=(
  [mc_random]="montecarlo $base --no-fixed-closures --runs $runs --seed 1 --threads 2 --quiet"
  [mc_fixed]="montecarlo $base --runs $runs --seed 1 --threads 2 --quiet"
  [compare4]="compare $base $opts --no-fixed-closures --runs $runs --seed 1 --threads 2 --quiet"
)
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for w in mc_random mc_fixed compare4; do
  : > "$tmp/old.t"; : > "$tmp/new.t"
  for r in $(seq "$reps"); do
    for side in old new; do
      bin=$old; [ "$side" = new ] && bin=$new
      /usr/bin/time -f "%e %U" -o "$tmp/t" $bin ${work[$w]} --out "$tmp/out" >/dev/null 2>&1
      cat "$tmp/t" >> "$tmp/$side.t"
      rm -rf "$tmp/out"
    done
  done
  ow=$(cut -d' ' -f1 "$tmp/old.t" | median); ou=$(cut -d' ' -f2 "$tmp/old.t" | median)
  nw=$(cut -d' ' -f1 "$tmp/new.t" | median); nu=$(cut -d' ' -f2 "$tmp/new.t" | median)
  printf '%-10s runs %-6s old wall %6.2f s user %6.2f s | new wall %6.2f s user %6.2f s | new/old wall %.3f user %.3f | old walls: %s new walls: %s\n' \
    "$w" "$runs" "$ow" "$ou" "$nw" "$nu" "$(echo "$nw / $ow" | bc -l)" "$(echo "$nu / $ou" | bc -l)" \
    "$(cut -d' ' -f1 "$tmp/old.t" | tr '\n' ' ')" "$(cut -d' ' -f1 "$tmp/new.t" | tr '\n' ' ')"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
