#!/usr/bin/env python3
"""Checks the module rules of core/ (core/README.md) on the source tree.

- The graph of DEPENDS in core/<module>/CMakeLists.txt has no cycle (CMake itself
  accepts cycles between static libraries).
- A file of module M includes public headers only of M and of the modules M depends
  on, directly or through them.
- Public headers (core/<module>/include/) and everything in ui/ and app/ stay free of
  LibTorch; the model's internal headers are included only by modules that link
  clipscope_model_internal.
Usage: module_deps_test.py REPO_ROOT
"""
import os
import re
import sys

INTERNAL_HEADERS = {"clip_towers.h", "torch_bridge.h", "model_internals.h"}
TORCH = re.compile(r'#include [<"](ATen|torch|c10)/')
PUBLIC_INCLUDE = re.compile(r'#include "clipscope/([a-z_]+)/[a-z_0-9]+\.h"')
LOCAL_INCLUDE = re.compile(r'#include "([a-z_0-9]+\.h)"')


def sources(folder):
    for d, _, names in os.walk(folder):
        for n in sorted(names):
            if n.endswith((".h", ".cpp")):
                yield os.path.join(d, n)


def main(root):
    core = os.path.join(root, "core")
    modules, internal_users = {}, set()
    for m in sorted(os.listdir(core)):
        cmake = os.path.join(core, m, "CMakeLists.txt")
        if not os.path.isfile(cmake):
            continue
        text = open(cmake).read()
        dep = re.search(r"DEPENDS([^\n]*)", text)
        modules[m] = dep.group(1).split() if dep else []
        if "clipscope_model_internal" in re.sub(r"add_library\(clipscope_model_internal.*", "", text, flags=re.S):
            internal_users.add(m)
    problems = []
    for m, deps in modules.items():
        for d in deps:
            if d not in modules:
                problems.append(f"core/{m}: DEPENDS names '{d}', which is not a module")

    def closure(m, seen=()):
        if m in seen:
            problems.append("dependency cycle: " + " -> ".join(seen + (m,)))
            return set()
        out = set()
        for d in modules.get(m, []):
            out |= {d} | closure(d, seen + (m,))
        return out

    allowed = {m: closure(m) | {m} for m in modules}
    for m in modules:
        for path in sources(os.path.join(core, m)):
            rel = os.path.relpath(path, root)
            text = open(path).read()
            for used in PUBLIC_INCLUDE.findall(text):
                if used not in modules:
                    problems.append(f"{rel}: includes clipscope/{used}/, which is not a module")
                elif used not in allowed[m]:
                    problems.append(f"{rel}: module '{m}' includes clipscope/{used}/ but does not depend on it")
            for header in LOCAL_INCLUDE.findall(text):
                if header in INTERNAL_HEADERS and m != "model" and m not in internal_users:
                    problems.append(f"{rel}: includes the model's internal {header} without linking clipscope_model_internal")
            if "/include/" in rel and TORCH.search(text):
                problems.append(f"{rel}: a public header includes LibTorch")
    for front in ("ui", "app"):
        for path in sources(os.path.join(root, front)):
            rel = os.path.relpath(path, root)
            text = open(path).read()
            if TORCH.search(text):
                problems.append(f"{rel}: a front end includes LibTorch")
            for header in LOCAL_INCLUDE.findall(text):
                if header in INTERNAL_HEADERS:
                    problems.append(f"{rel}: a front end includes core's internal {header}")
    for p in problems:
        print(p)
    print(f"module_deps: {len(modules)} modules ({', '.join(f'{m} -> {sorted(d) or []}' for m, d in modules.items())}), "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
