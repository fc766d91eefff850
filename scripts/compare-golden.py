#!/usr/bin/env python3
"""Compares two folders written by scripts/golden-outputs.sh (old and new binary).

Every file must match byte for byte, except JSON files, which are compared as data
with timing fields (keys ending in "seconds" or "_ms") left out. Two binaries in two
trees print their own paths (the demo model's folder): `--equate OLD_TEXT NEW_TEXT`
(repeatable) treats OLD_TEXT in the old files as NEW_TEXT. Prints each difference and
exits 1 if there is any.
"""
import json
import os
import sys


def strip_timings(value):
    if isinstance(value, dict):
        return {k: strip_timings(v) for k, v in value.items() if not (k.endswith("seconds") or k.endswith("_ms"))}
    if isinstance(value, list):
        return [strip_timings(v) for v in value]
    return value


def files_under(root):
    found = set()
    for folder, _, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def main(old, new, equate):
    a, b = files_under(old), files_under(new)
    problems = [f"only in {old}: {p}" for p in sorted(a - b)] + [f"only in {new}: {p}" for p in sorted(b - a)]
    for rel in sorted(a & b):
        x = open(os.path.join(old, rel), "rb").read()
        y = open(os.path.join(new, rel), "rb").read()
        for old_text, new_text in equate:
            x = x.replace(old_text.encode(), new_text.encode())
        if x == y:
            continue
        if rel.endswith(".json"):
            try:
                if strip_timings(json.loads(x)) == strip_timings(json.loads(y)):
                    continue
            except ValueError:
                pass
        problems.append(f"differs: {rel}")
    for p in problems:
        print(p)
    print(f"compare-golden: {len(a & b)} files compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    args, equate = sys.argv[1:], []
    while len(args) > 2 and args[-3] == "--equate":
        equate.append((args[-2], args[-1]))
        args = args[:-3]
    if len(args) != 2:
        sys.exit("usage: compare-golden.py OLD_DIR NEW_DIR [--equate OLD_TEXT NEW_TEXT]...")
    sys.exit(main(args[0], args[1], equate))
