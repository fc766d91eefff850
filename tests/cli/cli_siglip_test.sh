#!/usr/bin/env bash
# SigLIP through the command line, on ../shared's small SigLIP: info, tokenize, classify with
# sigmoid scores, embed, decompose with both self-checks, heatmaps, a store with textspan,
# neighbours and ablation, and what is not served yet refused with exit 5.
set -u
. "$(dirname "$0")/cli_test_lib.sh"
cd "$WORK"
[ -n "$SHARED" ] && [ -d "$SHARED/fixtures/siglip" ] || { echo "cli_siglip: ../shared/fixtures/siglip absent, skipped"; exit 0; }
M="$SHARED/fixtures/siglip/tiny-siglip"
IMG="$SHARED/fixtures/common/catdog.png"
IMG2="$SHARED/fixtures/common/synthetic_0.png"

check "info names the attention pooling and the sigmoid bias" python3 -c "
import json, subprocess, sys
j = json.loads(subprocess.run([sys.argv[1], '-q', 'info', '--model', sys.argv[2]], capture_output=True, check=True).stdout)
assert j['vision']['pooling'] == 'attention_pool' and j['vision']['class_token'] is False, j['vision']
assert j['text']['tokenizer'] == 'siglip_sentencepiece' and j['logit_bias'] is not None, j
" "$CLI" "$M"
capture ids.json "$CLI" -q tokenize --model "$M" "a photo of a cat"
check "tokenize: SiglipTokenizer's ids, padded with </s> to the context" \
  python3 -c "import json,sys; ids=json.load(open('ids.json'))[0]; assert ids==[6,66,8,6,48,84]+[1]*10, ids"
capture cls.json "$CLI" -q classify --model "$M" --labels "cat,dog" "$IMG"
check "classify: sigmoid scores, said so" python3 -c "
import json; j = json.load(open('cls.json'))
assert 'sigmoid' in j['scores_are'] and j['logit_bias'] is not None, j
s = j['results'][0]['scores']; assert all(0 < v < 1 for v in s.values()), s
"
check "embed-image" "$CLI" -q embed-image --model "$M" --out emb.npy "$IMG"
check "emb.npy is [1,64]" shape_is emb.npy "[1, 64]"
check "decompose writes the attention-pooled terms" "$CLI" -q decompose --model "$M" -i "$IMG" -i "$IMG2" --out terms --batch 1
check "decompose: shapes and both self-checks in meta.json" python3 -c "
import json; m = json.load(open('terms/meta.json'))
assert m['self_check']['max_abs_error'] < 1e-5 and m['self_check_pooling']['max_abs_error'] < 1e-5, m['self_check']
assert 'pooled positions' in m['files']['attentions.npy'], m['files']
"
check "terms/attentions.npy is [2,2,16,4,64]" shape_is terms/attentions.npy "[2, 2, 16, 4, 64]"
check "terms/pool_heads.npy is [2,16,4,64]" shape_is terms/pool_heads.npy "[2, 16, 4, 64]"
check "terms/mlps.npy is [2,3,64]" shape_is terms/mlps.npy "[2, 3, 64]"
check "decompose --no-spatial" "$CLI" -q decompose --model "$M" -i "$IMG" --no-spatial --out flat
check "flat/attentions.npy is [1,2,4,64]" shape_is flat/attentions.npy "[1, 2, 4, 64]"
check "heatmap A versus B through the pooling head" "$CLI" -q heatmap --model "$M" --image "$IMG" --text "a cat" --versus "a dog" --out map
check "heatmap: a 4 x 4 grid, self-checked" python3 -c "
import json; j = json.load(open('map.json'))
assert j['grid'] == 4 and j['self_check_max_abs_error'] < 1e-5 and 'pooling head' in j['map'], j
"
check "map.npy is [4,4]" shape_is map.npy "[4, 4]"
check "heatmap of one head" "$CLI" -q heatmap --model "$M" --image "$IMG" --text "a cat" --heads 1.2 --out head
expect_exit "heatmap of a head the model lacks" 2 "9.0" \
  "$CLI" -q heatmap --model "$M" --image "$IMG" --text "a cat" --heads 9.0 --out nohead
