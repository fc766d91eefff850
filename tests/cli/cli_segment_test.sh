#!/usr/bin/env bash
# segment on image + mask folders: a classifier .npy, resume after kill -9, bad inputs
# Usage: cli_segment_test.sh CLIPSCOPE_CLI [SHARED_DIR]
set -u
source "$(dirname "$0")/cli_test_lib.sh"

# --- segment: image + mask folders (PPM written here), a classifier .npy; resumed after kill -9 ---
mkdir -p "$WORK/seg/images" "$WORK/seg/masks"
python3 - "$WORK/seg" <<'PY'
import math, os, struct, sys
root = sys.argv[1]
def ppm(path, w, h, fn):
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h))
        f.write(bytes(v for y in range(h) for x in range(w) for v in fn(x, y)))
for i in range(3):
    w, h = 64 + 16 * i, 48
    inside = lambda x, y: (x - w / 2) ** 2 + (y - h / 2) ** 2 < (10 + 3 * i) ** 2
    ppm(f"{root}/images/img{i}.ppm", w, h, lambda x, y: (220, 40, 40) if inside(x, y) else (30, 90, 30))
    ppm(f"{root}/masks/img{i}.ppm", w, h, lambda x, y: (255, 255, 255) if inside(x, y) else (0, 0, 0))
for i in range(3, 1500):  # more of the same, so a kill lands mid-run
    for d in ("images", "masks"):
        os.symlink(f"img{i % 3}.ppm", f"{root}/{d}/x{i:04d}.ppm")
E, C = 32, 4
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (E, C)
hdr += " " * (64 - (10 + len(hdr) + 1) % 64) + "\n"
with open(f"{root}/classifier.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + struct.pack("<%df" % (E * C), *[math.sin(0.3 * k) for k in range(E * C)]))
PY
SEG=(segment --model random:tiny --images "$WORK/seg/images" --masks "$WORK/seg/masks" --classifier "$WORK/seg/classifier.npy")
check "segment whole" capture "$WORK/seg_whole.stdout" "$CLI" --threads 1 "${SEG[@]}" --out "$WORK/seg_whole"
check "segment summary" python3 -c "
import json; j=json.load(open('$WORK/seg_whole.json'))
m=[r['method'] for r in j['results']]; assert m==['decomposition','last-layer-attention','rollout'], m
assert all(r['images']==1500 and 0<=r['pixel_accuracy']<=100 and 0<=r['miou']<=100 and 0<r['map']<=100 for r in j['results'])
assert j['decomposition_self_check_max_abs_error']<1e-5 and j['settings']['mask_alignment']=='crop'
rows=open('$WORK/seg_whole.csv').read().splitlines(); assert len(rows)==1+3*1500, len(rows)"
"$CLI" --threads 1 "${SEG[@]}" --out "$WORK/seg_killed" >/dev/null 2>&1 &
killer=$!
for _ in $(seq 200); do [ "$(cat "$WORK/seg_killed.csv.partial" 2>/dev/null | wc -l)" -gt 300 ] && break; sleep 0.02; done
kill -9 "$killer" 2>/dev/null
wait "$killer" 2>/dev/null
check "segment kill landed before completion" test -f "$WORK/seg_killed.csv.partial"
check "segment resumed" capture "$WORK/seg_killed.stdout" "$CLI" --threads 1 "${SEG[@]}" --out "$WORK/seg_killed"
check "segment resumed csv identical" cmp "$WORK/seg_whole.csv" "$WORK/seg_killed.csv"
check "segment resumed summary identical" cmp "$WORK/seg_whole.json" "$WORK/seg_killed.json"
check "segment journal removed" test ! -e "$WORK/seg_killed.csv.partial"
check "segment reference alignment" "$CLI" "${SEG[@]}" --limit 3 --mask-alignment reference --methods rollout --out "$WORK/seg_ref"
expect_exit "segment needs classes" 2 "--classes" "$CLI" segment --model random:tiny --images "$WORK/seg/images" --masks "$WORK/seg/masks" --out "$WORK/x"
expect_exit "segment bad method" 2 "unknown segmentation method" "$CLI" "${SEG[@]}" --methods gradcam --out "$WORK/x"
printf 'not hdf5' >"$WORK/seg/bad.mat"
expect_exit "segment bad mat" 3 "bad.mat" "$CLI" segment --model random:tiny --mat "$WORK/seg/bad.mat" --classifier "$WORK/seg/classifier.npy" --out "$WORK/x"

finish cli_segment
