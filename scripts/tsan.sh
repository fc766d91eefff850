#!/usr/bin/env bash
# Builds the tests of code that runs on two threads with ThreadSanitizer (build-tsan/,
# RelWithDebInfo) and runs them. Not part of CI: the build takes about 35 minutes on 2 cores.
# By default it runs what TSan can judge: one model shared by two threads (core, LibTorch's
# own threads included). The app's two-lane worker (`AnalysisWorker`, `Stress`) can be given
# as the regex, but Debian's Qt is not instrumented, so its hand-offs (the event queue's
# futex, implicitly shared QString reference counts, QSignalSpy's direct-connection appends)
# show as races TSan cannot tell from real ones; docs/reliability.md lists what was seen.
# tests/tsan.supp names the hand-offs traced so far, each by the frame that makes it.
# Usage: scripts/tsan.sh [ctest -R regex]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLIPSCOPE_TSAN=ON -DCLIPSCOPE_BUILD_BENCH=OFF
cmake --build build-tsan -j"$(nproc)" --target clipscope_core_tests clipscope_ui_tests
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
cd build-tsan
regex="${1:-^SharedModelThreads\.}"
ctest --output-on-failure -R "$regex" 2>&1 | tee tsan.log
exit "${PIPESTATUS[0]}"
