#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on the bundled sample.
# Until the desktop app and the trained demo model exist, the main job is the
# CLI: the model's info, a decomposition of the sample image (with the self-check
# printed), and the cost benchmark, on random weights of real architectures.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
CLI=build/app/clipscope-cli
OUT="${1:-build/demo}"
$CLI info --model random:ViT-B-16
$CLI decompose --model random:ViT-B-16 --image resources/samples/red_circle_blue_square.png --out "$OUT" --layers last:4
echo "decomposition written to $OUT (meta.json holds the self-check)"
$CLI bench --random-arch ViT-B-16 --batch 1 --runs 3
