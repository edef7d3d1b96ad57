#!/usr/bin/env python3
"""profile.py - where the instructions of one benchmark row go.

    tools/bench/profile.py OP [--shared] [--n N] [--top K] [--out DIR]
    tools/bench/profile.py --missed DIR [--top K] [--out DIR/profile]

Boots the benchmark kernel (profile `fast`, as `make bench`) running only
row OP, under QEMU TCG `-icount shift=0 -smp 1`, with QEMU's translation
log on from boot (`-d in_asm,nochain`: each translated block's
instructions, and no chaining, so every run of a block is seen). The row
is the native one (`init=/bin/bench -- N OP`, function `bench::ops::OP`)
or, with --shared, the shared binary's (`abi=linux init=/bin/linux/bench
-- N row=OP`, function `row_OP`; the binary and initramfs that
tools/bench/shared/run.sh mellos built in build/bench/shared-mellos-build).
Through QEMU's GDB stub a hardware breakpoint stops the guest when the
program enters the row's function (found with nm), the execution log (`-d
exec`) is switched on there, and off again when the function returns (a
breakpoint at its return address). So the window holds exactly the row's
N iterations plus its own set-up (every process that ran meanwhile
included). Each block run is charged to the function that holds the
block's first instruction (the kernel's symbols from its ELF; native: the
bench program's; shared: user space as one line, since busybox and the
bench binary share addresses and user space runs the same instructions on
both kernels) and divided by N: instructions per iteration, beside the
row's measured figure (its `[BENCH]` line). Deterministic. Writes
DIR/OP.txt (shared: DIR/shared-OP.txt; default build/bench/profile) and
prints it.

--missed DIR profiles every row that misses a target in DIR's results
(shared-mellos.txt and shared-linux.txt against Linux/3, mellos.txt
against the native targets; footprint and boot rows are not instruction
loops and are left out), each with N chosen to log about 2 million
instructions.
"""

import argparse
import bisect
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KERNEL = ROOT / "kernel/target/x86_64-unknown-none/fast/kernel"
BENCH = ROOT / "userspace/target/x86_64-unknown-none/release/bench"
TRACE = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
INSN = re.compile(r"^0x([0-9a-f]+):")
# A long instruction's bytes wrap onto a line of their own (no mnemonic).
BYTES_ONLY = re.compile(r"^0x[0-9a-f]+:\s+(?:[0-9a-f]{2}\s*)+$")


def symbols(elf):
    """Sorted (address, name) of the functions in `elf` (nm, demangled)."""
    if not elf.exists():
        return []
    out = subprocess.run(["nm", "-n", "-C", "--defined-only", str(elf)], capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), re.sub(r"::h[0-9a-f]{16}$", "", parts[2])))
    return syms


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SHARED_DIR = ROOT / "build/bench/shared-mellos-build"
USER_TOP = 1 << 47


