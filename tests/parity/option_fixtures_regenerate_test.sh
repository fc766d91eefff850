#!/usr/bin/env bash
# The committed option-parity fixtures are what make_option_fixtures.py writes: a change
# to the numpy reference (or a hand-edited fixture) without regenerating fails here.
# Usage: option_fixtures_regenerate_test.sh
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python=""
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c 'import numpy' 2> /dev/null; then python="$candidate"; break; fi
done
[ -n "$python" ] || { echo "FAIL: no python3 with NumPy (scripts/install-deps.sh installs python3-numpy)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" "$here/make_option_fixtures.py" "$work" || { echo "FAIL: make_option_fixtures.py"; exit 1; }
committed="$here/../fixtures/options"
failures=0
for f in $(cd "$work" && find . -type f | sort); do
  cmp -s "$work/$f" "$committed/$f" || { echo "FAIL: $f differs from the committed fixture"; failures=$((failures + 1)); }
done
echo "option fixtures: $(cd "$work" && find . -type f | wc -l) files regenerated, $failures differ"
[ "$failures" -eq 0 ]
