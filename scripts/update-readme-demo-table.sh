#!/usr/bin/env bash
# Refreshes the README's demo-report table from a fresh run, so that its figures are the
# report's own: runs `clipscope-cli demo-report` (defaults, 2 threads) and puts its
# readme-table.md between the README's demo-report-table markers. tests/docs checks that
# the committed table is what a fresh run prints.
# Usage: scripts/update-readme-demo-table.sh [CLIPSCOPE_CLI]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=$(realpath "${1:-$root/build/app/clipscope-cli}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cli" -q --threads 2 demo-report --out "$work/report"
python3 - "$root/README.md" "$work/report/readme-table.md" <<'PY'
import sys
readme, table = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
text = open(readme, encoding="utf-8").read()
begin, end = "<!-- demo-report-table -->\n", "<!-- /demo-report-table -->"
a, b = text.index(begin) + len(begin), text.index(end)
open(readme + ".part", "w", encoding="utf-8").write(text[:a] + table + text[b:])
PY
mv "$root/README.md.part" "$root/README.md"
echo "README.md: demo-report table updated"
