#!/usr/bin/env bash
# Installs dependencies, builds, and starts the desktop app on the bundled demo model
# (the shapes-world CLIP in resources/demo, with a demo image already decomposed).
# Without a display (a server, CI), it renders the window headless instead and
# writes the screenshot to build/demo/window.png.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target clipscope clipscope-cli
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/app/clipscope "$@"
fi
mkdir -p build/demo
QT_QPA_PLATFORM=offscreen build/app/clipscope --export-figure window=build/demo/window.png --quit-after-export "$@"
echo "no display: the window was rendered to build/demo/window.png (run with a display to use the app)"
