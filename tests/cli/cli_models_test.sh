#!/usr/bin/env bash
# random models: info, bench, decompose, embed; bad models, images and tensors with their exit codes
# Usage: cli_models_test.sh CLIPSCOPE_CLI [SHARED_DIR]
set -u
source "$(dirname "$0")/cli_test_lib.sh"

# --- random models (always available) ---
check "info random" capture "$WORK/info.json" "$CLI" info --model random:ViT-B-16
check "info json fields" python3 -c "import json,sys; j=json.load(open('$WORK/info.json')); assert j['vision']['heads']==12 and j['vision']['tokens']==197 and j['parameter_count']==149620737, j" 
check "bench json" capture "$WORK/bench.json" "$CLI" --threads 1 bench --random-arch tiny --batch 2 --runs 1 --json
check "bench keys" python3 -c "import json; j=json.load(open('$WORK/bench.json')); [j[k] for k in ('plain_ms','spatial_ms','nonspatial_ms','spatial_ratio','nonspatial_ratio','maps_ms','maps_ratio','batch','threads','arch')]; assert j['batch']==2 and j['threads']==1 and j['max_sum_error']<1e-5"
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

finish cli_models
