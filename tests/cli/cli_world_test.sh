#!/usr/bin/env bash
# the shapes world: datasets, a tiny training run, the demo report, segmentation on the world
# Usage: cli_world_test.sh CLIPSCOPE_CLI [SHARED_DIR]
set -u
source "$(dirname "$0")/cli_test_lib.sh"

# --- shapes world: datasets and a tiny training run that loads as an ordinary model ---
check "make-world imagefolder" "$CLI" make-world --layout imagefolder --class colour --count 12 --out "$WORK/world_if"
check "make-world labels" python3 -c "
import csv; rows=list(csv.DictReader(open('$WORK/world_if/labels.csv'))); assert len(rows)==12
import os; assert all(os.path.exists('$WORK/world_if/'+r['file']) and r['file'].startswith(r['colour']+'/') for r in rows)"
check "make-world segmentation" "$CLI" make-world --layout segmentation --count 4 --two-objects 1 --out "$WORK/world_seg"
check "make-world masks" test -s "$WORK/world_seg/masks/000003.png"
check "train-demo tiny" "$CLI" --threads 1 train-demo --out "$WORK/tiny_demo" --steps 3 --batch 4 --width 16 --vision-layers 1 --text-layers 1 \
    --eval-every 3 --eval-images 5 --warmup 1
check "train-demo record" python3 -c "
import json; j=json.load(open('$WORK/tiny_demo/training.json')); assert j['steps_done']==3 and 'commit' in j['command'] and set(j['held_out_zero_shot_accuracy'])=={'shape','colour','position','habitat'}"
check "train-demo model classifies" "$CLI" classify --model "$WORK/tiny_demo" --labels "circle,square" "$WORK/world_seg/images/000000.png"
expect_exit "train-demo refuses to overwrite" 2 "resume" "$CLI" train-demo --out "$WORK/tiny_demo" --steps 3 --batch 4 --width 16 --vision-layers 1 --text-layers 1
check "demo-report pipeline" "$CLI" --threads 1 demo-report --model "$WORK/tiny_demo" --out "$WORK/report" --images 40 --segmentation-images 6 \
    --spurious-images 8 --queries 4 --random-draws 2 --per-head 3 --rank 8
check "demo-report contents" python3 -c "
import json; j=json.load(open('$WORK/report/summary.json')); md=open('$WORK/report/report.md').read()
for h in ('## 1.', '## 2.', '## 3.', '## 4.', '## 5.'): assert h in md, h
assert set(j['zero_shot'])=={'shape','colour','position','habitat'} and all(v['differ']==0 for v in j['zero_shot'].values())
assert set(j['segmentation'])=={'decomposition','last-layer-attention','rollout'} and 0<=j['textspan']['mean_purity']<=1
import os; assert os.path.getsize('$WORK/report/figures/heads.png')>0"
check "make-world mat" "$CLI" make-world --layout mat --count 3 --size 48 --out "$WORK/world_mat"
check "segment from a .mat" "$CLI" segment --model random:tiny --mat "$WORK/world_mat/gtsegs_ijcv.mat" --methods rollout,last-layer-attention \
    --mask-alignment reference --out "$WORK/world_mat_seg"
check "segment .mat rows" python3 -c "
rows=open('$WORK/world_mat_seg.csv').read().splitlines(); assert len(rows)==1+2*3 and 'gtsegs_ijcv.mat[2]' in rows[-1], rows"
printf 'circle\nsquare\ntriangle\nstar\ncross\n' >"$WORK/world_shapes.txt"
check "segment on the world" "$CLI" segment --model "$WORK/tiny_demo" --images "$WORK/world_seg/images" --masks "$WORK/world_seg/masks" \
    --classes "$WORK/world_shapes.txt" --limit 2 --out "$WORK/world_segment"

finish cli_world
