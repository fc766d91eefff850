#!/usr/bin/env python3
"""Compares two folders written by scripts/golden-outputs.sh (old and new binary).

Every file must match byte for byte, except JSON files, which are compared as data
with timing fields (keys ending in "seconds" or "_ms") left out. Two binaries in two
trees print their own paths (the demo model's folder): `--equate OLD_TEXT NEW_TEXT`
(repeatable) treats OLD_TEXT in the old files as NEW_TEXT. `--npy-tolerance T` lets
float32 .npy files of the same shape differ by at most T per element (a change that
reorders float sums); the largest difference is printed. Prints each difference and
exits 1 if there is any.
"""
import array
import ast
import struct
import json
import os
import sys


def strip_timings(value):
    if isinstance(value, dict):
        return {k: strip_timings(v) for k, v in value.items() if not (k.endswith("seconds") or k.endswith("_ms"))}
    if isinstance(value, list):
        return [strip_timings(v) for v in value]
    return value


def npy_floats(data):
    """(shape, values) of a little-endian float32 .npy, or None for anything else."""
    if data[:6] != b"\x93NUMPY":
        return None
    n = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + n].decode())
    if header.get("descr") != "<f4" or header.get("fortran_order"):
        return None
    values = array.array("f")
    values.frombytes(data[10 + n:])
    return tuple(header["shape"]), values


def files_under(root):
    found = set()
    for folder, _, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def main(old, new, equate, npy_tolerance):
    largest = {}
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
        if rel.endswith(".npy") and npy_tolerance > 0:
            a_npy, b_npy = npy_floats(x), npy_floats(y)
            if a_npy and b_npy and a_npy[0] == b_npy[0]:
                diff = max((abs(p - q) for p, q in zip(a_npy[1], b_npy[1])), default=0.0)
                largest[rel] = diff
                if diff <= npy_tolerance:
                    continue
        problems.append(f"differs: {rel}")
    for rel, diff in sorted(largest.items()):
        print(f"within tolerance: {rel} (max |difference| {diff:.3g})")
    for p in problems:
        print(p)
    print(f"compare-golden: {len(a & b)} files compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    args, equate, tolerance = sys.argv[1:], [], 0.0
    rest = []
    i = 0
    while i < len(args):
        if args[i] == "--equate" and i + 2 < len(args):
            equate.append((args[i + 1], args[i + 2]))
            i += 3
        elif args[i] == "--npy-tolerance" and i + 1 < len(args):
            tolerance = float(args[i + 1])
            i += 2
        else:
            rest.append(args[i])
            i += 1
    if len(rest) != 2:
        sys.exit("usage: compare-golden.py OLD_DIR NEW_DIR [--equate OLD_TEXT NEW_TEXT]... [--npy-tolerance T]")
    sys.exit(main(rest[0], rest[1], equate, tolerance))
