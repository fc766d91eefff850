#!/usr/bin/env bash
# Regenerates the demo model's head labels, resources/demo/model/textspan.json (the app
# reads a textspan.json found beside a model): TextSpan on every head of the demo model
# over 2,000 held-out shapes-world scenes, from the demo description pool.
# Usage: scripts/make-demo-textspan.sh [MODEL_DIR]   (CLI=path/to/clipscope-cli to override)
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CLI:-build/app/clipscope-cli}
MODEL=${1:-resources/demo/model}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CLI" make-world --out "$work/world" --count 2000 --seed 31337 --two-objects 0.25
"$CLI" index --model "$MODEL" --images "$work/world" --out "$work/store"
# The pool's FAMILY<TAB>text lines give the texts alone (core/io/description_pool.h).
"$CLI" textspan --store "$work/store" --last-layers 6 --model "$MODEL" --descriptions resources/demo/descriptions.tsv \
  --rank 64 --per-head 10 --out "$MODEL/textspan.json"
