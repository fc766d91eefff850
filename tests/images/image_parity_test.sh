#!/usr/bin/env bash
# Decoding + preprocessing parity with open_clip and transformers: images in unusual
# modes (CMYK JPEG, 16-bit PNG, palette/bilevel/transparent PNG and BMP, GIF variants)
# are turned into the model's S x S input by `clipscope-cli preprocess` and by Pillow
# running the library's transform; the two must be identical, pixel for pixel, for
# every resize mode and interpolation below, at several sizes. Broken files must be
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
"$cli" -q make-random-model --arch tiny --format hf --out "$work/hf" || exit 1
# size, pipeline (open_clip's resize mode, or transformers), interpolation, padding fill
while read -r size pipeline interpolation fill; do
  out="$work/$size-$pipeline-$interpolation-$fill"
  "$python" "$here/make_parity_images.py" "$out" "$size" "$pipeline" "$interpolation" "$fill" || exit 1
  mapfile -t exact < <(awk -F'\t' '$3 == "exact" {print $2}' "$out/cases.tsv")
  if [ "$pipeline" = transformers ]; then
    how=(--model "$work/hf" --interpolation "$interpolation")
  elif [ "$pipeline" = longest ]; then
    how=(--resize-mode longest --interpolation "$interpolation" --fill "$fill")
  else
    how=(--resize-mode "$pipeline" --interpolation "$interpolation")
  fi
  if ! "$cli" -q preprocess --image-size "$size" "${how[@]}" --out-dir "$out/ours" "${exact[@]}" < /dev/null; then
    echo "FAIL: preprocess failed at size $size ($pipeline, $interpolation)"
    failures=$((failures + 1))
  fi
  echo "== size $size, $pipeline, $interpolation, fill $fill"
  "$python" "$here/compare_crops.py" "$out" "$out/ours" || failures=$((failures + 1))
  while IFS=$'\t' read -r stem path expectation; do
    [ "$expectation" = "error" ] || continue
    "$cli" -q preprocess --out-dir "$out/broken" "$path" 2> "$work/err.txt" < /dev/null
    code=$?
    if [ "$code" -ne 3 ] || ! grep -qF "$path" "$work/err.txt"; then
      echo "FAIL $stem: exit $code (expected 3, naming the file)"; cat "$work/err.txt"
      failures=$((failures + 1))
    else
      echo "$stem	refused	$(head -c 150 "$work/err.txt")"
    fi
  done < "$out/cases.tsv"
  awk -F'\t' '$3 == "palette_pad" {print $1 "\tnot compared: a palette image padded (docs/method.md, Preprocessing)"}' "$out/cases.tsv"
done << 'CONFIGURATIONS'
224 shortest bicubic 0
64 shortest bicubic 0
336 shortest bicubic 0
224 shortest bilinear 0
224 squash bicubic 0
64 squash nearest 0
224 longest bicubic 0
64 longest bilinear 114
224 transformers bicubic 0
64 transformers bilinear 0
CONFIGURATIONS
[ "$failures" -eq 0 ] && echo "all crops identical to Pillow's" || echo "$failures failures"
exit $((failures > 0))
