#!/usr/bin/env bash
# Fuzzes the readers of untrusted files with libFuzzer (clang 14 from Debian), with
# AddressSanitizer and UndefinedBehaviorSanitizer. Each target starts from the kept
# corpus (fuzz/corpus/T, seeded by fuzz/make_seeds.py), runs SECONDS, and merges new
# coverage back into the corpus; a crash is saved to fuzz/regressions/T/ so that
# the ordinary test suite replays it from then on.
# Usage: scripts/fuzz.sh [SECONDS per target, default 120] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors npy tokenizer config image_header gif jpeg)
command -v clang++-14 > /dev/null || { echo "fuzz: needs clang-14 and libclang-rt-14-dev (apt)"; exit 2; }
out=build-fuzz
mkdir -p "$out/obj" "$out/bin"
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -Icore/base/include -Icore/io/include -Icore/model/include -Icore/hub/include -Icore/io/src -I/usr/include/opencv4)
san=-fsanitize=address,undefined
# The torch-free reader sources these targets reach.
sources=(core/io/src/safetensors.cpp core/io/src/npy.cpp core/model/src/tokenizer.cpp core/model/src/model_config.cpp
         core/base/src/ndarray.cpp core/base/src/atomic_file.cpp core/io/src/image_header.cpp core/io/src/gif_decoder.cpp
         core/io/src/jpeg_decoder.cpp)
objects=()
for s in "${sources[@]}"; do
  o="$out/obj/$(basename "$s" .cpp).o"
  [ "$o" -nt "$s" ] || clang++-14 "${flags[@]}" $san -fsanitize=fuzzer-no-link -c "$s" -o "$o"
  objects+=("$o")
done
libs=(-lspdlog -lfmt -licuuc -licui18n -lz -ljpeg)
python3 fuzz/make_seeds.py "$out/seeds"
for t in "${targets[@]}"; do
  bin="$out/bin/${t}_fuzz"
  clang++-14 "${flags[@]}" $san -fsanitize=fuzzer "fuzz/${t}_fuzz.cpp" "${objects[@]}" "${libs[@]}" -o "$bin"
  mkdir -p "fuzz/corpus/$t" "fuzz/regressions/$t" "$out/new/$t" "$out/seeds/$t"
  echo "== $t: ${seconds}s"
  export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:malloc_limit_mb=2048"
  set +e
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="fuzz/regressions/$t/" "$out/new/$t" "fuzz/corpus/$t" "$out/seeds/$t" 2>&1 | tail -n 12 | tee "$out/$t.log"
  status=${PIPESTATUS[0]}
  set -e
  # Keep only inputs that add coverage, so the committed corpus stays small.
  "$bin" -merge=1 "fuzz/corpus/$t" "$out/new/$t" "$out/seeds/$t" > /dev/null 2>&1 || true
  echo "== $t: exit $status, corpus $(ls "fuzz/corpus/$t" | wc -l) files, regressions $(ls "fuzz/regressions/$t" | wc -l)"
done
