#!/usr/bin/env bash
# The reference fixture model (../shared/fixtures) and the real CLIP vocabulary: parity with the paper's code.
# Usage: cli_fixture_test.sh CLIPSCOPE_CLI [SHARED_DIR]
set -u
source "$(dirname "$0")/cli_test_lib.sh"

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
    check "description cache, outside the store" test -n "$(ls "$XDG_CACHE_HOME/ClipScope/text_cache")"
    check "nothing cached in the store" test ! -e "$WORK/fxstore/text_cache"
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
        --metadata "$WORK/meta.csv" --classes "a cat,a dog" --split all --heads 2.1 --out "$WORK/x"
    expect_exit "spurious preset arch" 2 "ViT-B-16" "$CLI" spurious --store "$WORK/labelled" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" \
        --metadata "$WORK/meta.csv" --classes "a cat,a dog" --preset both --out "$WORK/x"
    expect_exit "spurious bad column" 3 "no column 'bird'" "$CLI" spurious --store "$WORK/labelled" --model "$SHARED/fixtures/tiny" --vocab "$VOCAB" \
        --metadata "$WORK/meta.csv" --classes "a cat,a dog" --label-column bird --heads 2.1 --out "$WORK/x"
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
    echo "cli_fixture: ../shared absent, fixture checks skipped"
fi

finish cli_fixture
