#!/usr/bin/env bash
# The README's demo-report table is what `demo-report` prints today: a fresh run (defaults,
# 2 threads, as scripts/update-readme-demo-table.sh makes it) against the committed block.
#
# The words of each row must match exactly; its numbers must match to a stated tolerance.
# Why not byte for byte: the same build gives last-bit differences on CPUs whose BLAS
# kernels differ (AMD EPYC against AVX-512 Intel), and TextSpan's picks on the demo have
# near ties, so a pick (and a head's family) can flip between machines. The tolerances
# below are what such flips move; a code change that moves a figure further fails here.
set -euo pipefail
cli="$1"
readme="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cli" -q --threads 2 demo-report --out "$work/report"
python3 - "$readme" "$work/report/readme-table.md" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
begin, end = "<!-- demo-report-table -->\n", "<!-- /demo-report-table -->"
committed = text[text.index(begin) + len(begin):text.index(end)]
fresh = open(sys.argv[2], encoding="utf-8").read()

NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")
# Row label prefix -> absolute tolerance of its numbers (None: exact).
TOLERANCE = {
    "zero-shot": 1.0,                 # percentages
    "sum of parts": None,             # counts exact; the difference is checked below
    "segmentation": 1.0,              # mIoU points
    "worst-group": 6.0,               # head count (±3 from flipped families) and accuracy points
}

def rows(table):
    return [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| |")]

def families(cell):  # "colour 28, habitat 14, ...; mean purity 0.52 (random picks: 0.43)"
    head, _, rest = cell.partition(";")
    counts = {name: int(n) for name, n in (part.rsplit(" ", 1) for part in head.strip().split(", "))}
    return counts, [float(x) for x in NUMBER.findall(rest)]

def compare(a, b):
    label = a.split("|")[1].strip()
    if label.startswith("TextSpan head families"):
        (ca, pa), (cb, pb) = families(a.split("|")[2]), families(b.split("|")[2])
        if a.split("|")[1] != b.split("|")[1]: return "row label"
        for name in set(ca) | set(cb):
            if abs(ca.get(name, 0) - cb.get(name, 0)) > 3: return "heads of family " + name
        if len(pa) != len(pb) or any(abs(x - y) > 0.05 for x, y in zip(pa, pb)): return "purity"
        return None
    if NUMBER.sub("#", a) != NUMBER.sub("#", b): return "words"
    na, nb = [float(x) for x in NUMBER.findall(a)], [float(x) for x in NUMBER.findall(b)]
    tol = next((t for prefix, t in TOLERANCE.items() if label.startswith(prefix)), None)
    for x, y in zip(na, nb):
        if label.startswith("sum of parts") and max(x, y) < 1e-3:
            if max(x, y) > 1e-6: return "sum-of-parts difference above 1e-6"
        elif (tol is None and x != y) or (tol is not None and abs(x - y) > tol):
            return "number %g against %g" % (x, y)
    return None

problems = []
ra, rb = rows(committed), rows(fresh)
if len(ra) != len(rb):
    problems.append("rows: %d committed, %d fresh" % (len(ra), len(rb)))
for a, b in zip(ra, rb):
    why = compare(a, b)
    if why: problems.append(why + ": " + a.split("|")[1].strip())
if problems:
    print("README's demo-report table is stale (" + "; ".join(problems) +
          "); run scripts/update-readme-demo-table.sh\n--- committed\n" + committed + "--- fresh\n" + fresh)
    sys.exit(1)
print("README demo-report table: current" + ("" if committed == fresh else " (within tolerance; fresh run:\n" + fresh + ")"))
PY
