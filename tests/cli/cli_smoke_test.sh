#!/usr/bin/env bash
# Runs the real clipscope-cli on the fixture model, random models and bad inputs,
# checking outputs (JSON, .npy headers and values) and exit codes.
set -u
CLI="$1"
SHARED="${2:-}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

check() {  # check NAME COMMAND...: the command must succeed
    local name="$1"; shift
    if "$@" >"$WORK/out" 2>"$WORK/err"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name"; tail -5 "$WORK/err"; tail -5 "$WORK/out"
    fi
}

expect_exit() {  # expect_exit NAME CODE NEEDLE COMMAND...: exit code and a stderr message
    local name="$1" code="$2" needle="$3"; shift 3
    "$@" >"$WORK/out" 2>"$WORK/err"
    local got=$?
    if [ "$got" -eq "$code" ] && grep -q -- "$needle" "$WORK/err"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name (exit $got, expected $code with '$needle')"; cat "$WORK/err"
    fi
}

# Reads .npy headers with the Python standard library (no numpy on the machine).
npy_shape() {
    python3 - "$1" <<'PY'
import ast, struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:6] == b"\x93NUMPY", "bad magic"
n = struct.unpack("<H", data[8:10])[0]
h = ast.literal_eval(data[10:10 + n].decode())
assert h["descr"] == "<f4" and not h["fortran_order"]
count = 1
for d in h["shape"]:
    count *= d
assert len(data) == 10 + n + 4 * count, "size mismatch"
print(list(h["shape"]))
PY
}

capture() {  # capture FILE COMMAND...: stdout of the command into FILE
    local file="$1"; shift
    "$@" >"$file"
}

shape_is() { [ "$(npy_shape "$1")" = "$2" ] || { echo "shape of $1 is $(npy_shape "$1"), expected $2"; return 1; }; }

# --- random models (always available) ---
check "info random" capture "$WORK/info.json" "$CLI" info --model random:ViT-B-16
check "info json fields" python3 -c "import json,sys; j=json.load(open('$WORK/info.json')); assert j['vision']['heads']==12 and j['vision']['tokens']==197 and j['parameter_count']==149620737, j" 
check "bench json" capture "$WORK/bench.json" "$CLI" --threads 1 bench --random-arch tiny --batch 2 --runs 1 --json
check "bench keys" python3 -c "import json; j=json.load(open('$WORK/bench.json')); [j[k] for k in ('plain_ms','spatial_ms','nonspatial_ms','spatial_ratio','nonspatial_ratio','batch','threads','arch')]; assert j['batch']==2 and j['threads']==1 and j['max_sum_error']<1e-5"
check "decompose image" "$CLI" decompose --model random:tiny --image "$ROOT/resources/samples/red_circle_blue_square.png" --out "$WORK/dec"
check "attentions shape" shape_is "$WORK/dec/attentions.npy" "[1, 3, 37, 4, 32]"
check "mlps shape" shape_is "$WORK/dec/mlps.npy" "[1, 4, 32]"
check "preprocessed shape" shape_is "$WORK/dec/preprocessed.npy" "[1, 3, 48, 48]"
check "meta self-check" python3 -c "import json; m=json.load(open('$WORK/dec/meta.json')); assert m['self_check']['max_abs_error'] < 1e-5 and m['model']['spec']=='random:tiny'"
check "decompose no-spatial" "$CLI" decompose --model random:tiny --tensor "$WORK/dec/preprocessed.npy" --out "$WORK/ns" --no-spatial
check "no-spatial shape" shape_is "$WORK/ns/attentions.npy" "[1, 3, 4, 32]"
check "decompose last:2" "$CLI" decompose --model random:tiny --tensor "$WORK/dec/preprocessed.npy" --out "$WORK/l2" --layers last:2
check "last:2 shape" shape_is "$WORK/l2/attentions.npy" "[1, 2, 37, 4, 32]"
check "embed-image" "$CLI" embed-image --model random:tiny --out "$WORK/img.npy" "$ROOT/resources/samples/red_circle_blue_square.png"
check "embed-image shape" shape_is "$WORK/img.npy" "[1, 32]"

