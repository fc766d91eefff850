#!/usr/bin/env bash
# Feeds clipscope-cli a corpus of broken and hostile files (make_hostile_inputs.py)
# and checks each gets the documented exit code and an error naming the file, never
# a crash. Writes the results as TSV to $HOSTILE_REPORT when set (docs/reliability.md).
# Usage: hostile_inputs_test.sh CLI
set -uo pipefail
cli="$1"
here="$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/make_hostile_inputs.py" "$work/in" || exit 1
d="$work/in"
report="${HOSTILE_REPORT:-$work/report.tsv}"
printf 'case\texpected\texit\tmessage\n' > "$report"
failures=0

# check NAME EXPECTED_EXIT NEEDLE -- command...   (NEEDLE: text the error must contain, usually the file name)
check() {
  local name="$1" expected="$2" needle="$3"
  shift 4
  local err="$work/err.txt"
  timeout 60 "$@" > /dev/null 2> "$err"
  local code=$?
  local message
  message=$(grep -v '^\[info\]' "$err" | head -n 1 | cut -c1-160 | tr '\t' ' ')
  printf '%s\t%s\t%s\t%s\n' "$name" "$expected" "$code" "$message" >> "$report"
  if [ "$code" -ne "$expected" ] || { [ -n "$needle" ] && ! grep -qF -- "$needle" "$err"; }; then
    echo "FAIL $name: exit $code (expected $expected); needle '$needle'"
    cat "$err"
    failures=$((failures + 1))
  fi
}

for c in header_longer_than_file header_not_json offsets_overlap offsets_out_of_range dtype_unknown shape_size_mismatch size_2_pow_63 truncated_8_bytes empty; do
  check "safetensors: $c" 3 "open_clip_model.safetensors" -- "$cli" info --model "$d/safetensors/$c"
done
check "pickle .bin with an os.system GLOBAL" 5 "open_clip_pytorch_model.bin" -- "$cli" info --model "$d/pickle"
check "pickle .bin given as a file" 5 "open_clip_pytorch_model.bin" -- "$cli" info --model "$d/pickle/open_clip_pytorch_model.bin"
check "TorchScript .pt that is not an archive" 4 "torchscript_not_an_archive.pt" -- "$cli" info --model "$d/torchscript_not_an_archive.pt"
check "config: missing" 4 "open_clip_config.json" -- "$cli" info --model "$d/config/missing"
for c in not_json wrong_types billion_layers unsupported_pooling; do
  check "config: $c" 4 "open_clip_config.json" -- "$cli" info --model "$d/config/$c"
done
check "config: quick_gelu \"yes\" names the field" 4 "quick_gelu should be true or false" -- "$cli" info --model "$d/config/quick_gelu_string"
check "config: layers 1e300 names the field" 4 "layers should be an integer" -- "$cli" info --model "$d/config/layers_1e300"
check "config: mean on the 0..255 scale" 4 "0..255 mean" -- "$cli" info --model "$d/config/mean_0_255"
check "hf config: hidden_act a number" 4 "hidden_act should be a string" -- "$cli" info --model "$d/hf_config/hidden_act_number"
check "hf config: vision_config a string" 4 "vision_config should be an object" -- "$cli" info --model "$d/hf_config/vision_config_string"
# A vision-only checkpoint: image work runs, texts stop with exit 5 naming the missing tower.
vision_only="$here/../fixtures/options/hf_vision_only"
check "vision-only: classify names the missing text tower" 5 "no text tower" -- "$cli" classify --model "$vision_only" --labels a,b "$here/../../resources/demo/images/00_blue_triangle_right_grass.png"
check "vision-only: decompose runs" 0 "" -- "$cli" decompose --model "$vision_only" --image "$here/../../resources/demo/images/00_blue_triangle_right_grass.png" --out "$work/vision_only_decompose"
check "vision-only: a CLIPVisionModel without projection" 4 "visual_projection.weight" -- "$cli" info --model "$d/vision_model_no_projection"
check "tokenizer: empty file" 3 "empty.txt" -- "$cli" tokenize --vocab "$d/tokenizer/empty.txt" "a cat"
check "tokenizer: header only" 3 "header_only.txt" -- "$cli" tokenize --vocab "$d/tokenizer/header_only.txt" "a cat"
check "tokenizer: corrupt gzip" 3 "not_gzip.txt.gz" -- "$cli" tokenize --vocab "$d/tokenizer/not_gzip.txt.gz" "a cat"
check "tokenizer: the undamaged synthetic gzip loads" 0 "" -- "$cli" tokenize --vocab "$d/tokenizer/whole.txt.gz" "a cat"
check "tokenizer: gzip cut in half" 3 "cut_in_half.txt.gz" -- "$cli" tokenize --vocab "$d/tokenizer/cut_in_half.txt.gz" "a cat"
check "tokenizer: gzip with a wrong CRC" 3 "bad_crc.txt.gz" -- "$cli" tokenize --vocab "$d/tokenizer/bad_crc.txt.gz" "a cat"
demo="$here/../../resources/demo/model"
check "tokenizer: a corrupt SentencePiece .model" 3 "spiece.model" -- "$cli" tokenize --vocab "$d/tokenizer/spiece.model" "a cat"
check "tokenizer: a SentencePiece .model for a BPE model" 2 "spiece.model" -- "$cli" tokenize --model "$demo" --vocab "$d/tokenizer/spiece.model" "a cat"
check "tokenizer: a mojibake text is refused, not cleaned differently from ftfy" 5 "'cafÃ©'" -- "$cli" tokenize --vocab "$d/tokenizer/whole.txt.gz" "cafÃ©"
check "tokenizer: a C1 control character is refused" 5 "C1 control character U+0085" -- "$cli" tokenize --vocab "$d/tokenizer/whole.txt.gz" "$(printf 'a\xc2\x85b')"
check "tokenizer: vocab.json with a string id" 3 "vocab.json" -- "$cli" tokenize --vocab "$d/tokenizer/vocab_json/vocab.json" "a cat"
for c in bad_magic bad_header wrong_dtype descr_not_a_size truncated huge_shape fortran all_nan f8_overflow; do
  check "npy: $c" 3 "$c.npy" -- "$cli" textspan --matrix "$d/npy/$c.npy" --text-embeddings "$d/npy/$c.npy" --out "$work/ts.json"
