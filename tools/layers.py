#!/usr/bin/env python3
"""layers.py - the kernel's two layers, checked.

The kernel (kernel/src) is a framework that owns every `unsafe` and every
piece of hardware, and services above it that are `#![forbid(unsafe_code)]`
(docs/architecture.md). This script reads the source and checks the rules
that keep it so:

  1. no framework module imports a service module (services may import the
     framework, never the reverse), so there is no cycle between the layers;
  2. every service file forbids unsafe code, and no service file contains
     the word `unsafe` except in that attribute;
  3. every top-level module is assigned to a layer below (a new module must
     be placed consciously).

It also prints the module graph, any import cycles among top-level modules
(inside a layer they are allowed, but worth seeing), and how many of the
kernel's lines are in services.

Usage: tools/layers.py [--check] [--graph]
  --check   exit 1 if a rule is broken (make test runs this)
  --graph   print every module's imports
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kernel", "src")

# The layer of every top-level module of kernel/src (main.rs is the
# composition root: it wires the layers together and belongs to neither).
FRAMEWORK = {
    "arch", "mm", "sync", "sched", "bootinfo", "serial", "console", "framebuffer",
    "font", "panic", "symbols", "log", "selftest", "config", "metrics", "kmsg",
    "watchdog",
}
SERVICES = {"user", "sys", "ktest", "cmdline", "error", "fs"}

USE_RE = re.compile(r"crate::(\{[^}]*\}|[a-z_][a-z0-9_]*)")
MACRO_DEF_RE = re.compile(r"macro_rules!\s+([a-z_][a-z0-9_]*)")


def top_modules():
    main = open(os.path.join(ROOT, "main.rs")).read()
    return re.findall(r"^\s*(?:pub\s+)?mod\s+([a-z_0-9]+)\s*;", main, re.M)


def files_of(module):
    single = os.path.join(ROOT, module + ".rs")
    found = [single] if os.path.exists(single) else []
    d = os.path.join(ROOT, module)
    if os.path.isdir(d):
        for dirpath, _, names in os.walk(d):
            found += [os.path.join(dirpath, n) for n in sorted(names) if n.endswith(".rs")]
    return found


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.split("\n"))


def main(argv):
    check, graph = "--check" in argv, "--graph" in argv
    modules = top_modules()
    errors = []
    for m in modules:
        if m not in FRAMEWORK and m not in SERVICES:
            errors.append(f"module '{m}' is in no layer: add it to FRAMEWORK or SERVICES in tools/layers.py")

    # Exported macros belong to the module that defines them.
    macro_home = {}
    for m in modules:
        for f in files_of(m):
            for name in MACRO_DEF_RE.findall(open(f).read()):
                macro_home[name] = m

    deps = {m: set() for m in modules}
    lines = {m: 0 for m in modules}
    for m in modules:
        for f in files_of(m):
            raw = open(f).read()
            lines[m] += raw.count("\n")
            code = strip_comments(raw)
            for ref in USE_RE.findall(code):
                names = re.findall(r"[a-z_][a-z0-9_]*", ref.split("::")[0]) if ref.startswith("{") else [ref]
                for name in names:
                    target = name if name in deps else macro_home.get(name)
                    if target and target != m:
                        deps[m].add(target)
            if m in SERVICES:
                rel = os.path.relpath(f, ROOT)
                # The attribute in a module's root file covers its submodules.
                if rel in (m + ".rs", m + "/mod.rs") and "#![forbid(unsafe_code)]" not in raw:
                    errors.append(f"{rel}: a service module without #![forbid(unsafe_code)]")
                for i, line in enumerate(strip_comments(raw).split("\n"), 1):
                    if re.search(r"\bunsafe\b", line) and "forbid(unsafe_code)" not in line:
                        errors.append(f"{rel}:{i}: `unsafe` in a service: {line.strip()}")

    for m in sorted(FRAMEWORK & set(modules)):
        for d in sorted(deps[m] & SERVICES):
            errors.append(f"framework module '{m}' imports service module '{d}'")

    if graph:
        for m in modules:
            layer = "framework" if m in FRAMEWORK else "service" if m in SERVICES else "?"
            print(f"{m:12} [{layer:9}] -> {', '.join(sorted(deps[m])) or '-'}")

    # Strongly connected components (Tarjan) of the top-level graph.
    index, low, on, stack, sccs, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in deps[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for m in modules:
        if m not in index:
            visit(m)
    for comp in sccs:
        mixed = {("framework" if c in FRAMEWORK else "service") for c in comp}
        kind = "CROSSES LAYERS" if len(mixed) > 1 else f"inside the {mixed.pop()} layer"
        print(f"cycle ({kind}): {' <-> '.join(comp)}")
        if kind == "CROSSES LAYERS":
            errors.append(f"import cycle across layers: {comp}")

    total = sum(lines.values())
    svc = sum(lines[m] for m in modules if m in SERVICES)
    print(f"kernel lines: {total}; in services (forbid(unsafe_code)): {svc} ({100 * svc // max(total, 1)}%)")
    for e in errors:
        print("ERROR:", e)
    if not errors:
        print("layers: OK (no framework -> service import, no unsafe in services)")
    return 1 if (check and errors) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