def run(op, n, work, shared):
    """Boot the kernel with OP's function logged; returns (log path, per_op)."""
    subprocess.run(["cargo", "build", "--profile", "fast", "--quiet"], cwd=ROOT / "kernel", check=True)
    binary, fn = (SHARED_DIR / "bench", f"row_{op}") if shared else (BENCH, f"bench::ops::{op}")
    entry = [a for a, name in symbols(binary) if name == fn]
    if not entry:
        sys.exit(f"profile: no function {fn} in {binary}"
                 + (" (run tools/bench/shared/run.sh mellos first)" if shared else ""))
    iso, serial, qlog = work / "profile.iso", work / "serial.log", work / "qemu.log"
    env = dict(os.environ, KERNEL=str(KERNEL))
    if shared:
        env["INITRD"] = str(SHARED_DIR / "initrd.cpio")
        cmdline = f"norandmaps abi=linux init=/bin/linux/bench -- {n} row={op} mem_kib=524288"
    else:
        cmdline = f"norandmaps init=/bin/bench -- {n} {op}"
    subprocess.run([str(ROOT / "tools/mkiso.sh"), str(iso), cmdline], env=env, check=True, stdout=subprocess.DEVNULL)
    cpu = os.environ.get("BENCH_CPU", "max,la57=off,erms=off,fsrm=off")
    port = free_port()
    qemu = subprocess.Popen([str(ROOT / "tools/qemu/qemu.sh"), "-iso", str(iso), "-smp", "1", "-headless", "-icount",
                             "-cpu", cpu, "--", "-d", "in_asm,nochain", "-D", str(qlog),
                             "-gdb", f"tcp:127.0.0.1:{port}", "-S"],
                            stdin=subprocess.DEVNULL, stdout=open(serial, "wb"), stderr=subprocess.STDOUT)
    script = work / "gdb.cmd"
    script.write_text("\n".join([
        "set pagination off", "set confirm off", "set architecture i386:x86-64",
        f"target remote 127.0.0.1:{port}", f"hbreak *{entry[0]:#x}", "continue",
        "delete", "monitor log in_asm,nochain,exec", "hbreak *(*(unsigned long *)$rsp)", "continue",
        "delete", "monitor log in_asm,nochain", "detach", ""]))
    time.sleep(0.5)
    subprocess.run(["gdb", "-batch", "-nx", "-x", str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=900)
    try:
        qemu.wait(timeout=900)
    except subprocess.TimeoutExpired:
        qemu.kill()
    text = serial.read_bytes().decode("latin-1")
    m = re.search(rf"\[BENCH\] name={op} n=\d+ total=\d+ per_op=(\d+)", text)
    if not m:
        sys.exit(f"profile: no [BENCH] line for {op}; serial log: {serial}")
    return qlog, int(m.group(1))


def blocks_and_runs(qlog):
    """Instructions per translated block, and how often each block ran."""
    sizes, runs = {}, collections.Counter()
    start, count = None, 0
    with open(qlog, errors="replace") as f:
        for line in f:
            m = INSN.match(line)
            if m and BYTES_ONLY.match(line):
                continue
            if m:
                if start is None:
                    start = int(m.group(1), 16)
                count += 1
                continue
            if start is not None and not line.strip():
                sizes[start], start, count = count, None, 0
                continue
            t = TRACE.match(line)
            if t:
                runs[int(t.group(1), 16)] += 1
    return sizes, runs


def report(op, n, per_op, sizes, runs, top, shared):
    table = sorted(symbols(KERNEL) + ([] if shared else symbols(BENCH)))
    addrs = [a for a, _ in table]
    per_fn, total, unknown = collections.Counter(), 0, 0
    for pc, k in runs.items():
        insns = sizes.get(pc)
        if insns is None:
            unknown += k
            continue
        if shared and pc < USER_TOP:
            name = "(user space: the bench binary, busybox)"
        else:
            i = bisect.bisect_right(addrs, pc) - 1
            name = table[i][1] if i >= 0 else "?"
        per_fn[name] += insns * k
        total += insns * k
    fn, kind = (f"row_{op}", "shared binary, Linux personality") if shared else (f"bench::ops::{op}", "native")
    lines = [f"### `{op}` ({kind}): {per_op:,} instructions per operation", "",
             f"Profiled with N = {n}: {total:,} instructions from entering `{fn}` to its return, "
             f"{total / n:,.0f} per iteration (the rest over {per_op:,} is the row's set-up"
             + ("" if shared else " and the printing of its result line")
             + (f"; {unknown} runs of blocks of unknown length left out" if unknown else "") + ").", "",
             "| function | instructions per iteration | share |", "| --- | ---: | ---: |"]
    for name, insns in per_fn.most_common(top):
        lines.append(f"| `{name}` | {insns / n:,.1f} | {100 * insns / total:.1f} % |")
    return "\n".join(lines) + "\n"


def profile(op, n, shared, top, out):
    work = Path(tempfile.mkdtemp(prefix="profile-"))
    try:
        qlog, per_op = run(op, n, work, shared)
        sizes, runs = blocks_and_runs(qlog)
        text = report(op, n, per_op, sizes, runs, top, shared)
    finally:
        if not os.environ.get("PROFILE_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{'shared-' if shared else ''}{op}.txt").write_text(text)
    return text


def missed_rows(directory):
    """[(op, shared, N)] for the rows of DIR's results that miss a target."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_report import results
    files = {k: directory / f"{k}.txt" for k in ("shared-mellos", "shared-linux", "mellos")}
    parsed = {k: results.parse_results(f) if f.exists() else ({}, {}) for k, f in files.items()}
    load = {k: ops for k, (ops, _) in parsed.items()}
    rows = results.build_rows(load["shared-mellos"], load["mellos"], load["shared-linux"])

    def n_for(kind, op):
        # Instructions per iteration of the program's N (a row's own n may
        # count something else: bytes for pipe_64k, switches for ctx_switch).
        ops, meta = parsed[kind]
        per_iteration = ops[op]["total"] / max(int(meta.get("n", ops[op]["n"])), 1)
        return max(2, min(2000, round(2e6 / max(per_iteration, 1))))
    todo = []
    for row in rows:
        op = row["op"]
        if results.is_footprint(op) or op.startswith(("boot_", "kernel_")):
            continue
        for limit, value, who in results.targets(row):
            if value is not None and value > limit:
                todo.append((op, who == "shared", n_for("shared-mellos" if who == "shared" else "mellos", op)))
    return todo


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("op", nargs="?")
    ap.add_argument("--shared", action="store_true")
    ap.add_argument("--missed", metavar="DIR")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.missed:
        out = Path(a.out or Path(a.missed) / "profile")
        for op, shared, n in missed_rows(Path(a.missed)):
            print(f"profile: {'shared' if shared else 'native'} {op} (N = {n})", flush=True)
            profile(op, n, shared, a.top, out)
        return
    if not a.op:
        ap.error("OP or --missed DIR is required")
    print(profile(a.op, a.n, a.shared, a.top, Path(a.out or ROOT / "build/bench/profile")), end="")


if __name__ == "__main__":
    main()
