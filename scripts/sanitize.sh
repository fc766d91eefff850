#!/usr/bin/env bash
# Builds the core library, its unit tests and the fuzz-corpus replays with
# AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/, RelWithDebInfo) and runs
# them (`ctest -L unit`). CI runs this after scripts/test.sh. LibTorch itself is not
# instrumented; its allocations still go through ASan's allocator, so heap errors in our
# code that touch torch-owned memory are caught too.
# SANITIZE_CLI=1 also builds clipscope-cli under the sanitizers (about 20 more minutes on
# 2 cores) and runs the hostile-input corpus and the image parity test through it.
# Usage: scripts/sanitize.sh [ctest -R regex]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLIPSCOPE_SANITIZE=ON -DCLIPSCOPE_BUILD_BENCH=OFF
targets=(clipscope_core_tests fuzz_safetensors_replay fuzz_npy_replay fuzz_tokenizer_replay fuzz_config_replay
         fuzz_image_header_replay fuzz_gif_replay fuzz_jpeg_replay)
[ "${SANITIZE_CLI:-0}" = 1 ] && targets+=(clipscope-cli)
cmake --build build-asan -j"$(nproc)" --target "${targets[@]}"
# Leak checking is off: LibTorch and OpenBLAS keep process-lifetime pools that LSan reports.
# halt_on_error makes the first finding fail the test that hit it.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:alloc_dealloc_mismatch=0:detect_odr_violation=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd build-asan
labels="unit"
regex="${1:-}"
if [ "${SANITIZE_CLI:-0}" = 1 ]; then
  # The CLI tests of untrusted input: every reader behind the real command line.
  ctest --output-on-failure -R '^(hostile_inputs|image_parity)$' 2>&1 | tee sanitize-cli.log
  [ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
fi
ctest --output-on-failure -j"$(nproc)" -L "$labels" ${regex:+-R "$regex"} 2>&1 | tee sanitize.log
exit "${PIPESTATUS[0]}"
