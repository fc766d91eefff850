#!/usr/bin/env bash
# core/model/src/text_tables.inc and tests/fixtures/cleaning/cases.json are what their
# generators write with Debian's python3: a hand edit, or a generator changed without
# regenerating, fails here. Usage: text_tables_regenerate_test.sh
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
python=/usr/bin/python3
[ -x "$python" ] || python=python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
"$python" "$root/scripts/make-text-tables.py" > "$work/text_tables.inc" || { echo "FAIL: make-text-tables.py"; exit 1; }
cmp -s "$work/text_tables.inc" "$root/core/model/src/text_tables.inc" ||
  { echo "FAIL: core/model/src/text_tables.inc differs from make-text-tables.py's output"; failures=$((failures + 1)); }
"$python" "$here/make_cleaning_fixtures.py" "$work/cleaning" || { echo "FAIL: make_cleaning_fixtures.py"; exit 1; }
cmp -s "$work/cleaning/cases.json" "$root/tests/fixtures/cleaning/cases.json" ||
  { echo "FAIL: tests/fixtures/cleaning/cases.json differs from make_cleaning_fixtures.py's output"; failures=$((failures + 1)); }
echo "text tables and cleaning corpus regenerated: $failures differ"
[ "$failures" -eq 0 ]