# --- index: a store, resumed after kill -9, equals an uninterrupted one ---
for i in $(seq 2000); do echo "$ROOT/resources/samples/red_circle_blue_square.png"; done >"$WORK/list.txt"
check "index whole" "$CLI" --threads 1 index --model random:tiny --list "$WORK/list.txt" --out "$WORK/store_whole" --batch 4
"$CLI" --threads 1 index --model random:tiny --list "$WORK/list.txt" --out "$WORK/store_killed" --batch 4 >/dev/null 2>&1 &
killer=$!
sleep 2.5
kill -9 "$killer" 2>/dev/null
wait "$killer" 2>/dev/null
check "kill landed before completion" python3 -c "
import json, os, sys
p = '$WORK/store_killed/progress.json'
done = json.load(open(p))['done'] if os.path.exists(p) else 0
print('killed at', done); sys.exit(0 if done < 2000 else 1)"
check "index resumed" "$CLI" --threads 1 index --model random:tiny --list "$WORK/list.txt" --out "$WORK/store_killed" --batch 4
for f in manifest.json progress.json embedding.npy heads.npy mlps.npy cls_attn.npy; do
    check "resumed $f identical" cmp "$WORK/store_whole/$f" "$WORK/store_killed/$f"
done
expect_exit "index other batch refused" 3 "other settings" "$CLI" index --model random:tiny --list "$WORK/list.txt" --out "$WORK/store_whole" --batch 8
check "index shard 0/2" "$CLI" --threads 1 index --model random:tiny --list "$WORK/list.txt" --out "$WORK/shard0" --batch 4 --shard 0/2
check "index shard 1/2" "$CLI" --threads 1 index --model random:tiny --list "$WORK/list.txt" --out "$WORK/shard1" --batch 4 --shard 1/2
check "merge-stores" "$CLI" merge-stores "$WORK/shard1" "$WORK/shard0" --out "$WORK/merged"
for f in manifest.json embedding.npy heads.npy mlps.npy cls_attn.npy; do
    check "merged $f identical to unsharded" cmp "$WORK/store_whole/$f" "$WORK/merged/$f"
done
expect_exit "merge incomplete split" 2 "each once" "$CLI" merge-stores "$WORK/shard0" --out "$WORK/merged2"

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
check "export-store" "$CLI" export-store "$WORK/store_whole" --out "$WORK/ref" --dataset smoke --model-name tiny
check "export attn shape" shape_is "$WORK/ref/smoke_attn_tiny.npy" "[2000, 3, 4, 32]"
check "export mlp shape" shape_is "$WORK/ref/smoke_mlp_tiny.npy" "[2000, 4, 32]"
check "export cls shape" shape_is "$WORK/ref/smoke_cls_attn_tiny.npy" "[2000, 3, 32]"
check "export image list" test "$(wc -l <"$WORK/ref/smoke_images.txt")" -eq 2000
check "import-store" "$CLI" import-store "$WORK/ref" --model random:tiny --dataset smoke --model-name tiny --out "$WORK/imported"
for f in heads.npy mlps.npy cls_attn.npy; do
    check "import round trip $f" cmp "$WORK/store_whole/$f" "$WORK/imported/$f"
done
check "imported manifest" python3 -c "import json; m=json.load(open('$WORK/imported/manifest.json')); assert m['embedding_normalised'] and len(m['images'])==2000"

