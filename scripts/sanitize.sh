#!/usr/bin/env bash
# Builds the core library and its tests with AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan/, Debug with -O1) and runs them. LibTorch itself is not instrumented; its
# allocations still go through ASan's allocator, so heap errors in our code that touch
# torch-owned memory are caught too. Usage: scripts/sanitize.sh [ctest -R regex]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLIPSCOPE_SANITIZE=ON -DCLIPSCOPE_BUILD_BENCH=OFF
cmake --build build-asan -j"$(nproc)" --target clipscope_core_tests clipscope-cli \
  fuzz_safetensors_replay fuzz_npy_replay fuzz_tokenizer_replay fuzz_config_replay fuzz_image_header_replay
# Leak checking is off: LibTorch and OpenBLAS keep process-lifetime pools that LSan reports.
# halt_on_error makes the first finding fail the test that hit it.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:alloc_dealloc_mismatch=0:detect_odr_violation=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd build-asan
ctest --output-on-failure -j"$(nproc)" -L "unit" ${1:+-R "$1"} 2>&1 | tee sanitize.log
exit "${PIPESTATUS[0]}"
