#!/usr/bin/env bash
# Crash safety of long jobs: `index` and `segment` are killed with SIGKILL at random
# moments, several times in a row, then run to completion; the results must be
# byte-identical to an uninterrupted run, and no half-written file may be left.
# Usage: kill_resume_test.sh CLI [KILLS=6]   (prints one line per kill for the report)
set -euo pipefail
cli="$1"
kills="${2:-6}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
RANDOM=2027  # reproducible kill times
"$cli" -q make-world --out "$work/world" --count 3000 --seed 5
"$cli" -q make-world --out "$work/seg" --layout segmentation --count 300 --seed 6
printf 'circle\nsquare\ntriangle\nstar\ncross\n' > "$work/classes.txt"

# How far a killed run had got: rows done in the store, or lines journaled by segment.
progress_of() {
  case "$1" in
    index) python3 -c 'import json,sys; print("%d of 3000 rows done" % json.load(open(sys.argv[1]))["done"])' "$work/store_killed/progress.json" 2> /dev/null || echo "no store yet" ;;
    segment) echo "$(cat "$work"/seg_killed.csv.partial 2> /dev/null | wc -l) journal lines" ;;
  esac
}

# kill_loop NAME -- command...: start the job, wait until it has made progress beyond
# the last kill (so every kill interrupts real work), wait a random 0-0.3 s more, kill -9;
# repeat KILLS times, then run it to completion.
kill_loop() {
  local name="$1"
  shift 2
  local i before
  for i in $(seq "$kills"); do
    before=$(progress_of "$name")
    "$@" > /dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 600); do
      [ "$(progress_of "$name")" != "$before" ] && break
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.05
    done
    sleep "$(printf '0.%03d' $((RANDOM % 300)))"
    if kill -9 "$pid" 2> /dev/null; then
      wait "$pid" 2> /dev/null || true
      echo "$name: kill $i landed ($(progress_of "$name"))"
    else
      wait "$pid" 2> /dev/null || true
      echo "$name: kill $i came after the run had finished"
    fi
  done
  "$@" > /dev/null 2> "$work/$name.log" || { cat "$work/$name.log"; exit 1; }
}

# index: a resumable store.
"$cli" -q --threads 1 index --images "$work/world" --out "$work/store_whole" --batch 8 > /dev/null
kill_loop index -- "$cli" -q --threads 1 index --images "$work/world" --out "$work/store_killed" --batch 8
for f in manifest.json progress.json embedding.npy heads.npy mlps.npy cls_attn.npy; do
  cmp "$work/store_whole/$f" "$work/store_killed/$f" || { echo "index: $f differs after kills"; exit 1; }
done
echo "index: resumed store identical to an uninterrupted run"

# segment: a journaled per-image CSV and a summary.
"$cli" -q --threads 1 segment --images "$work/seg/images" --masks "$work/seg/masks" --classes "$work/classes.txt" --out "$work/seg_whole" > /dev/null
kill_loop segment -- "$cli" -q --threads 1 segment --images "$work/seg/images" --masks "$work/seg/masks" --classes "$work/classes.txt" --out "$work/seg_killed"
cmp "$work/seg_whole.csv" "$work/seg_killed.csv" || { echo "segment: per-image CSV differs after kills"; exit 1; }
python3 - "$work/seg_whole.json" "$work/seg_killed.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
strip = lambda j: {k: v for k, v in j.items() if k not in ("seconds", "out", "settings")}
assert strip(a) == strip(b), "segment summaries differ"
PY
echo "segment: resumed results identical to an uninterrupted run"

# Nothing half-written is left behind.
leftovers=$(find "$work" -name '*.tmp*' -o -name '*.partial' | grep -v '/world/' || true)
[ -z "$leftovers" ] || { echo "left behind: $leftovers"; exit 1; }
echo "kill-resume: ok"
