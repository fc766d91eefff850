#!/usr/bin/env bash
# Decoding + preprocessing parity with open_clip: images in unusual modes (CMYK JPEG,
# 16-bit PNG, palette/bilevel/transparent PNG and BMP, GIF variants) are cropped by
# `clipscope-cli preprocess` and by Pillow running open_clip's transform; the crops
# must be identical, pixel for pixel, at several crop sizes. Broken GIFs must be
# refused with exit 3 (Pillow raises on them too).
# Usage: image_parity_test.sh CLI
set -uo pipefail
cli="$1"
here="$(dirname "$0")"
python=""
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c 'import PIL, numpy' 2> /dev/null; then python="$candidate"; break; fi
done
if [ -z "$python" ]; then
  echo "FAIL: no python3 with Pillow and NumPy (scripts/install-deps.sh installs python3-pil and python3-numpy)"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
for size in 224 64 336; do
  out="$work/$size"
  "$python" "$here/make_parity_images.py" "$out" "$size" || exit 1
  mapfile -t exact < <(awk -F'\t' '$3 == "exact" {print $2}' "$out/cases.tsv")
  if ! "$cli" -q preprocess --image-size "$size" --out-dir "$out/ours" "${exact[@]}"; then
    echo "FAIL: preprocess failed at size $size"
    failures=$((failures + 1))
  fi
  echo "== crop size $size"
  "$python" "$here/compare_crops.py" "$out" "$out/ours" || failures=$((failures + 1))
  while IFS=$'\t' read -r stem path expectation; do
    [ "$expectation" = "error" ] || continue
    "$cli" -q preprocess --out-dir "$out/broken" "$path" 2> "$work/err.txt"
    code=$?
    if [ "$code" -ne 3 ] || ! grep -qF "$path" "$work/err.txt"; then
      echo "FAIL $stem: exit $code (expected 3, naming the file)"; cat "$work/err.txt"
      failures=$((failures + 1))
    else
      echo "$stem	refused	$(head -c 150 "$work/err.txt")"
    fi
  done < "$out/cases.tsv"
done
[ "$failures" -eq 0 ] && echo "all crops identical to Pillow's" || echo "$failures failures"
exit $((failures > 0))
