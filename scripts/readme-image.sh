#!/usr/bin/env bash
# Make docs/img/afghanistan-exceedance.svg, the README's chart: the quick start's Monte
# Carlo study with its report, then the exceedance chart's SVG cut out of report.html
# (the report draws it; nothing is edited).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -- montecarlo scenarios/afghanistan/base.toml --no-fixed-closures \
    --runs 1000 --seed 1 --quiet --out out/afghanistan --report
mkdir -p docs/img
sed -n '/id="svg-exceedance"/,/<\/svg>/p' out/afghanistan/report.html \
    | sed -e '1s/^.*<svg /<svg /' -e 's#</svg>.*#</svg>#' > docs/img/afghanistan-exceedance.svg
echo "wrote docs/img/afghanistan-exceedance.svg"