printf 'cat\ndog\n' > classes.txt
check "the segmentation protocol on SigLIP" "$CLI" -q heatmap --model "$M" --image "$IMG" --classes classes.txt --out seg
check "segmentation map: through the pooling head, self-checked" python3 -c "
import json; j = json.load(open('seg.json'))
assert j['predicted_name'] in ('cat', 'dog') and 'pooling head' in j['map'] and j['self_check_max_abs_error'] < 1e-5, j
"
check "seg.npy is [4,4]" shape_is seg.npy "[4, 4]"
# segment over image + mask folders: the decomposition and both attention baselines, which read
# the pooling head's attention where CLIP's read the class token's.
mkdir -p segset/images segset/masks
cp "$IMG" segset/images/a.png
python3 - <<'PY'
import struct, zlib
w = h = 224  # catdog.png's size
raw = b"".join(b"\x00" + bytes(255 if 50 <= x < 170 and 50 <= y < 170 else 0 for x in range(w)) for y in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open("segset/masks/a.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                                      + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
check "segment on SigLIP" "$CLI" -q segment --model "$M" --images segset/images --masks segset/masks --classes classes.txt --out segrun
check "segment: the decomposition and both baselines" python3 -c "
import json; j = json.load(open('segrun.json'))
m = [r['method'] for r in j['results']]
assert j['settings']['methods'] == 'decomposition,last-layer-attention,rollout' and m == ['decomposition', 'last-layer-attention', 'rollout'], j
"
# A store through the pooling head, and the analyses that read it.
mkdir -p set/cat set/dog
cp "$IMG" set/cat/a.png; cp "$IMG2" set/cat/b.png
cp "$(dirname "$IMG")/synthetic_1.png" set/dog/c.png; cp "$(dirname "$IMG")/synthetic_2.png" set/dog/d.png
check "index on SigLIP" "$CLI" -q index --model "$M" --images set --out store --batch 2
check "the store holds the pooling term, and says so" python3 -c "
import json, os; m = json.load(open('store/manifest.json'))
assert m['pooling'] == 'attention_pool' and 'pooling head' in m['terms'], m
assert os.path.exists('store/pooling.npy') and not os.path.exists('store/cls_attn.npy')
"
check "store/pooling.npy is [4,64]" shape_is store/pooling.npy "[4, 64]"
check "store/heads.npy is [4,2,4,64]" shape_is store/heads.npy "[4, 2, 4, 64]"
printf 'a photo of a cat\na photo of a dog\nred\nblue\ngreen\nsquare\ncircle\nstripes\n' > descriptions.txt
check "textspan on the store" "$CLI" -q textspan --model "$M" --store store --descriptions descriptions.txt --per-head 2 --out spans.json
check "textspan: two texts for each of the 8 heads" python3 -c "
import json; j = json.load(open('spans.json'))
assert len(j['heads']) == 8 and all(len(h['texts']) == 2 for h in j['heads']), j
"
capture nn.json "$CLI" -q neighbors --model "$M" --store store --query-image "$IMG" --layer 1 --head 2 -k 4 --json
check "neighbors of a query image by one head: the same image first" python3 -c "
import json; j = json.load(open('nn.json')); r = j['results']
assert len(r) == 4 and r[0]['display'] == 'cat/a.png', r
"
printf 'a photo of a {}.\n' > templates.txt
capture ablate.json "$CLI" -q ablate --model "$M" --store store --templates templates.txt --heads 1.0
check "ablate: the pooling head's MLP goes with the MLPs; no class-token rows" python3 -c "
import json; j = json.load(open('ablate.json')); names = [r['name'] for r in j['results']]
assert names[:2] == ['baseline', \"MLPs + the pooling head's MLP\"] and not any('class-token' in n for n in names), names
assert 'pooling' in j['settings']['sum'], j['settings']
"
expect_exit "export to the reference's layout: refused" 5 "attention-pooled" \
  "$CLI" -q export-store store --out reference
expect_exit "a text spelling </s> is refused" 5 "</s>" "$CLI" -q tokenize --model "$M" "a cat</s>"

finish cli_siglip
