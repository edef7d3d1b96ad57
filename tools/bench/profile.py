#!/usr/bin/env python3
"""profile.py - where the instructions of one native benchmark row go.

    tools/bench/profile.py OP [--n N] [--top K] [--out DIR]

Boots the benchmark kernel (profile `fast`, as `make bench`) with
`init=/bin/bench -- N OP` under QEMU TCG `-icount shift=0 -smp 1`, with
QEMU's translation log on from boot (`-d in_asm,nochain`: each translated
block's instructions, and no chaining, so every run of a block is seen).
Through QEMU's GDB stub a hardware breakpoint stops the guest when the
bench program enters OP's function (`bench::ops::OP`, found with nm), the
execution log (`-d exec`) is switched on there, and off again when the
function returns (a breakpoint at its return address). So the window holds
exactly OP's N iterations plus OP's own set-up and its result line. Each
block run is charged to the function that holds the block's first
instruction (the kernel's symbols from its ELF, the user program's from
the bench binary) and divided by N: instructions per iteration, beside
OP's measured figure (its `[BENCH]` line). Deterministic. Writes DIR/OP.txt
(default build/bench/profile) and prints it.
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


def run(op, n, work):
    """Boot the kernel with OP's function logged; returns (log path, per_op)."""
    subprocess.run(["cargo", "build", "--profile", "fast", "--quiet"], cwd=ROOT / "kernel", check=True)
    entry = [a for a, name in symbols(BENCH) if name == f"bench::ops::{op}"]
    if not entry:
        sys.exit(f"profile: no function bench::ops::{op} in {BENCH}")
    iso, serial, qlog = work / "profile.iso", work / "serial.log", work / "qemu.log"
    env = dict(os.environ, KERNEL=str(KERNEL))
    subprocess.run([str(ROOT / "tools/mkiso.sh"), str(iso), f"norandmaps init=/bin/bench -- {n} {op}"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
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


def report(op, n, per_op, sizes, runs, top):
    table = sorted(symbols(KERNEL) + symbols(BENCH))
    addrs = [a for a, _ in table]
    per_fn, total, unknown = collections.Counter(), 0, 0
    for pc, k in runs.items():
        insns = sizes.get(pc)
        if insns is None:
            unknown += k
            continue
        i = bisect.bisect_right(addrs, pc) - 1
        name = table[i][1] if i >= 0 else "?"
        per_fn[name] += insns * k
        total += insns * k
    lines = [f"### `{op}`: {per_op} instructions per operation", "",
             f"Profiled with N = {n}: {total:,} instructions from entering `bench::ops::{op}` to its return, "
             f"{total / n:.0f} per iteration (the rest over {per_op} is the set-up and the printing of its result line"
             + (f"; {unknown} runs of blocks of unknown length left out" if unknown else "") + ").", "",
             "| function | instructions per iteration | share |", "| --- | ---: | ---: |"]
    for name, insns in per_fn.most_common(top):
        lines.append(f"| `{name}` | {insns / n:.1f} | {100 * insns / total:.1f} % |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("op")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--out", default=str(ROOT / "build/bench/profile"))
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="profile-"))
    try:
        qlog, per_op = run(a.op, a.n, work)
        sizes, runs = blocks_and_runs(qlog)
        text = report(a.op, a.n, per_op, sizes, runs, a.top)
    finally:
        if not os.environ.get("PROFILE_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{a.op}.txt").write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
