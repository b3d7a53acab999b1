#!/usr/bin/env bash
# Peer benchmark of the min-cost flow solver: ours (chokepoint), LEMON's network simplex
# (Debian liblemon-dev) and NetworkX's network_simplex (PyPI) on the same DIMACS files.
#
#   benches/peers/run.sh [OUT_DIR]        (default target/peers)
#
# Environment: REPS (solves per timing, default 1001), ROUNDS (alternating rounds of
# ours and LEMON, default 5), NX_REPS (NetworkX solves per instance, default 3; 1 on
# the time-expanded instances).
#
# On a fresh machine it installs what is missing: g++ and liblemon-dev with apt-get,
# networkx with pip. It writes the instances of chokepoint::flow::generate::benchmark_set
# (and each with its busiest border crossing closed), times every solver on each, checks
# that all objectives agree, and prints a table of medians and ratios.
# Times are of the solve only (files are read and graphs built before the clock starts).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/target/peers}"
REPS="${REPS:-1001}"
ROUNDS="${ROUNDS:-5}"
NX_REPS="${NX_REPS:-3}"
mkdir -p "$out"

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- dependencies -------------------------------------------------------------------
if ! command -v g++ >/dev/null || [ ! -f /usr/include/lemon/network_simplex.h ]; then
  echo "installing g++ and liblemon-dev ..." >&2
  sudo_if_needed apt-get update -qq
  sudo_if_needed apt-get install -y -qq g++ liblemon-dev >/dev/null
fi
PY="${PYTHON:-python3}"
if ! "$PY" -c "import networkx" 2>/dev/null; then
  echo "installing networkx ..." >&2
  "$PY" -m pip install -q networkx
fi

# --- build --------------------------------------------------------------------------
g++ -O2 -std=c++17 "$here/lemon_solve.cpp" -o "$out/lemon_solve"
(cd "$root" && cargo build --release -q --bin chokepoint --example flow_peers)
ours="$root/target/release/chokepoint"
peers="$root/target/release/examples/flow_peers"

# --- instances ----------------------------------------------------------------------
"$peers" gen "$out/instances"
inst="$out/instances"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Our warm re-solves (and cold, as a cross-check) from the example, one line per instance.
"$peers" time "$inst" "$REPS" > "$out/ours_warm.tsv"

printf "%-18s %7s %7s | %11s %11s %6s | %11s %11s %6s | %12s %8s\n" \
  instance nodes arcs "LEMON us" "ours us" ratio "LEMON clos" "ours warm" ratio \
  "NetworkX us" "NX/ours"
fail=0
while read -r name; do
  [ -n "$name" ] || continue
  f="$inst/$name.min"
  read -r _ nodes arcs < <(awk '$1=="p"{print $1, $3, $4; exit}' "$f")
  reps="$REPS"; nx_reps="$NX_REPS"
  if [ "$arcs" -gt 20000 ]; then reps=$(( (REPS + 99) / 100 )); [ "$reps" -ge 3 ] || reps=3; nx_reps=1; fi
  o=(); l=(); lc=()
  for _ in $(seq "$ROUNDS"); do
    r=$("$ours" solve "$f" --repeat "$reps")
    obj_ours=$(awk '/optimal cost/{print $3}' <<<"$r")
    o+=("$(awk '/solve time/{print $3}' <<<"$r")")
    IFS=$'\t' read -r obj_lemon t < <("$out/lemon_solve" "$f" "$reps"); l+=("$t")
    IFS=$'\t' read -r obj_lemon_closed t < <("$out/lemon_solve" "$inst/$name-closed.min" "$reps"); lc+=("$t")
  done
  t_ours=$(printf '%s\n' "${o[@]}" | median)
  t_lemon=$(printf '%s\n' "${l[@]}" | median)
  t_lemon_closed=$(printf '%s\n' "${lc[@]}" | median)
  IFS=$'\t' read -r obj_nx t_nx < <("$PY" "$here/networkx_solve.py" "$f" "$nx_reps")
  IFS=$'\t' read -r _ obj_w _ obj_w_closed t_warm _ < <(grep -P "^$name\t" "$out/ours_warm.tsv")
  for pair in "ours:$obj_ours" "networkx:$obj_nx" "ours-example:$obj_w"; do
    if [ "${pair#*:}" != "$obj_lemon" ]; then
      echo "MISMATCH on $name: ${pair%%:*} ${pair#*:} vs LEMON $obj_lemon" >&2; fail=1
    fi
  done
  if [ "$obj_w_closed" != "$obj_lemon_closed" ]; then
    echo "MISMATCH on $name-closed: ours warm $obj_w_closed vs LEMON $obj_lemon_closed" >&2; fail=1
  fi
  printf "%-18s %7s %7s | %11.1f %11.1f %6s | %11.1f %11.1f %6s | %12.0f %8s\n" \
    "$name" "$nodes" "$arcs" "$t_lemon" "$t_ours" "$(ratio "$t_ours" "$t_lemon")" \
    "$t_lemon_closed" "$t_warm" "$(ratio "$t_warm" "$t_lemon_closed")" \
    "$t_nx" "$(ratio "$t_nx" "$t_ours")"
done < "$inst/instances.txt"
echo
echo "ratio = ours / LEMON (below 1: ours is faster). 'clos' = the instance with its busiest"
echo "border crossing closed: LEMON solves it from scratch, ours re-solves warm from the"
echo "optimal basis of the open instance. Medians of $ROUNDS alternating rounds of $REPS solves"
echo "(fewer on instances of more than 20,000 arcs); NetworkX: median of $NX_REPS."
if [ "$fail" -ne 0 ]; then echo "objectives DISAGREE" >&2; exit 1; fi
echo "all objectives agree (ours cold and warm, LEMON, NetworkX)."
