#!/usr/bin/env bash
# On a GPU machine with Python torch: build and run the device check.
# Usage: tests/device/run.sh FIXTURES_DIR NLOHMANN_INCLUDE_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
torch_cmake="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
cmake -S "$here" -B /tmp/device-build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_cmake" -DNLOHMANN_INCLUDE="$2" >/tmp/device-cmake.log 2>&1 || { cat /tmp/device-cmake.log; exit 1; }
cmake --build /tmp/device-build -j16 2>&1 | grep -E "error|warning: unused" | head -40 || true
/tmp/device-build/device_check "$1"
