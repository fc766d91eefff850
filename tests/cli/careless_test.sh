#!/usr/bin/env bash
# The careless user (issue 16's list): outputs named like inputs, bad flags, unwritable
# outputs, duplicate labels, reused and foreign folders, Ctrl+C, stores found from another
# directory. Each case checks the exit code, that the message names the file or flag, and
# that every input is byte-identical afterwards. The demo model (the default) and the
# shapes world keep it quick.
source "$(dirname "$0")/cli_test_lib.sh"
cd "$WORK" || exit 1
IMG="$ROOT/resources/demo/images/00_blue_triangle_right_grass.png"

sums() { find "$@" -type f -print0 | sort -z | xargs -0 md5sum; }
unchanged() {  # unchanged NAME: every file recorded in inputs.md5 is as it was
    if md5sum --quiet -c inputs.md5 > /dev/null 2>&1; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL: $1 changed an input"; md5sum --quiet -c inputs.md5; fi
}

"$CLI" -q make-world --out world --count 12 --size 64 > /dev/null
"$CLI" -q index --images world --out store --batch 4 > /dev/null
mkdir d && cp "$IMG" d/img.png && printf 'something red\nsky\nwater\n' > d/desc.txt && printf 'circle\nsquare\n' > d/cls.csv
sums d world store > inputs.md5

# 1. No output replaces an input or lies inside a store it reads.
expect_exit "heatmap over its image" 2 "d/img.png" "$CLI" heatmap --image d/img.png --text "a red shape" --out d/img
expect_exit "preprocess over its image" 2 "d/img.png" "$CLI" preprocess --out-dir d d/img.png
expect_exit "embed-image into its image" 2 "d/img.png" "$CLI" embed-image --out d/img.png d/img.png
expect_exit "textspan over its descriptions" 2 "d/desc.txt" \
  "$CLI" textspan --store store --descriptions d/desc.txt --per-head 2 --out d/desc.txt
expect_exit "ablate csv inside the store" 2 "lies inside store" "$CLI" ablate --store store --csv store/manifest.json
expect_exit "segment over its classes" 2 "d/cls.csv" \
  "$CLI" segment --images world --masks world --classes d/cls.csv --out d/cls
expect_exit "a hard link is the same file" 2 "is the input" bash -c \
  "ln d/img.png d/link.png && '$CLI' embed-image --out d/link.png d/img.png"
rm -f d/link.png
unchanged "refused outputs"
check "--force writes anyway" "$CLI" -q heatmap --image d/img.png --text "a red shape" --out d/img --force
cp "$IMG" d/img.png

# 1b. An existing file that ClipScope did not write is not replaced; its own earlier output is.
echo "the user's figure" > hm.png
expect_exit "heatmap over a user's file" 2 "hm.png already exists" \
  "$CLI" heatmap --image d/img.png --text "a red shape" --out hm
check "the user's file is kept" grep -q "user's figure" hm.png
check "heatmap once" "$CLI" -q heatmap --image d/img.png --text "a red shape" --out hm2
check "a rerun replaces its own output" "$CLI" -q heatmap --image d/img.png --text "a blue shape" --out hm2
sleep 0.05 && echo "my notes" >> hm2.json
expect_exit "an output edited since is the user's" 2 "hm2.json already exists" \
  "$CLI" heatmap --image d/img.png --text "a red shape" --out hm2
check "the edit is kept" grep -q "my notes" hm2.json
expect_exit "a device at an output path" 3 "/dev/null" "$CLI" embed-image --out /dev/null "$IMG"
check "/dev/null is still a device" test -c /dev/null
mkdir ref && echo "another dataset's list" > ref/smoke_images.txt
expect_exit "export-store over a user's file in a shared folder" 2 "smoke_images.txt already exists" \
  "$CLI" export-store store --out ref --dataset smoke
check "export-store of another dataset beside it" "$CLI" -q export-store store --out ref --dataset other
check "the other dataset's list is kept" grep -q "another dataset" ref/smoke_images.txt

# 2. Arguments checked before any work.
for bad in 99999 -3 abc; do
  expect_exit "--threads $bad" 2 "threads" "$CLI" --threads "$bad" info
done
expect_exit "duplicate labels" 2 "'circle' is given twice" "$CLI" classify --labels circle,circle,square "$IMG"
expect_exit "--per-head over the pool, before the scan" 2 "--per-head 5" \
  "$CLI" textspan --store store --descriptions d/desc.txt --per-head 5 --out ts.json
expect_exit "--per-head 0" 2 "per-head" "$CLI" textspan --store store --descriptions d/desc.txt --per-head 0 --out ts.json
expect_exit "spurious without classes" 2 "give --classes" \
  "$CLI" spurious --store store --metadata world/labels.csv --heads 5.0 --out sp