done
check "text embeddings: all NaN" 3 "all_nan.npy" -- "$cli" heatmap --text-embeddings "$d/npy/all_nan.npy" --texts "$d/texts/empty_lines.txt" --image "$here/../../resources/demo/images/00_blue_triangle_right_grass.png" --text x --out "$work/nan_texts"
check "text embeddings: truncated" 3 "truncated.npy" -- "$cli" classify --text-embeddings "$d/npy/truncated.npy" --texts "$d/texts/empty_lines.txt" --labels a,b "$here/../../resources/demo/images/00_blue_triangle_right_grass.png"
for c in not_json wrong_format newer_version; do
  check "store manifest: $c" 3 "manifest.json" -- "$cli" neighbors --store "$d/store_manifest/$c" --query-index 0 --embedding
done
check "store: folder without manifest" 3 "$d/csv" -- "$cli" neighbors --store "$d/csv" --query-index 0 --embedding
check ".mat: not HDF5" 3 "not_hdf5.mat" -- "$cli" segment --mat "$d/mat/not_hdf5.mat" --classes "$d/texts/empty_lines.txt" --out "$work/seg"
check ".mat: empty" 3 "empty.mat" -- "$cli" segment --mat "$d/mat/empty.mat" --classes "$d/texts/empty_lines.txt" --out "$work/seg"

# Images through the zero-shot classifier of the demo model.
for f in truncated.png zero_size.png text_named.jpg bomb_30000.png aspect_1x100000.png truncated.jpg \
         gif_screen_65535.gif gif_frame_60000.gif gif_truncated_lzw.gif gif_undefined_code.gif gif_no_frame.gif \
         cmyk_no_scan.jpg cmyk_bomb_60000.jpg; do
  check "image: $f" 3 "$f" -- "$cli" classify --labels "circle,square" "$d/images/$f"
done

# Two images with one stem would overwrite each other's crop: refused before writing.
mkdir -p "$work/twin"
cp "$here/../../resources/demo/images/00_blue_triangle_right_grass.png" "$work/twin/same.png"
check "preprocess: two images, one crop name" 2 "would both be written" -- "$cli" preprocess --out-dir "$work/crops" "$work/twin/same.png" "$here/../../resources/demo/images/00_blue_triangle_right_grass.png" "$work/twin/same.png"
[ ! -e "$work/crops" ] || { echo "FAIL preprocess wrote crops before refusing"; failures=$((failures + 1)); }

# CSV metadata (Waterbirds layout) read by `spurious`, against a small store of the demo images.
"$cli" -q index --images "$here/../../resources/demo/images" --out "$work/store" || { echo "FAIL: indexing the demo images"; exit 1; }
for f in metadata_no_header.csv metadata_missing_columns.csv metadata_unclosed_quote.csv; do
  check "csv: $f" 3 "$f" -- "$cli" spurious --store "$work/store" --metadata "$d/csv/$f" --classes landbird,waterbird \
    --heads 0.0 --out "$work/spurious"
done

# Texts: unusual but valid; must work.
check "text: empty string" 0 "" -- "$cli" tokenize --model "$demo" ""
check "text: 100,000 characters" 0 "" -- "$cli" tokenize --model "$demo" "$(cat "$d/texts/long.txt")"
check "text: invalid UTF-8" 0 "" -- "$cli" tokenize --model "$demo" "$(printf 'caf\xc3 \xff\xfe')"
check "texts file: invalid UTF-8 lines" 0 "" -- "$cli" classify --labels-file "$d/texts/invalid_utf8.txt" "$here/../../resources/demo/images/00_blue_triangle_right_grass.png"
check "texts file: UTF-16 labels" 3 "utf16_labels.txt" -- "$cli" classify --labels-file "$d/texts/utf16_labels.txt" "$here/../../resources/demo/images/00_blue_triangle_right_grass.png"
check "texts file: empty --texts-file" 3 "empty.txt" -- "$cli" embed-text --texts-file "$d/texts/empty.txt" --out "$work/t.npy"
"$cli" classify --labels-file "$d/texts/bom_crlf_labels.txt" "$here/../../resources/demo/images/00_blue_triangle_right_grass.png" > "$work/bom.json" 2> /dev/null
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(j["labels"] != ["circle", "square"])' "$work/bom.json" ||
  { echo "FAIL texts file: a UTF-8 BOM or CRLF line ends became part of the labels"; cat "$work/bom.json"; failures=$((failures + 1)); }

n=$(($(wc -l < "$report") - 1))
echo "hostile inputs: $n cases, $failures failures"
[ "$failures" -eq 0 ]
