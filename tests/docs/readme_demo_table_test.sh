#!/usr/bin/env bash
# The README's demo-report table is what `demo-report` prints today: a fresh run (defaults,
# 2 threads, as scripts/update-readme-demo-table.sh makes it) against the committed block.
set -euo pipefail
cli="$1"
readme="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cli" -q --threads 2 demo-report --out "$work/report"
python3 - "$readme" "$work/report/readme-table.md" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
begin, end = "<!-- demo-report-table -->\n", "<!-- /demo-report-table -->"
committed = text[text.index(begin) + len(begin):text.index(end)]
fresh = open(sys.argv[2], encoding="utf-8").read()
if committed != fresh:
    print("README's demo-report table is stale; run scripts/update-readme-demo-table.sh\n--- committed\n"
          + committed + "--- fresh\n" + fresh)
    sys.exit(1)
print("README demo-report table: current")
PY
