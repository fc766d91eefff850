#!/usr/bin/env bash
# Regenerates the README's screenshots with the app's own figure export (headless, the
# bundled demo model), into docs/screenshots/. Needs a build (scripts/test.sh or
# scripts/run-demo.sh first). The image set cache goes to a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
APP=${APP:-build/app/clipscope}
OUT=docs/screenshots
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export QT_QPA_PLATFORM=offscreen XDG_CACHE_HOME="$work/cache" XDG_CONFIG_HOME="$work/config"
images=resources/demo/images
# 1. The first start: demo image, labels, strongest head selected, demo image set indexed.
"$APP" --export-scale 1 --export-figure window="$OUT/window.png" --quit-after-export
# 2. A text query, A rather than B, two heads mean-ablated, in the dark palette.
"$APP" "$images/07_orange_circle_top_left_water.png" --text "an orange circle" --text-b "water" \
  --labels "circle, square, triangle, star, cross" --ablate 5.6,4.4 --palette dark \
  --export-scale 1 --export-figure window="$OUT/window-dark.png" --quit-after-export
# 3. Figures drawn from the data, as a paper would use them: the map with its colour bar,
#    the head grid as a heat table, and the sheet of the top heads' own maps.
"$APP" "$images/00_blue_triangle_right_grass.png" --text "a red shape" --text-b "a blue shape" \
  --export-scale 2 --export-figure canvas="$OUT/figure-map.png" --export-figure grid="$OUT/figure-grid.png" \
  --export-figure sheet="$OUT/figure-sheet.png" --quit-after-export
# 4. At scale factor 2 on a 2560 x 1600 screen (X server Xvfb): the window sizes itself to fit
#    the screen's 1280 x 800 logical pixels, rendered at 2 pixels per logical pixel.
if command -v Xvfb > /dev/null; then
  Xvfb :87 -screen 0 2560x1600x24 -nolisten tcp > /dev/null 2>&1 &
  xvfb=$!
  trap 'kill "$xvfb" 2> /dev/null; rm -rf "$work"' EXIT
  sleep 1
  DISPLAY=:87 QT_QPA_PLATFORM=xcb QT_SCALE_FACTOR=2 "$APP" --window-size screen --export-scale 2 \
    --export-figure window="$OUT/window-scale2.png" --quit-after-export
  DISPLAY=:87 QT_QPA_PLATFORM=xcb QT_SCALE_FACTOR=2 "$APP" "$images/07_orange_circle_top_left_water.png" \
    --text "an orange circle" --text-b "water" --labels "circle, square, triangle, star, cross" --ablate 5.6,4.4 \
    --palette dark --window-size screen --export-scale 2 --export-figure window="$OUT/window-dark-scale2.png" \
    --quit-after-export
else
  echo "make-screenshots: no Xvfb, so no window-scale2.png or window-dark-scale2.png" >&2
fi
# 5. The app on an attention-pooled model (SigLIP): the grid's "pool" row and sigmoid label
#    scores. The small SigLIP of ../shared/fixtures (random weights), when that folder is there.
SIGLIP=${SIGLIP:-../shared/fixtures/siglip/tiny-siglip}
if [ -d "$SIGLIP" ]; then
  "$APP" --model "$SIGLIP" "$images/00_blue_triangle_right_grass.png" --text "a photo of a cat" \
    --labels "a cat, a dog, a car" --export-scale 1 --export-figure window="$OUT/window-siglip.png" --quit-after-export
else
  echo "make-screenshots: no $SIGLIP, so no window-siglip.png" >&2
fi
# 6. A SigLIP as large as the published so400m at 384 px (its floored 27 x 27 grid, projected maps
#    above the spatial budget), when SO400M names such a folder, e.g. one written by
#    clipscope-cli make-random-model --arch SigLIP-SO400M-14-384 --format hf --out DIR (3.5 GB).
if [ -n "${SO400M:-}" ]; then
  "$APP" --model "$SO400M" ../shared/fixtures/common/catdog.png --text "a photo of a dog" --text-b "a photo of a cat" \
    --labels "cat, dog, bird" --export-scale 1 --export-figure window="$OUT/window-so400m.png" --quit-after-export
fi
echo "screenshots written to $OUT"
