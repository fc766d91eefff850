#!/usr/bin/env bash
# Checks that every C++ file of the project is laid out as .clang-format says
# (clang-format 14, installed by install-deps.sh). CI runs it first; to fix a
# finding, run: clang-format -i FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format > /dev/null || { echo "check-format: clang-format is missing (scripts/install-deps.sh installs it)"; exit 2; }
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if clang-format --dry-run --Werror "${files[@]}" 2> format.log; then
  echo "check-format: ${#files[@]} files formatted as .clang-format says"
  rm -f format.log
else
  grep -m 20 "error:" format.log || true
  echo "check-format: $(grep -c 'error:' format.log) places differ from .clang-format in $(grep 'error:' format.log | cut -d: -f1 | sort -u | wc -l) files (clang-format -i FILE fixes them)"
  rm -f format.log
  exit 1
fi
