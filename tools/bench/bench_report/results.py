"""The benchmark results: parsing the files, the rows and their targets.

parse_results reads one results file (`[BENCH] name=<op> n=<N> total=<T>
per_op=<P>` lines, `# key: value` metadata, console noise ignored);
build_rows puts the MelloOS, native and Linux values of each operation
side by side (the shared binary's rows first, tools/bench/shared/rows.txt);
targets and missed say which limits a row has (Linux/3, the native
targets of issue 14) and whether it misses one. Part of
tools/bench/report.py.

An operation's result is {"n", "total", "per_op", "value"}: value is
total / n (per_op, the guest's own rounding, is kept but not shown); a
row is {"op", "mello", "native", "linux"}, each a value or None. A bad
file raises InputError (report.py exits 2).
"""
import os
import re

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Display order: the shared binary's rows, then any other row found.
with open(os.path.join(_HERE, "shared", "rows.txt")) as _f:
    OPS = _f.read().split()
# Native MelloOS targets (<=), instructions per operation.
NATIVE_TARGETS = {"getpid": 60, "ipc_roundtrip": 1200,
                  "fork_exit_wait": 15000, "fork_exec_wait": 35000}
# Every shared MelloOS row: at most this fraction of Linux's figure...
LINUX_FRACTION = 1 / 3
# ...except these (why not).
NO_TARGET = {"boot_to_kernel": "not the kernel's work",
             "mem_per_process_pagetables_kib": "part of the row above",
             "mem_per_process_kstack_kib": "part of the row above"}

BENCH_RE = re.compile(r"^\[BENCH\] name=(\S+) n=(\d+) total=(\d+) per_op=(\d+)\s*$")


class InputError(Exception):
    pass


def parse_results(path):
    """Return (ops, meta): ops maps name -> dict(n, total, per_op)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().replace("\r", "").split("\n")
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}")
    ops, meta = {}, {}
    for lineno, raw in enumerate(lines, 1):
        # tolerate console junk before the tag (firmware escape codes etc.)
        i = raw.find("[BENCH]")
        line = raw[i:].rstrip() if i >= 0 else raw.strip()
        if line.startswith("#"):
            m = re.match(r"#\s*([A-Za-z0-9_]+)\s*:\s*(.*)$", line)
            if m:
                meta[m.group(1)] = m.group(2).strip()
            continue
        if not line.startswith("[BENCH]") or line == "[BENCH] done":
            continue
        m = BENCH_RE.match(line)
        if not m:
            raise InputError(f"{path}:{lineno}: malformed line: {line!r} "
                             "(want '[BENCH] name=<op> n=<N> total=<T> per_op=<P>')")
        name = m.group(1)
        if name in ops:
            raise InputError(f"{path}:{lineno}: operation {name!r} appears twice")
        n, total = int(m.group(2)), int(m.group(3))
        if n == 0:
            raise InputError(f"{path}:{lineno}: n=0 for {name!r}")
        ops[name] = {"n": n, "total": total, "per_op": int(m.group(4)),
                     "value": total / n}
    return ops, meta


def is_footprint(op):
    return op.endswith("_kib")



def targets(row):
    """[(limit, value, who)] that apply to a row."""
    out = []
    if row["linux"] is not None and row["op"] not in NO_TARGET:
        out.append((row["linux"] * LINUX_FRACTION, row["mello"], "shared"))
    if row["op"] in NATIVE_TARGETS and row["native"] is not None:
        out.append((NATIVE_TARGETS[row["op"]], row["native"], "native"))
    return out


def missed(row):
    """True if a MelloOS value is missing or above one of its limits."""
    if row["mello"] is None:
        return True
    return any(v is None or v > limit for limit, v, _ in targets(row))



def build_rows(mello, native, linux):
    names = list(OPS) + sorted((set(mello) | set(linux)) - set(OPS))
    rows = []
    for op in names:
        def val(d):
            return d[op]["value"] if op in d else None
        rows.append({"op": op, "mello": val(mello), "native": val(native),
                     "linux": val(linux)})
    return rows