"$CLI" -q make-random-model --arch tiny --out tiny > /dev/null
"$CLI" -q index --model tiny --images world --out tiny-store --batch 4 > /dev/null
# Any [N, E] rows serve as TextSpan's directions; a random model has no vocabulary, so image embeddings do.
"$CLI" -q embed-image --model tiny --out tiny-dirs.npy $(find world -name '*.png' | sort | head -4) > /dev/null
check "textspan on a 3-layer model with the default --last-layers" \
  "$CLI" -q textspan --store tiny-store --text-embeddings tiny-dirs.npy --per-head 2 --rank 4 --out tiny-ts.json
check "it took the model's 3 layers" python3 -c "
import json; j=json.load(open('tiny-ts.json')); assert j['settings']['last_layers'] == 3, j['settings']"

# 3. Exit codes as documented: 2 for every argument error, 3 for an output that cannot be written.
expect_exit "unknown flag" 2 "--bogus" "$CLI" --bogus info
expect_exit "unknown command" 2 "unknown command 'nocommand'" "$CLI" nocommand
touch afile
for cmd in make-world demo-report; do
  expect_exit "$cmd into a file's child" 3 "afile" "$CLI" "$cmd" --out afile/x
done
expect_exit "decompose into a file's child" 3 "afile" "$CLI" decompose --image "$IMG" --out afile/x
expect_exit "heatmap into a file's child" 3 "afile" "$CLI" heatmap --image "$IMG" --text a --out afile/x
expect_exit "index into a file's child" 3 "afile" "$CLI" index --images world --out afile/x
# Every command: an unknown flag, and (where it has one) a missing required option, exit 2 naming them.
# (The required options are given so that the parser gets to the unknown flag; nothing runs.)
while read -r cmd args; do
  # shellcheck disable=SC2086
  expect_exit "$cmd --no-such-flag" 2 "no-such-flag" "$CLI" "$cmd" $args --no-such-flag
done << 'COMMANDS'
info
tokenize
bench
models
embed-text --out x.npy
embed-image --out x.npy y.png
preprocess --out-dir x y.png
decompose --out x
classify y.png
make-random-model --arch tiny --out x
textspan --out x.json
index --out x
export-store s --out x
import-store d --out x
merge-stores s --out x
ablate --store s
heatmap --image y.png --out x
neighbors --store s
segment --out x
spurious --store s --metadata m.csv --out x
make-world --out x
train-demo --out x
demo-report --out x
download org/name
COMMANDS
for cmd in embed-text embed-image preprocess decompose classify make-random-model textspan index export-store \
  import-store merge-stores ablate heatmap neighbors spurious make-world train-demo demo-report download; do
  expect_exit "$cmd without its required option" 2 "required" "$CLI" "$cmd"
done

# 4. A store is only read: description caches go to the user's cache folder, and a damaged one is recomputed.
check "textspan on the store" "$CLI" -q textspan --store store --descriptions d/desc.txt --per-head 2 --out ts1.json
check "nothing written into the store" test ! -e store/text_cache
cached=$(find "$XDG_CACHE_HOME/ClipScope/text_cache" -name '*.npy' | head -1)
check "the cache is in XDG_CACHE_HOME" test -s "$cached"
python3 -c "import sys; p=sys.argv[1]; d=open(p,'rb').read(); open(p,'wb').write(d[:128] + bytes(len(d) - 128))" "$cached"
check "a zeroed cache is discarded and recomputed" bash -c "'$CLI' textspan --store store --descriptions d/desc.txt \
  --per-head 2 --out ts2.json 2> log; grep -q 'discarding the damaged description cache' log"
check "with the same picks" python3 -c "
import json; a, b = (json.load(open(f))['heads'] for f in ('ts1.json', 'ts2.json'))
assert [[t['text'] for t in h['texts']] for h in a] == [[t['text'] for t in h['texts']] for h in b]"
unchanged "the read-only uses"

