#!/usr/bin/env bash
# Texts given as files (--text-embeddings T.npy --texts FILE) on a checkpoint whose text
# side ClipScope does not run: the demo model with its text tower declared a Hugging Face
# model. Heatmaps, classification and text embeddings must equal the full model's, and
# what cannot be served is refused with the documented exit codes.
set -u
. "$(dirname "$0")/cli_test_lib.sh"
cd "$WORK"
DEMO="$ROOT/resources/demo/model"
IMG="$ROOT/resources/demo/images/00_blue_triangle_right_grass.png"

mkdir hftext
cp "$DEMO/open_clip_config.json" "$DEMO/open_clip_model.safetensors" hftext/
python3 - <<'PY'
import json
p = "hftext/open_clip_config.json"
j = json.load(open(p))
j["model_cfg"]["text_cfg"]["hf_model_name"] = "xlm-roberta-base"
json.dump(j, open(p, "w"), indent=2)
PY

# The texts, embedded once by the full model: two prompts per label, and two free texts.
printf 'a photo of a {}.\nart of the {}.\n' > templates.txt
printf 'a photo of a triangle.\nart of the triangle.\na photo of a circle.\nart of the circle.\na blue shape\na red shape\n' > texts.txt
check "embed the texts with the full model" "$CLI" -q embed-text --model "$DEMO" --texts-file texts.txt --out texts.npy

check "info: the text tower is not run, and says why" python3 -c "
import json, subprocess, sys
j = json.loads(subprocess.run([sys.argv[1], '-q', 'info', '--model', 'hftext'], capture_output=True, check=True).stdout)
assert j['text'] is None, j['text']
assert 'text_cfg.hf_model_name' in j['text_unavailable'], j['text_unavailable']
" "$CLI"
expect_exit "texts without the files: exit 5 naming the field" 5 "text_cfg.hf_model_name" \
  "$CLI" -q heatmap --model hftext --image "$IMG" --text "a blue shape" --out nofiles
expect_exit "the refusal shows the way out" 5 "--text-embeddings" \
  "$CLI" -q classify --model hftext --labels triangle,circle --templates templates.txt "$IMG"
check "image work runs without texts" "$CLI" -q decompose --model hftext --image "$IMG" --out dec

# Heatmaps: the same numbers as the full model's, to float32 rounding (npy_close says why).
check "heatmap on the full model" "$CLI" -q heatmap --model "$DEMO" --image "$IMG" --text "a blue shape" --versus "a red shape" --out full
check "heatmap from the files" "$CLI" -q heatmap --model hftext --text-embeddings texts.npy --texts texts.txt \
  --image "$IMG" --text "a blue shape" --versus "a red shape" --out files
check "the two maps are the same to rounding" npy_close full.npy files.npy 1e-6
check "the map's record names the files" python3 -c "
import json; m = json.load(open('files.json'))['model']
assert m['text_embeddings']['file'] == 'texts.npy' and m['text_embeddings']['rows'] == 6, m
assert m['text_tower'].startswith('not run: text_cfg.hf_model_name'), m"

# Classification: the checkpoint keeps its logit scale, so the probabilities are the full model's.
capture full.json "$CLI" -q classify --model "$DEMO" --labels triangle,circle --templates templates.txt "$IMG"
capture files.json "$CLI" -q classify --model hftext --text-embeddings texts.npy --texts texts.txt \
  --labels triangle,circle --templates templates.txt "$IMG"
check "classify from the files: the full model's probabilities" python3 -c "
import json
full, files = json.load(open('full.json')), json.load(open('files.json'))
assert abs(files['logit_scale'] - full['logit_scale']) < 1e-6 and files['scores_are'].startswith('softmax'), files
assert full['results'][0]['top'] == files['results'][0]['top']
for name, p in full['results'][0]['scores'].items():
    assert abs(files['results'][0]['scores'][name] - p) < 1e-5, (name, p, files)
assert files['text_embeddings']['texts'] == 'texts.txt'"

# A vision-only checkpoint has no logit scale: the scores are cosines, said so.
VO="$ROOT/tests/fixtures/options/hf_vision_only"
"$CLI" -q embed-image --model "$VO" --out vo_rows.npy "$IMG" "$ROOT/resources/demo/images/01_purple_circle_bottom_water.png" > /dev/null
printf 'a photo of a triangle.\na photo of a circle.\n' > vo_texts.txt
printf 'a photo of a {}.\n' > vo_templates.txt
capture vo.json "$CLI" -q classify --model "$VO" --text-embeddings vo_rows.npy --texts vo_texts.txt \
  --labels triangle,circle --templates vo_templates.txt "$IMG"
check "vision-only classify: cosines, no logit scale" python3 -c "
import json
j = json.load(open('vo.json'))
assert j['logit_scale'] is None and j['scores_are'].startswith('cosine'), j
s = j['results'][0]['scores']
assert abs(s['triangle'] - 1.0) < 1e-5 and s['circle'] < s['triangle'], s  # row 0 is the image itself"

# embed-text from the files: the rows asked for, in the order asked.
check "embed-text from the files" "$CLI" -q embed-text --model hftext --text-embeddings texts.npy --texts texts.txt \
  --out again.npy "a blue shape" "a photo of a triangle."
check "the rows are the full model's" python3 -c "
import struct
def rows(p):
    d = open(p, 'rb').read(); n = struct.unpack('<H', d[8:10])[0]; v = d[10 + n:]
    return [v[i:i + 512] for i in range(0, len(v), 512)]  # 128 floats
a, b = rows('texts.npy'), rows('again.npy')
assert b == [a[4], a[0]], 'rows differ'"

# Careless use.
expect_exit "a text that is not in the file" 3 "has no line 'a green shape'" \
  "$CLI" -q heatmap --model hftext --text-embeddings texts.npy --texts texts.txt --image "$IMG" --text "a green shape" --out miss
expect_exit "--text-embeddings without --texts" 2 "texts" \
  "$CLI" -q heatmap --model hftext --text-embeddings texts.npy --image "$IMG" --text "a blue shape" --out half
head -3 texts.txt > short.txt
expect_exit "fewer lines than rows" 3 "has 3 lines but texts.npy has 6 rows" \
  "$CLI" -q heatmap --model hftext --text-embeddings texts.npy --texts short.txt --image "$IMG" --text "a blue shape" --out short
"$CLI" -q make-random-model --arch tiny --out tiny > /dev/null
"$CLI" -q embed-image --model tiny --out other.npy "$IMG" "$IMG" "$IMG" "$IMG" "$IMG" "$IMG" > /dev/null
expect_exit "another model's embeddings" 3 "rows of 32 values, but the model's embeddings have 128" \
  "$CLI" -q heatmap --model hftext --text-embeddings other.npy --texts texts.txt --image "$IMG" --text "a blue shape" --out wrongdim
expect_exit "an output over the texts file is refused" 2 "texts.npy" \
  "$CLI" -q embed-text --model hftext --text-embeddings texts.npy --texts texts.txt --out texts.npy "a blue shape"

finish cli_texts
