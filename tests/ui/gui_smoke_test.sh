#!/usr/bin/env bash
# The real `clipscope` executable, headless: it opens on the demo model and demo image,
# applies command-line texts/selection/ablation, exports panes in three formats and exits 0;
# bad arguments exit 2 with a message; a broken model makes it exit 1 after exporting.
set -euo pipefail
app="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache" XDG_RUNTIME_DIR="$work/run"
mkdir -p "$work/run" && chmod 700 "$work/run"

"$app" --text "a red circle" --text-b "a blue square" --labels "circle,square,triangle" --head 5.2 --ablate 5.0,4.1 \
  --export-figure window="$work/window.png" --export-figure canvas="$work/canvas.svg" --export-figure grid="$work/grid.pdf" \
  --export-figure head="$work/head.png" --export-figure scores="$work/scores.png" --export-figure gallery="$work/gallery.png" \
  --quit-after-export 2> "$work/log"
for f in window.png canvas.svg grid.pdf head.png scores.png gallery.png; do
  [ -s "$work/$f" ] || { echo "missing $f"; cat "$work/log"; exit 1; }
done
grep -q "wrote $work/window.png" "$work/log"

# Figures drawn from the data: the whole caption in the PDF's text, the colour bar's ticks
# and units in the SVG, the sheet with its heads.
"$app" --text "a red shape" --text-b "a blue shape" --ablate 4.3 \
  --export-figure canvas="$work/map.pdf" --export-figure grid="$work/heat.svg" --export-figure sheet="$work/sheet.pdf" \
  --quit-after-export 2> "$work/fig.log"
pdftotext -layout "$work/map.pdf" - | tr -s ' \n' ' ' > "$work/map.txt"
for want in "model: ClipScope demo" "00_blue_triangle" "rather than" "colour range:" "ablated: L4.H3"; do
  grep -qF "$want" "$work/map.txt" || { echo "map.pdf lacks '$want':"; cat "$work/map.txt"; exit 1; }
done
grep -q '>0<' "$work/heat.svg" && grep -q '>-0.1<' "$work/heat.svg" && grep -q 'cos(image, A)' "$work/heat.svg" \
  || { echo "grid SVG lacks its colour bar"; exit 1; }
pdftotext "$work/sheet.pdf" - | tr -s ' \n' ' ' | grep -q "L4.H7" || { echo "sheet lacks its top heads"; exit 1; }

# The data behind the panes, and a session file reopened headlessly.
"$app" --labels "circle,square" --ablate 5.1 --export-data "$work/data" --quit-after-export 2> "$work/data.log"
for f in view.json heads.csv scores.csv map.npy neighbours.csv; do
  [ -s "$work/data/$f" ] || { echo "missing data/$f"; cat "$work/data.log"; exit 1; }
done
grep -q '^5,1,.*,1,' "$work/data/heads.csv"
grep -q '"image_set": "demo world' "$work/data/view.json"
grep -q '"maps": "from the spatial terms' "$work/data/view.json" || { cat "$work/data/view.json"; exit 1; }
# Above the spatial budget the maps are projected on the texts, the same map up to rounding.
CLIPSCOPE_SPATIAL_BUDGET_MB=0 "$app" --labels "circle,square" --ablate 5.1 --export-data "$work/pdata0" \
  --quit-after-export 2> "$work/pdata0.log"
grep -q '"maps": "projected on the texts' "$work/pdata0/view.json" || { cat "$work/pdata0/view.json"; exit 1; }
python3 - "$work/data/map.npy" "$work/pdata0/map.npy" <<'PY'
import struct, sys
def load(p):
    b = open(p, 'rb').read(); n = struct.unpack('<H', b[8:10])[0]
    return struct.unpack('<%df' % ((len(b) - 10 - n) // 4), b[10 + n:])
a, b = load(sys.argv[1]), load(sys.argv[2])
assert len(a) == len(b) and max(abs(x - y) for x, y in zip(a, b)) < 1e-6 and max(map(abs, a)) > 0, (a[:4], b[:4])
PY
cat > "$work/s.clipscope.json" <<JSON
{"clipscope_session": 1, "model": "", "images": ["$(ls "$(dirname "$app")/../share/clipscope/demo/images/"*.png | sed -n 3p)"],
 "labels": "circle, square, star", "ablate": "4.2", "head": "5.3", "image_set": ""}
JSON
"$app" --session-file "$work/s.clipscope.json" --export-data "$work/sdata" --quit-after-export 2> "$work/s.log"
grep -q '"ablated": "L4.H2 (zero: no image set indexed)"' "$work/sdata/view.json" || { cat "$work/sdata/view.json" "$work/s.log"; exit 1; }
grep -q '^"star",' "$work/sdata/scores.csv"
# A session file passed like an image (the desktop entry's %F) opens as a session too.
"$app" "$work/s.clipscope.json" --export-data "$work/pdata" --quit-after-export 2> "$work/p.log"
grep -q '"ablated": "L4.H2' "$work/pdata/view.json" || { cat "$work/p.log"; exit 1; }

set +e
"$app" --export-figure nowhere="$work/x.png" --quit-after-export 2> "$work/bad.log"; rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "bad pane: exit $rc"; exit 1; }
grep -q "PANE=FILE" "$work/bad.log"

# A printed width at a resolution: 89 mm at 300 dpi is 1051 px wide; the PDF page is 89 mm.
"$app" --export-width 89mm --export-dpi 300 --export-figure canvas="$work/col.png" --export-figure canvas="$work/col.pdf" \
  --quit-after-export 2> "$work/col.log"
python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); w=struct.unpack(">I",d[16:20])[0]; sys.exit(w!=1051)' \
  "$work/col.png" || { echo "col.png is not 1051 px wide"; exit 1; }
pdfinfo "$work/col.pdf" | grep -Eq 'Page size: +252(\.[0-9]+)? x' || { pdfinfo "$work/col.pdf"; exit 1; }  # 89 mm = 252.3 pt

# Careless size flags exit 2 naming the flag, before any window opens.
for bad in "--export-width 89" "--export-width -3mm" "--export-dpi 50" "--export-scale abc" \
  "--export-scale 2 --export-dpi 300" "--window-size 10x10" "--window-size big"; do
  set +e
  # shellcheck disable=SC2086
  "$app" $bad --export-figure canvas="$work/never.png" --quit-after-export 2> "$work/flag.log"; rc=$?
  set -e
  flag=${bad%% *}
  [ "$rc" -eq 2 ] && grep -q -- "$flag" "$work/flag.log" || { echo "'$bad': exit $rc"; cat "$work/flag.log"; exit 1; }
  [ ! -e "$work/never.png" ] || { echo "'$bad' wrote a figure"; exit 1; }
done

set +e
"$app" --model "$work/no-model" --export-figure window="$work/err.png" --quit-after-export 2> "$work/err.log"; rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "missing model: exit $rc"; cat "$work/err.log"; exit 1; }
grep -q "no-model" "$work/err.log"
[ -s "$work/err.png" ]
echo "gui smoke: ok"