# 4c. A store nobody may write to (a shared dataset on a cluster), and an output folder that
#     cannot be written. Root writes anywhere, so as root these run as the user nobody
#     (setpriv); where nobody cannot run the CLI (a checkout only root may enter) they are
#     skipped, and the log says so.
RO="$(mktemp -d /tmp/clipscope-readonly.XXXXXX)"
trap 'rm -rf "$WORK"; chmod -R u+w "$RO"; rm -rf "$RO"' EXIT
cp -r store "$RO/store" && cp d/desc.txt "$RO/desc.txt" && cp "$IMG" "$RO/img.png"
mkdir "$RO/cache" "$RO/out" "$RO/locked" "$RO/imgs" && cp "$IMG" "$RO/imgs/"
chmod -R a+rX "$RO" && chmod 777 "$RO/cache" "$RO/out" && chmod -R a-w "$RO/store" "$RO/locked"
if [ "$(id -u)" -eq 0 ]; then
  reader=(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$RO" XDG_CACHE_HOME="$RO/cache")
else
  reader=(env XDG_CACHE_HOME="$RO/cache")
fi
if "${reader[@]}" "$CLI" -q info > /dev/null 2>&1; then
  (cd "$RO" && sums store > store.md5)
  check "textspan on a read-only store" "${reader[@]}" "$CLI" -q textspan --store "$RO/store" \
    --descriptions "$RO/desc.txt" --per-head 2 --out "$RO/out/ts.json"
  check "ablate on a read-only store" "${reader[@]}" "$CLI" -q ablate --store "$RO/store" --csv "$RO/out/ab.csv"
  check "a read-only store's neighbour index goes to the cache" bash -c "$(printf '%q ' "${reader[@]}") '$CLI' \
    neighbors --store '$RO/store' --build-index 2>&1 | grep -q '$RO/cache/ClipScope/neighbor_index/'"
  check "and is used from there" bash -c "$(printf '%q ' "${reader[@]}") '$CLI' neighbors --store '$RO/store' \
    --layer 1 --head 0 --query-index 0 --json > '$RO/out/nn.json' && python3 -c \"
import json; j=json.load(open('$RO/out/nn.json')); assert j['used_index'] and len(j['results']) > 0, j\""
  expect_exit "an output in a read-only folder" 3 "$RO/locked" \
    "${reader[@]}" "$CLI" heatmap --image "$RO/img.png" --text "a red shape" --out "$RO/locked/hm"
  expect_exit "index into a read-only folder" 3 "$RO/locked" \
    "${reader[@]}" "$CLI" index --images "$RO/imgs" --out "$RO/locked/s"
  check "the read-only store is unchanged" bash -c "cd '$RO' && md5sum --quiet -c store.md5 && [ ! -e store/neighbors ]"
else
  echo "note: the read-only cases were skipped: ${reader[*]} cannot run $CLI"
fi

# 5. Stores name their images absolutely (they work from any directory), and a refused
#    resume says which entry differs.
check "absolute image paths" python3 -c "
import json; p=json.load(open('store/manifest.json'))['images'][0]['path']; assert p.startswith('/'), p"
first=$(python3 -c "import json; print(json.load(open('store/manifest.json'))['images'][0]['path'])")
mkdir elsewhere
check "neighbors from another directory" bash -c "cd elsewhere && '$CLI' neighbors --store ../store --embedding \
  --query-index 0 --sheet sheet.png > /dev/null 2> log && [ -s sheet.png ] && ! grep -q warn log"
mv "$first" moved.png
expect_exit "resume names the differing image" 3 "images\[0\].path" "$CLI" index --images world --out store --batch 4
mv moved.png "$first"

# 5b. A long job survives a bad image: skipped, named, counted; --strict stops at it; resumes keep the verdict.
cp -r world wbad && printf 'not a png' > wbad/circle/broken.png
head -c 300 "$(find world -name '*.png' | sort | head -1)" > wbad/circle/truncated.png  # a real PNG, cut short
check "index skips an image it cannot decode" bash -c "'$CLI' index --images wbad --out store-bad --batch 4 2> log; \
  grep -q '2 of 14 images could not be decoded' log"
check "skipped.txt names them and why" bash -c "grep -q 'broken.png	not an image' store-bad/skipped.txt && \
  grep -q 'truncated.png	' store-bad/skipped.txt"
check "the manifest records it" python3 -c "
import json; m=json.load(open('store-bad/manifest.json'))
assert len(m['images']) == 12 and sorted(k['path'].rsplit('/', 1)[1] for k in m['skipped']) == ['broken.png', 'truncated.png'], m.get('skipped')"
expect_exit "--strict stops at it" 3 "broken.png" "$CLI" index --strict --images wbad --out store-strict --batch 4
check "--strict left no store" test ! -e store-strict/manifest.json
check "a rerun finds the store complete" bash -c "'$CLI' index --images wbad --out store-bad --batch 4 2>&1 | grep -q 'already complete'"
rm wbad/circle/broken.png wbad/circle/truncated.png
check "removing the bad images changes nothing to resume" \
  bash -c "'$CLI' index --images wbad --out store-bad --batch 4 2>&1 | grep -q 'already complete'"

# 5c. segment skips an image it cannot read, names it, and --strict stops at it.
"$CLI" -q make-world --layout segmentation --out wseg --count 4 --size 64 > /dev/null
printf 'not a png' > "$(find wseg/images -name '*.png' | sort | sed -n 2p)"
check "segment skips an unreadable image" bash -c "'$CLI' segment --images wseg/images --masks wseg/masks \
  --classes d/cls.csv --out seg 2> log > /dev/null; grep -q '1 of 4 images could not be read' log"
check "seg.skipped.txt and seg.json name it" bash -c "grep -q 'not an image' seg.skipped.txt && python3 -c \"
import json; j=json.load(open('seg.json')); assert len(j['skipped']) == 1 and j['results'][0]['images'] == 3, j\""
expect_exit "segment --strict stops at it" 3 "not an image" \
  "$CLI" segment --strict --images wseg/images --masks wseg/masks --classes d/cls.csv --out seg-strict

# 6. Generators: refuse foreign folders, replace their own earlier output, leave nothing on Ctrl+C.
expect_exit "make-world into a store" 2 "no earlier output of make-world" "$CLI" make-world --out store --count 4
mkdir mine && echo keep > mine/notes.txt
expect_exit "make-world into a user's folder" 2 "mine is not empty" "$CLI" make-world --out mine --count 4
check "the user's file is kept" grep -q keep mine/notes.txt
"$CLI" -q make-world --out w2 --count 30 --size 64 > /dev/null
"$CLI" -q make-world --out w2 --count 5 --size 32 > /dev/null
check "a rerun replaces its earlier world" bash -c \
  "[ \$(find w2 -name '*.png' | wc -l) -eq 5 ] && [ \$(tail -n +2 w2/labels.csv | wc -l) -eq 5 ]"
expect_exit "make-random-model into a non-empty folder" 2 "tiny is not empty" \
  "$CLI" make-random-model --arch tiny --out tiny
expect_exit "train-demo into a user's folder" 2 "mine is not empty" "$CLI" train-demo --out mine --steps 1
# make-world writes beside the folder (.big.partial-PID) and renames it into place when done.
"$CLI" -q make-world --out big --count 100000 --size 64 > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -n "$(find .big.partial-* -name '*.png' 2> /dev/null | head -1)" ] && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
rc=$?
check "Ctrl+C: make-world exits 130" test "$rc" -eq 130
check "Ctrl+C: no half world left" bash -c "[ ! -e big ] && ! ls -d .big.partial-* 2> /dev/null"
"$CLI" -q make-world --out big --count 100000 --size 64 > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -n "$(find .big.partial-* -name '*.png' 2> /dev/null | head -1)" ] && break; sleep 0.1; done
kill -KILL "$pid"
wait "$pid" 2> /dev/null
check "SIGKILL: nothing where the world was asked for" test ! -e big
check "a rerun after SIGKILL" "$CLI" -q make-world --out big --count 6 --size 32
check "it removed the dead run's staging" bash -c "[ -f big/labels.csv ] && ! ls -d .big.partial-* 2> /dev/null"
"$CLI" -q make-world --out w2 --count 3 --size 32 > /dev/null &  # replaced only once complete
pid=$!
wait "$pid"
check "a finished rerun swapped in whole" bash -c "[ \$(tail -n +2 w2/labels.csv | wc -l) -eq 3 ]"

