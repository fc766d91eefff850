#!/usr/bin/env bash
# index: a store, resumed after kill -9, equals an uninterrupted one; shards, merge, export/import
# Usage: cli_index_test.sh CLIPSCOPE_CLI [SHARED_DIR]
set -u
source "$(dirname "$0")/cli_test_lib.sh"

# --- index: a store, resumed after kill -9, equals an uninterrupted one ---
for i in $(seq 2000); do echo "$ROOT/resources/samples/red_circle_blue_square.png"; done >"$WORK/list.txt"
check "index whole" "$CLI" --threads 1 index --model random:tiny --list "$WORK/list.txt" --out "$WORK/store_whole" --batch 4
"$CLI" --threads 1 index --model random:tiny --list "$WORK/list.txt" --out "$WORK/store_killed" --batch 4 >/dev/null 2>&1 &
killer=$!
# Kill once the first rows are on disk (a fixed sleep lost the race on a fast machine).
for _ in $(seq 600); do
    [ -f "$WORK/store_killed/progress.json" ] && break
    kill -0 "$killer" 2>/dev/null || break
    sleep 0.02
done
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

finish cli_index
