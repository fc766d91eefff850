#!/usr/bin/env bash
# Records what the analyses print and write on fixed inputs and seeds (the demo model,
# a random model, a fresh shapes world), so a redesign can be checked against the
# behaviour before it: run it with the old and the new clipscope-cli, then
#   scripts/compare-golden.py OLD_DIR NEW_DIR
# Set CLIPSCOPE_DATA_DIR to one resources/ folder for both runs, so both binaries name
# the demo model by the same path (paths and hashes of manifests would differ otherwise).
# Usage: scripts/golden-outputs.sh CLIPSCOPE_CLI OUT_DIR
set -euo pipefail
cli=$(realpath "$1")
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
[ ! -e "$out" ] || { echo "golden-outputs: $out exists; give a new folder" >&2; exit 2; }
mkdir -p "$out"
cd "$out"
export XDG_CACHE_HOME="$PWD/cache"  # caches (description embeddings) are recorded too, not left in ~/.cache
run() { "$cli" --threads 1 -q "$@"; }
images=("$root"/resources/demo/images/*.png)

run classify --labels "circle,square,triangle,star,cross" "${images[@]}" > classify.json
run decompose --image "${images[0]}" --out decompose
run decompose --model random:tiny --image "${images[1]}" --out decompose-random --layers last:2
run heatmap --image "${images[0]}" --text "a blue shape" --versus "a red shape" --out heatmap
run embed-text --out texts.npy "a red circle" "a square on grass"

run make-world --out world --count 48 --seed 4242
run index --images world --out store --batch 8
# Texts alone: binaries before the one description-pool rule kept FAMILY<TAB> in the text.
cut -f2 "$root/resources/demo/descriptions.tsv" > descriptions.txt
run textspan --store store --descriptions descriptions.txt --last-layers 3 --per-head 4 --rank 16 --out textspan.json --csv textspan.csv
run ablate --store store --csv ablate.csv > ablate.txt
run ablate --store store --heads 5.0,5.1 --zero --csv ablate-zero.csv > ablate-zero.txt
run neighbors --store store --query-index 3 --layer 5 --head 2 -k 6 --json > neighbors-head.json
run neighbors --store store --query-index 3 --embedding -k 6 --json > neighbors-embedding.json

run make-world --layout segmentation --count 6 --seed 77 --out world-seg
printf 'circle\nsquare\ntriangle\nstar\ncross\n' > shapes.txt
run segment --images world-seg/images --masks world-seg/masks --classes shapes.txt --out segment

run make-world --layout waterbirds --count 40 --seed 99 --out world-wb
run index --images world-wb --out store-wb --batch 8
run spurious --store store-wb --metadata world-wb/metadata.csv --classes world-wb/classes.txt --heads 5.0,4.1 \
    --random-draws 3 --out spurious

run demo-report --out report --images 40 --segmentation-images 6 --spurious-images 8 --queries 4 --random-draws 2 \
    --per-head 3 --rank 8
echo "golden-outputs: wrote $(find . -type f | wc -l) files to $out"