# 4b. A neighbour index whose arrays changed since it was built is not trusted.
check "neighbors --build-index" "$CLI" -q neighbors --store store --build-index
sleep 0.05
python3 -c "import sys; p=sys.argv[1]; n=len(open(p,'rb').read()); open(p,'wb').write(bytes(n))" store/neighbors/heads.npy
check "a zeroed index is noticed and the store scanned" bash -c "'$CLI' neighbors --store store --layer 1 --head 0 \
  --query-index 0 --json 2> log > out.json; grep -q 'heads.npy has changed' log && python3 -c \"
import json; j=json.load(open('out.json')); assert not j['used_index'] and len(j['results']) > 0, j\""
rm -r store/neighbors

# 4c. A vision-only checkpoint: image work runs, text work says what is missing and how to give it.
VO="$ROOT/tests/fixtures/options/hf_vision_only"
check "vision-only: index its images" "$CLI" -q index --model "$VO" --images world --out vo-store --batch 4
check "vision-only: neighbours by one head" "$CLI" -q neighbors --store vo-store --layer 0 --head 0 --query-index 0 --json
expect_exit "vision-only: textspan names the missing text tower" 5 "no text tower" \
  "$CLI" -q textspan --store vo-store --descriptions d/desc.txt --per-head 1 --rank 2 --out vo-ts.json
expect_exit "vision-only: and says how to give texts" 5 "--text-embeddings T.npy --descriptions FILE" \
  "$CLI" -q textspan --store vo-store --descriptions d/desc.txt --per-head 1 --rank 2 --out vo-ts.json
expect_exit "--texts without --text-embeddings" 2 "text-embeddings" \
  "$CLI" -q heatmap --model "$VO" --texts d/desc.txt --image d/img.png --text sky --out vo-map
check "no output from the refused runs" bash -c "[ ! -e vo-ts.json ] && [ ! -e vo-map.npy ]"
unchanged "everything above"

finish careless
