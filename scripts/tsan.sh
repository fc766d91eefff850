#!/usr/bin/env bash
# Builds the tests of code that runs on two threads with ThreadSanitizer (build-tsan/,
# RelWithDebInfo) and runs them: one model shared by two threads (core), and the app's
# two-lane worker, its pre-emption and its shutdown (ui). Not part of CI: the build takes
# about 35 minutes on 2 cores. LibTorch and Qt are not instrumented, so synchronisation
# inside them (Qt's event queue locks with futexes TSan does not see) can show as a race on
# data handed through a queued call; tests/tsan.supp lists those hand-offs by the Qt frame
# that makes them, and nothing of ClipScope's own.
# Usage: scripts/tsan.sh [ctest -R regex]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLIPSCOPE_TSAN=ON -DCLIPSCOPE_BUILD_BENCH=OFF
cmake --build build-tsan -j"$(nproc)" --target clipscope_core_tests clipscope_ui_tests
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
cd build-tsan
regex="${1:-^(SharedModelThreads|AnalysisWorker|Stress)\.}"
ctest --output-on-failure -R "$regex" 2>&1 | tee tsan.log
exit "${PIPESTATUS[0]}"