# --- bad inputs: clear messages, documented exit codes, nothing left behind ---
expect_exit "missing model" 3 "no such file" "$CLI" info --model "$WORK/nope"
expect_exit "unknown arch" 2 "unknown architecture" "$CLI" info --model random:ViT-Z-1
printf 'garbage' >"$WORK/bad.safetensors"
mkdir -p "$WORK/badmodel" && cp "$WORK/bad.safetensors" "$WORK/badmodel/open_clip_model.safetensors"
cat >"$WORK/badmodel/open_clip_config.json" <<'JSON'
{"model_cfg": {"embed_dim": 32, "vision_cfg": {"image_size": 48, "layers": 3, "width": 64, "head_width": 16, "patch_size": 8},
 "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 4, "layers": 2}}}
JSON
expect_exit "corrupt weights" 3 "open_clip_model.safetensors" "$CLI" info --model "$WORK/badmodel"
expect_exit "cuda on cpu build" 5 "CUDA" "$CLI" info --model random:tiny --device cuda:0
printf 'not an image' >"$WORK/fake.jpg"
expect_exit "corrupt image" 3 "fake.jpg" "$CLI" embed-image --model random:tiny --out "$WORK/x.npy" "$WORK/fake.jpg"
[ ! -e "$WORK/x.npy" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: output written despite error"; }
expect_exit "bad layers" 2 "K must be" "$CLI" decompose --model random:tiny --tensor "$WORK/dec/preprocessed.npy" --out "$WORK/bl" --layers last:9
expect_exit "wrong tensor shape" 3 "needs \[B, 3, 48, 48\]" "$CLI" decompose --model random:tiny --tensor "$WORK/img.npy" --out "$WORK/ws"
touch "$WORK/open_clip_pytorch_model.bin"
expect_exit "bin refused" 5 "safetensors" "$CLI" info --model "$WORK/open_clip_pytorch_model.bin"

# --- the reference fixture model and the real CLIP vocabulary ---
if [ -n "$SHARED" ] && [ -d "$SHARED/fixtures/tiny" ]; then
    VOCAB="$SHARED/data/bpe_simple_vocab_16e6.txt.gz"
    check "tokenize" capture "$WORK/tok.json" "$CLI" tokenize --vocab "$VOCAB" "a photo of a cat." "An image of a dog"
    check "tokenize ids" python3 -c "
import json; ids=json.load(open('$WORK/tok.json'))
assert ids[0][:8]==[49406,320,1125,539,320,2368,269,49407] and len(ids[0])==77 and ids[0][8:]==[0]*69, ids[0]
assert ids[1][:7]==[49406,550,2867,539,320,1929,49407]"
    check "embed-text" "$CLI" embed-text --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" --out "$WORK/t.npy" "a photo of a cat" "a dog"
    check "embed-text shape" shape_is "$WORK/t.npy" "[2, 32]"
    check "classify" capture "$WORK/cls.json" "$CLI" classify --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" --labels "cat, dog,bird" \
        "$SHARED/fixtures/common/catdog.png" "$SHARED/fixtures/common/synthetic_0.png"
    check "classify json" python3 -c "
import json; j=json.load(open('$WORK/cls.json'))
assert j['labels']==['cat','dog','bird'] and len(j['results'])==2
for r in j['results']:
    assert abs(sum(r['scores'].values())-1)<1e-5 and r['top']==max(r['scores'], key=r['scores'].get)
assert j['results'][0]['image'].endswith('catdog.png')"
    check "decompose fixture" "$CLI" decompose --model "$SHARED/fixtures/tiny" --tensor "$SHARED/fixtures/tiny/input.npy" --out "$WORK/fx" --batch 3
    check "fixture parity" python3 - "$WORK/fx/attentions.npy" "$SHARED/fixtures/tiny/prs_attentions.npy" <<'PY'
import struct, sys, ast
def load(p):
    d = open(p, "rb").read(); n = struct.unpack("<H", d[8:10])[0]; h = ast.literal_eval(d[10:10 + n].decode())
    body = d[10 + n:]; return h["shape"], struct.unpack("<%df" % (len(body) // 4), body)
sa, a = load(sys.argv[1]); sb, b = load(sys.argv[2])
assert tuple(sa) == tuple(sb), (sa, sb)
err = max(abs(x - y) for x, y in zip(a, b))
assert err < 1e-5, err
PY
    check "textspan" "$CLI" textspan --matrix "$SHARED/fixtures/textspan/data.npy" --text-embeddings "$SHARED/fixtures/textspan/text_features.npy" \
        --rank 32 --per-head 10 --out "$WORK/ts.json" --csv "$WORK/ts.csv" --markdown "$WORK/ts.md" --reconstruction "$WORK/ts_r.npy"
    check "textspan picks" python3 -c "
import json; j=json.load(open('$WORK/ts.json'))
h=j['heads'][0]; assert h['layer'] is None and h['head'] is None
assert [t['index'] for t in h['texts']]==[414,184,423,147,74,203,396,64,467,422], h
assert abs(sum(t['variance_explained'] for t in h['texts'])-h['total_variance_explained'])<1e-9"
    check "textspan exports" grep -q "row 414" "$WORK/ts.csv" "$WORK/ts.md"
    check "textspan reconstruction" shape_is "$WORK/ts_r.npy" "[2000, 64]"
    expect_exit "textspan row mismatch" 3 "rows" "$CLI" textspan --matrix "$SHARED/fixtures/textspan/data.npy" \
        --text-embeddings "$SHARED/fixtures/textspan/text_features.npy" --descriptions "$SHARED/fixtures/common/images.json" --out "$WORK/x.json"
    check "index fixture images" "$CLI" index --model "$SHARED/fixtures/tiny" --images "$SHARED/fixtures/common" --out "$WORK/fxstore" --batch 2
    printf 'a red circle\na blue square\na photo of a cat\na photo of a dog\nwater\ngrass\n' >"$WORK/desc.txt"
    check "textspan store" "$CLI" textspan --store "$WORK/fxstore" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" --descriptions "$WORK/desc.txt" \
        --last-layers 2 --per-head 3 --rank 4 --out "$WORK/tss.json" --markdown "$WORK/tss.md"
    check "textspan store json" python3 -c "
import json; j=json.load(open('$WORK/tss.json'))
assert [(h['layer'], h['head']) for h in j['heads']] == [(l, h) for l in (1, 2) for h in range(4)]
for h in j['heads']:
    assert len(h['texts']) == 3 and len({t['index'] for t in h['texts']}) == 3 and 0 < h['total_variance_explained'] <= 1 + 1e-9
assert j['settings']['images'] == 4"
    check "description cache" test -n "$(ls "$WORK/fxstore/text_cache")"
    expect_exit "store model mismatch" 2 "not the model that made the store" "$CLI" textspan --store "$WORK/fxstore" --model random:tiny \
        --vocab "$VOCAB" --descriptions "$WORK/desc.txt" --last-layers 2 --out "$WORK/x.json"
    mkdir -p "$WORK/folder/cat" "$WORK/folder/dog"
    cp "$SHARED/fixtures/common/synthetic_0.png" "$SHARED/fixtures/common/catdog.png" "$WORK/folder/cat/"
    cp "$SHARED/fixtures/common/synthetic_1.png" "$SHARED/fixtures/common/synthetic_2.png" "$WORK/folder/dog/"
    check "index image folder" "$CLI" index --model "$SHARED/fixtures/tiny" --images "$WORK/folder" --out "$WORK/labelled" --batch 2
    check "ablate" capture "$WORK/ablate.json" "$CLI" ablate --store "$WORK/labelled" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" \
        --heads 2.1,2.3 --csv "$WORK/ablate.csv"
    check "ablate json" python3 -c "
import json; j=json.load(open('$WORK/ablate.json'))
names=[r['name'] for r in j['results']]
assert names[:4]==['baseline','MLPs','class-token attention','MLPs + class-token attention'] and names[-1]=='heads 2.1,2.3', names
assert len(names)==4+3+1 and all(r['total']==4 for r in j['results']) and j['settings']['classes']==2
assert all(abs(r['drop']-(j['results'][0]['accuracy']-r['accuracy']))<1e-9 for r in j['results'])"
    check "neighbors" capture "$WORK/nn.json" "$CLI" neighbors --store "$WORK/labelled" --query-index 2 --embedding -k 3 --json --sheet "$WORK/nn.png"
    check "neighbors itself first" python3 -c "
import json; j=json.load(open('$WORK/nn.json'))
r=j['results']; assert len(r)==3 and r[0]['index']==2 and abs(r[0]['score']-1)<1e-5 and r[0]['score']>=r[1]['score']>=r[2]['score'], r"
    check "neighbors sheet" test -s "$WORK/nn.png"
    check "neighbors by layer, scanned" capture "$WORK/nn_scan.json" "$CLI" neighbors --store "$WORK/labelled" --query-index 1 --layer 2 -k 4 --json
    check "neighbors by layer, indexed" capture "$WORK/nn_index.json" "$CLI" neighbors --store "$WORK/labelled" --query-index 1 --layer 2 -k 4 --json --build-index
    check "neighbors index same answer" python3 -c "
import json; a=json.load(open('$WORK/nn_scan.json')); b=json.load(open('$WORK/nn_index.json'))
assert not a['used_index'] and b['used_index']
assert [r['index'] for r in a['results']]==[r['index'] for r in b['results']]
assert all(abs(x['score']-y['score'])<1e-9 for x,y in zip(a['results'],b['results']))"
    check "neighbors by head" "$CLI" neighbors --store "$WORK/labelled" --query-image "$SHARED/fixtures/common/catdog.png" \
        --model "$SHARED/fixtures/tiny" --layer 2 --head 3 -k 2
    expect_exit "neighbors two ways" 2 "choose one" "$CLI" neighbors --store "$WORK/labelled" --query-index 0 --embedding --layer 1
    printf 'a photo of a cat\na photo of a dog\nsomething red\nsomething blue\na round shape\na square shape\nindoors\noutdoors\n' >"$WORK/desc.txt"
    check "ablate textspan" capture "$WORK/ablate_ts.json" "$CLI" ablate --store "$WORK/labelled" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" \
        --textspan --descriptions "$WORK/desc.txt" --last-layers 2 --per-head 2 --rank 3
    check "ablate textspan json" python3 -c "
import json; j=json.load(open('$WORK/ablate_ts.json'))
names=[r['name'] for r in j['results']]; assert names[-1].startswith('TextSpan reconstruction: layers 1..2, 2 texts per head'), names
assert names[-2].startswith('earlier layers 0..0'), names
ts=j['settings']['textspan']; assert ts['last_layers']==2 and 2<=ts['distinct_texts']<=8, ts"
    printf 'img_filename,y,split,place\ncat/synthetic_0.png,0,2,0\ncat/catdog.png,0,2,1\ndog/synthetic_1.png,1,2,0\n"dog/synthetic_2.png",1,2,1\nother/x.png,1,0,1\n' >"$WORK/meta.csv"
    check "spurious" capture "$WORK/sp.stdout" "$CLI" spurious --store "$WORK/labelled" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" \
        --metadata "$WORK/meta.csv" --classes "a cat,a dog" --heads 2.1,2.3 --random-draws 3 --seed 7 --out "$WORK/sp"
    check "spurious json" python3 -c "
import json; j=json.load(open('$WORK/sp.json'))
r=j['results']; names=[x['setting'] for x in r]
assert names[:4]==['baseline','heads','reference context only (MLPs)','reference protocol (heads + MLPs)'], names
assert len(r)==4+2*3 and all(len(x['groups'])==4 and sum(g['total'] for g in x['groups'])==4 for x in r)
assert all(x['worst_group_accuracy']==min(g['accuracy'] for g in x['groups']) for x in r)
assert [len(x['heads'].split(',')) for x in r[4:]]==[2]*6 and j['random_control']['heads']['draws']==3
assert j['settings']['split']=='split == 2' and j['settings']['heads']=='2.1,2.3'"
    check "spurious csv" grep -q "y=1,place=0" "$WORK/sp.csv"
    check "spurious keywords" "$CLI" spurious --store "$WORK/labelled" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" \
        --metadata "$WORK/meta.csv" --classes "a cat,a dog" --keywords "water,grass,circle,square,cat,dog" --textspan "$WORK/tss.json" --random-draws 0 --out "$WORK/sp2"
    expect_exit "spurious missing rows" 3 "no image in the store" "$CLI" spurious --store "$WORK/labelled" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" \
        --metadata "$WORK/meta.csv" --split all --heads 2.1 --out "$WORK/x"
    expect_exit "spurious preset arch" 2 "ViT-B-16" "$CLI" spurious --store "$WORK/labelled" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" \
        --metadata "$WORK/meta.csv" --preset both --out "$WORK/x"
    expect_exit "spurious bad column" 3 "no column 'bird'" "$CLI" spurious --store "$WORK/labelled" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" \
        --metadata "$WORK/meta.csv" --label-column bird --heads 2.1 --out "$WORK/x"
    expect_exit "ablate bad heads" 2 "LAYER.HEAD" "$CLI" ablate --store "$WORK/labelled" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" --heads 2-1
    check "heatmap" "$CLI" heatmap --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" --image "$SHARED/fixtures/common/catdog.png" \
        --text "a photo of a dog" --versus "a photo of a cat" --layers 1:2 --out "$WORK/hm"
    check "heatmap grid" shape_is "$WORK/hm.npy" "[6, 6]"
    printf 'cat\ndog\nbird\n' >"$WORK/classes.txt"
    check "heatmap segmentation protocol" "$CLI" heatmap --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" --image "$SHARED/fixtures/common/catdog.png" \
        --classes "$WORK/classes.txt" --out "$WORK/hmseg"
    check "heatmap segmentation outputs" python3 -c "
import json,os; j=json.load(open('$WORK/hmseg.json')); assert j['predicted_name'] in ('cat','dog','bird') and j['self_check_max_abs_error']<1e-5
assert 0<j['foreground_fraction']<1 and os.path.getsize('$WORK/hmseg_mask.png')>0"
    check "heatmap png" python3 -c "import struct; d=open('$WORK/hm.png','rb').read(); assert d[:8]==b'\x89PNG\r\n\x1a\n' and struct.unpack('>II', d[16:24])==(48, 48)"
    expect_exit "heatmap bad layers" 2 "outside" "$CLI" heatmap --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" --image "$SHARED/fixtures/common/catdog.png" \
        --text "a dog" --layers 1:7 --out "$WORK/hm2"
    expect_exit "no vocab" 3 "--vocab" "$CLI" embed-text --model "$SHARED/fixtures/tiny" --out "$WORK/nv.npy" "x"
else
    echo "cli_smoke: ../shared absent, fixture checks skipped"
fi

echo "cli_smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
