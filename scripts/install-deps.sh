#!/usr/bin/env bash
# Installs every Debian 12 package ClipScope needs to build, test and run.
# Safe to re-run: apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  # The C++ layout check (scripts/check-format.sh, first step of CI).
  clang-format
  libtorch-dev
  # Without the pthread OpenBLAS, Debian's torch falls back to the reference
  # BLAS and matrix products run about 12x slower.
  libopenblas0-pthread
  libopencv-dev libspdlog-dev nlohmann-json3-dev libcli11-dev libicu-dev zlib1g-dev libhdf5-dev
  # JPEGs are decoded with libjpeg itself (Pillow's CMYK conversion; truncated files refused).
  libjpeg-dev
  # SigLIP's SentencePiece tokenizer (a module loaded at run time: core/model/src/sentencepiece_abi.h).
  libsentencepiece-dev
  # Model downloads from the Hugging Face hub (HTTPS + SHA-256 checks); the tests
  # serve the hub's URL layout from a local Python server.
  libcurl4-openssl-dev libssl-dev python3
  # The .deb package (CPack runs dpkg-shlibdeps to fill in Depends).
  dpkg-dev file
  libgtest-dev libgmock-dev libbenchmark-dev
  # The image parity test compares ClipScope's decoding and resizing with Pillow's.
  python3-pil python3-numpy
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6opengl6-dev xvfb
  # The GUI test reads exported PDF figures back (pdftotext): their captions must be whole.
  poppler-utils
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
