#!/usr/bin/env bash
# Soak benchmark: index N generated shapes-world images (default 20,000) with the demo
# model and report peak RSS, overall throughput and the throughput of each tenth of
# the run; a run over a tenth of the images gives the RSS baseline to compare with
# (flat memory = peak RSS does not grow with the number of images).
# Usage: scripts/soak.sh [N] [BUILD_DIR]   -> prints a Markdown table
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
build=${2:-build}
cli="$build/app/clipscope-cli"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cli" -q make-world --out "$work/world" --count "$n" --seed 11
find "$work/world" -name '*.png' | sort > "$work/all.txt"
head -n $((n / 10)) "$work/all.txt" > "$work/tenth.txt"
run() {  # LIST OUT -> "peak_kb seconds" ; progress lines in OUT.log
  /usr/bin/time -f "%M %e" -o "$work/$2.time" "$cli" --threads 2 index --list "$1" --out "$work/$2" --batch 32 2> "$work/$2.log" > /dev/null
  cat "$work/$2.time"
}
read -r small_kb small_s < <(run "$work/tenth.txt" small)
read -r big_kb big_s < <(run "$work/all.txt" big)
echo "| images | peak RSS | wall time | images/s |"
echo "|---|---|---|---|"
awk -v n=$((n / 10)) -v kb="$small_kb" -v s="$small_s" 'BEGIN { printf "| %d | %.1f MB | %.1f s | %.0f |\n", n, kb / 1024, s, n / s }'
awk -v n="$n" -v kb="$big_kb" -v s="$big_s" 'BEGIN { printf "| %d | %.1f MB | %.1f s | %.0f |\n", n, kb / 1024, s, n / s }'
echo
echo "Throughput in each tenth of the $n-image run (from its progress lines: the time of a line is done / running rate):"
echo
grep -o '[0-9]*/[0-9]* ([0-9]*%), [0-9.]*/s' "$work/big.log" | tr '/(),%' '     ' | awk '
  { done = $1; rate = $4; t = done / rate
    if (NR > 1 && t > pt) printf "- images %d to %d: %.0f images/s\n", pdone, done, (done - pdone) / (t - pt)
    pdone = done; pt = t }'
