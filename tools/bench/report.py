#!/usr/bin/env python3
"""report.py - MelloOS vs Linux benchmark report (python3 stdlib only).

Reads results files made of `[BENCH] name=<op> n=<N> total=<T> per_op=<P>`
lines (other lines are ignored except `# key: value` metadata such as
`# kernel:` or `# qemu:`):

  SHARED_MELLOS  the shared binary (tools/bench/shared) on MelloOS
  SHARED_LINUX   the same binary on Debian's Linux
  --native FILE  /bin/bench, MelloOS's native ABI (tools/bench/run_mellos.sh)

prints one table

    row | MelloOS | MelloOS native | Linux | ratio (MelloOS/Linux) | target

and writes OUT_DIR/report.md (the tables plus the method), OUT_DIR/report.png
(instructions per operation, log scale, a bar per kernel) and
OUT_DIR/footprint.png (the `*_kib` rows, KiB).  The PNGs are encoded by hand
with zlib + struct and labelled with the bitmap font below.

Targets (issue 14): every shared row at most one third of Linux's figure;
native getpid <= 60, ipc_roundtrip <= 1,200, fork_exit_wait <= 15,000,
fork_exec_wait <= 35,000.  A row that misses a target, or has no MelloOS
number, is marked "missed"/"n/a" in the target column.  A row is its
per-op value, total / n (shown with two decimals below 10, e.g. pipe_64k in
instructions per byte).

Usage: report.py SHARED_MELLOS SHARED_LINUX [--native FILE] [--out DIR]
                 [--check-targets]
  --out DIR          where the report goes (default: the directory of
                     SHARED_LINUX)
  --check-targets    exit 3 if a target is missed or a MelloOS value is n/a
  --readme FILE      also replace the text between `<!-- bench:begin -->` and
                     `<!-- bench:end -->` in FILE with the two tables (the
                     README's benchmark section is regenerated, never
                     hand-edited)
Exit status: 0 ok, 2 bad input (missing file, malformed [BENCH] line,
duplicate operation, no [BENCH] line in any file), 3 targets missed
(only with --check-targets).
"""
import argparse
import glob
import math
import os
import re
import struct
import subprocess
import sys
import zlib

_HERE = os.path.dirname(os.path.abspath(__file__))
# Display order: the shared binary's rows, then any other row found.
with open(os.path.join(_HERE, "shared", "rows.txt")) as _f:
    OPS = _f.read().split()
# Native MelloOS targets (<=), instructions per operation.
NATIVE_TARGETS = {"getpid": 60, "ipc_roundtrip": 1200,
                  "fork_exit_wait": 15000, "fork_exec_wait": 35000}
# Every shared MelloOS row: at most this fraction of Linux's figure.
LINUX_FRACTION = 1 / 3
LABELS = {
    "getpid": "getpid (raw syscall)",
    "yield": "sched_yield, nothing else runnable",
    "ctx_switch": "context switch (incl. its yield)",
    "fork_exit_wait": "fork + exit + wait4",
    "fork_exec_wait": "fork + execve(busybox true) + wait4",
    "cow_fault": "copy-on-write fault",
    "open_close": "open + close (tmpfs)",
    "stat": "stat (newfstatat)",
    "read_4k": "read 4 KiB of a cached file",
    "write_4k": "write 4 KiB to tmpfs",
    "getdents64_100": "getdents64 of a 100-entry directory",
    "ipc_roundtrip": "pipe 1-byte round trip, 2 processes (native: IPC ports)",
    "pipe_64k": "pipe 64 KiB writes, per byte",
    "mmap_touch_munmap": "mmap + touch + munmap, one page",
    "first_touch": "first-touch (zero-fill) fault",
    "brk_grow_shrink": "brk grow + shrink one page",
    "pthread_create_join": "pthread_create + join (native: thread::spawn + join)",
    "futex_roundtrip": "futex wake round trip, 2 threads",
    "signal_self": "signal to self (kill, handler, sigreturn)",
    "poll_16": "poll on 16 idle pipe fds",
    "mem_after_boot_kib": "KiB used after boot (RAM - MemFree)",
    "mem_per_process_kib": "KiB per idle forked process (50)",
    "boot_to_init": "boot: reset to init's first instruction",
}

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


def fmt_val(v):
    if v is None:
        return "n/a"
    if v < 10:
        return f"{v:.2f}"
    return f"{round(v):,}"


def fmt_ratio(m, l):
    if m is None or l is None or l == 0:
        return "n/a"
    r = m / l
    if r >= 100:
        return f"{r:,.0f}x"
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x" if r >= 0.01 else f"{r:.4f}x"


def targets(row):
    """[(limit, value, who)] that apply to a row."""
    out = []
    if row["linux"] is not None:
        out.append((row["linux"] * LINUX_FRACTION, row["mello"], "shared"))
    if row["op"] in NATIVE_TARGETS and row["native"] is not None:
        out.append((NATIVE_TARGETS[row["op"]], row["native"], "native"))
    return out


def missed(row):
    """True if a MelloOS value is missing or above one of its limits."""
    if row["mello"] is None:
        return True
    return any(v is None or v > limit for limit, v, _ in targets(row))


def target_cell(row, markdown):
    le = "≤" if markdown else "<="
    parts = []
    if row["linux"] is not None:
        verdict = "n/a" if row["mello"] is None else (
            "met" if row["mello"] <= row["linux"] * LINUX_FRACTION else "MISSED")
        parts.append(f"{le} {fmt_val(row['linux'] * LINUX_FRACTION)} ({verdict})")
    elif row["mello"] is None:
        parts.append("MISSED (no result)")
    t = NATIVE_TARGETS.get(row["op"])
    if t is not None:
        nv = row["native"]
        verdict = "n/a" if nv is None else ("met" if nv <= t else "MISSED")
        parts.append(f"native {le} {t:,} ({verdict})")
    return "; ".join(parts) if parts else "-"


def build_rows(mello, native, linux):
    names = list(OPS) + sorted((set(mello) | set(linux)) - set(OPS))
    rows = []
    for op in names:
        def val(d):
            return d[op]["value"] if op in d else None
        rows.append({"op": op, "mello": val(mello), "native": val(native),
                     "linux": val(linux)})
    return rows


HEADERS = ["row", "MelloOS", "MelloOS native", "Linux",
           "ratio (MelloOS/Linux)", "target"]
RIGHT = [False, True, True, True, True, False]


def table_cells(rows, markdown):
    return [[r["op"], fmt_val(r["mello"]), fmt_val(r["native"]) if r["native"] is not None else "-",
             fmt_val(r["linux"]), fmt_ratio(r["mello"], r["linux"]),
             target_cell(r, markdown)] for r in rows]


def text_table(rows):
    cells = table_cells(rows, markdown=False)
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]

    def fmt(row):
        return "  ".join(c.rjust(w) if r else c.ljust(w)
                         for c, w, r in zip(row, widths, RIGHT)).rstrip()
    out = [fmt(HEADERS), "  ".join("-" * w for w in widths)]
    out += [fmt(c) for c in cells]
    return "\n".join(out)


def markdown_table(rows):
    cells = table_cells(rows, markdown=True)
    out = ["| " + " | ".join(HEADERS) + " |",
           "| --- | ---: | ---: | ---: | ---: | --- |"]
    for r, c in zip(rows, cells):
        c = list(c)
        c[0] = f"`{c[0]}` {LABELS[r['op']]}" if r["op"] in LABELS else f"`{c[0]}`"
        out.append("| " + " | ".join(c) + " |")
    return "\n".join(out)


def host_qemu_version():
    try:
        r = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                           text=True, timeout=30)
        return r.stdout.splitlines()[0].strip() if r.stdout else None
    except (OSError, subprocess.SubprocessError):
        return None


def method_paragraph(paths, metas):
    mmeta, nmeta, lmeta = metas
    qemu = lmeta.get("qemu") or mmeta.get("qemu")
    if not qemu:
        v = host_qemu_version()
        qemu = f"{v} (version on the machine that made this report)" if v else "QEMU (version unknown)"
    others = {m.get("qemu") for m in metas if m.get("qemu")} - {qemu}
    warn = (f" **Warning: another results file records a different QEMU ({', '.join(sorted(others))}).**"
            if others else "")
    parts = [
        "## Method",
        "",
        f"Measured under {qemu} in TCG mode with `-icount shift=0` on one virtual CPU "
        "(`-smp 1`, `-m 512M`)." + warn + " With `shift=0` the guest TSC advances one "
        "tick per executed guest instruction, so `lfence; rdtsc` around N iterations "
        "gives instructions (user + kernel, including timer interrupts that land in the "
        "loop); a row's value is total / N. Every run checks 1 tick = 1 instruction "
        "with a `dec; jnz` loop (`[CALIB]`). Every iteration of a `rep movs/stos` counts "
        "as one instruction, hence `-cpu ...,erms=off,fsrm=off` on both kernels.",
        "",
        "**The same binary on both kernels**: tools/bench/shared (C, `musl-gcc -static`, "
        "raw `syscall` instructions), packed as `/bin/linux/bench` into one initramfs "
        "(MelloOS's initrd: its programs, Debian's busybox) that both kernels boot, so "
        "user space executes the same instructions and the difference is the kernel. "
        f"MelloOS: {mmeta.get('kernel', 'MelloOS')} (kernel profile `fast`), "
        f"`{mmeta.get('append', '')}`. Linux: {lmeta.get('kernel', 'Linux')}, "
        f"`-kernel` bzImage, `-append \"{lmeta.get('append', '')}\"`. "
        f"N = {lmeta.get('n', '?')} (Linux), {mmeta.get('n', '?')} (MelloOS).",
        "",
        "Footprint rows are KiB from each kernel's own `/proc/meminfo` `MemFree`: "
        "`mem_after_boot_kib` = the 512 MiB QEMU gives minus MemFree at the top of "
        "init's `main` (kernel image, its data, page tables, firmware reservations and "
        "the unpacked initramfs: the same archive on both); `mem_per_process_kib` = the "
        "MemFree drop while 50 forked children sit blocked in `read`, / 50. "
        "`boot_to_init` is the TSC at the top of init's `main`: ticks since machine "
        "reset (firmware; GRUB for MelloOS, QEMU's `-kernel` loader and XZ "
        "decompression for Linux; the kernel; libc start-up), halted time included, "
        "so it is not a pure instruction count.",
        "",
        "MelloOS native: `/bin/bench` (Rust, MelloOS's native ABI; "
        f"{nmeta.get('kernel', 'not run')}); its `ipc_roundtrip` uses native IPC ports, "
        "not pipes. Its rows are shown beside the shared ones of the same name.",
        "",
        "Inputs: " + ", ".join(f"`{p}`" for p in paths if p) + ". Ratio is MelloOS "
        "(shared binary) / Linux. Target: every row at most one third of Linux's "
        "figure; native targets from issue 14. MISSED marks a row over a target.",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# Bitmap font: 5 columns x 9 rows per glyph (rows 0-6 above the baseline,
# rows 7-8 for descenders), drawn in a 6 x 10 cell.  Hand-made for this tool.
GLYPH_W, GLYPH_H = 5, 9
_FONT_SRC = {
    " ": ".....|.....|.....|.....|.....|.....|.....|.....|.....",
    "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.|.....|.....",
    "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.|.....|.....",
    "2": ".###.|#...#|....#|...#.|..#..|.#...|#####|.....|.....",
    "3": "#####|...#.|..#..|...#.|....#|#...#|.###.|.....|.....",
    "4": "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.|.....|.....",
    "5": "#####|#....|####.|....#|....#|#...#|.###.|.....|.....",
    "6": "..##.|.#...|#....|####.|#...#|#...#|.###.|.....|.....",
    "7": "#####|....#|...#.|..#..|.#...|.#...|.#...|.....|.....",
    "8": ".###.|#...#|#...#|.###.|#...#|#...#|.###.|.....|.....",
    "9": ".###.|#...#|#...#|.####|....#|...#.|.##..|.....|.....",
    "A": ".###.|#...#|#...#|#####|#...#|#...#|#...#|.....|.....",
    "B": "####.|#...#|#...#|####.|#...#|#...#|####.|.....|.....",
    "C": ".###.|#...#|#....|#....|#....|#...#|.###.|.....|.....",
    "D": "####.|#...#|#...#|#...#|#...#|#...#|####.|.....|.....",
    "E": "#####|#....|#....|####.|#....|#....|#####|.....|.....",
    "F": "#####|#....|#....|####.|#....|#....|#....|.....|.....",
    "G": ".###.|#...#|#....|#.###|#...#|#...#|.####|.....|.....",
    "H": "#...#|#...#|#...#|#####|#...#|#...#|#...#|.....|.....",
    "I": ".###.|..#..|..#..|..#..|..#..|..#..|.###.|.....|.....",
    "J": "..###|...#.|...#.|...#.|...#.|#..#.|.##..|.....|.....",
    "K": "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#|.....|.....",
    "L": "#....|#....|#....|#....|#....|#....|#####|.....|.....",
    "M": "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#|.....|.....",
    "N": "#...#|#...#|##..#|#.#.#|#..##|#...#|#...#|.....|.....",
    "O": ".###.|#...#|#...#|#...#|#...#|#...#|.###.|.....|.....",
    "P": "####.|#...#|#...#|####.|#....|#....|#....|.....|.....",
    "Q": ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#|.....|.....",
    "R": "####.|#...#|#...#|####.|#.#..|#..#.|#...#|.....|.....",
    "S": ".####|#....|#....|.###.|....#|....#|####.|.....|.....",
    "T": "#####|..#..|..#..|..#..|..#..|..#..|..#..|.....|.....",
    "U": "#...#|#...#|#...#|#...#|#...#|#...#|.###.|.....|.....",
    "V": "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..|.....|.....",
    "W": "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.|.....|.....",
    "X": "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#|.....|.....",
    "Y": "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..|.....|.....",
    "Z": "#####|....#|...#.|..#..|.#...|#....|#####|.....|.....",
    "a": ".....|.....|.###.|....#|.####|#...#|.####|.....|.....",
    "b": "#....|#....|#.##.|##..#|#...#|#...#|####.|.....|.....",
    "c": ".....|.....|.###.|#....|#....|#...#|.###.|.....|.....",
    "d": "....#|....#|.##.#|#..##|#...#|#...#|.####|.....|.....",
    "e": ".....|.....|.###.|#...#|#####|#....|.###.|.....|.....",
    "f": "..##.|.#..#|.#...|###..|.#...|.#...|.#...|.....|.....",
    "g": ".....|.....|.####|#...#|#...#|.####|....#|#...#|.###.",
    "h": "#....|#....|#.##.|##..#|#...#|#...#|#...#|.....|.....",
    "i": "..#..|.....|.##..|..#..|..#..|..#..|.###.|.....|.....",
    "j": "...#.|.....|..##.|...#.|...#.|...#.|...#.|#..#.|.##..",
    "k": "#....|#....|#..#.|#.#..|##...|#.#..|#..#.|.....|.....",
    "l": ".##..|..#..|..#..|..#..|..#..|..#..|.###.|.....|.....",
    "m": ".....|.....|##.#.|#.#.#|#.#.#|#.#.#|#.#.#|.....|.....",
    "n": ".....|.....|#.##.|##..#|#...#|#...#|#...#|.....|.....",
    "o": ".....|.....|.###.|#...#|#...#|#...#|.###.|.....|.....",
    "p": ".....|.....|####.|#...#|#...#|#...#|####.|#....|#....",
    "q": ".....|.....|.####|#...#|#...#|#...#|.####|....#|....#",
    "r": ".....|.....|#.##.|##..#|#....|#....|#....|.....|.....",
    "s": ".....|.....|.####|#....|.###.|....#|####.|.....|.....",
    "t": ".#...|.#...|###..|.#...|.#...|.#..#|..##.|.....|.....",
    "u": ".....|.....|#...#|#...#|#...#|#..##|.##.#|.....|.....",
    "v": ".....|.....|#...#|#...#|#...#|.#.#.|..#..|.....|.....",
    "w": ".....|.....|#...#|#...#|#.#.#|#.#.#|.#.#.|.....|.....",
    "x": ".....|.....|#...#|.#.#.|..#..|.#.#.|#...#|.....|.....",
    "y": ".....|.....|#...#|#...#|#...#|#...#|.####|....#|.###.",
    "z": ".....|.....|#####|...#.|..#..|.#...|#####|.....|.....",
    "_": ".....|.....|.....|.....|.....|.....|.....|#####|.....",
    "-": ".....|.....|.....|.###.|.....|.....|.....|.....|.....",
    ".": ".....|.....|.....|.....|.....|.##..|.##..|.....|.....",
    ",": ".....|.....|.....|.....|.....|.##..|.##..|..#..|.#...",
    ":": ".....|.##..|.##..|.....|.##..|.##..|.....|.....|.....",
    ";": ".....|.##..|.##..|.....|.##..|.##..|..#..|.#...|.....",
    "/": "....#|....#|...#.|..#..|.#...|#....|#....|.....|.....",
    "(": "...#.|..#..|.#...|.#...|.#...|..#..|...#.|.....|.....",
    ")": ".#...|..#..|...#.|...#.|...#.|..#..|.#...|.....|.....",
    "[": ".###.|.#...|.#...|.#...|.#...|.#...|.###.|.....|.....",
    "]": ".###.|...#.|...#.|...#.|...#.|...#.|.###.|.....|.....",
    "=": ".....|.....|#####|.....|#####|.....|.....|.....|.....",
    "<": "...#.|..#..|.#...|#....|.#...|..#..|...#.|.....|.....",
    ">": ".#...|..#..|...#.|....#|...#.|..#..|.#...|.....|.....",
    "+": ".....|..#..|..#..|#####|..#..|..#..|.....|.....|.....",
    "*": ".....|..#..|#.#.#|.###.|#.#.#|..#..|.....|.....|.....",
    "%": "##...|##..#|...#.|..#..|.#...|#..##|...##|.....|.....",
    "#": ".#.#.|.#.#.|#####|.#.#.|#####|.#.#.|.#.#.|.....|.....",
    "'": "..#..|..#..|.#...|.....|.....|.....|.....|.....|.....",
    '"': ".#.#.|.#.#.|.....|.....|.....|.....|.....|.....|.....",
    "!": "..#..|..#..|..#..|..#..|..#..|.....|..#..|.....|.....",
    "?": ".###.|#...#|....#|...#.|..#..|.....|..#..|.....|.....",
    "|": "..#..|..#..|..#..|..#..|..#..|..#..|..#..|..#..|.....",
    "~": ".....|.....|.#...|#.#.#|...#.|.....|.....|.....|.....",
    "&": ".##..|#..#.|#.#..|.#...|#.#.#|#..#.|.##.#|.....|.....",
    "@": ".###.|#...#|#.###|#.#.#|#.###|#....|.###.|.....|.....",
    "^": "..#..|.#.#.|#...#|.....|.....|.....|.....|.....|.....",
}
FONT = {}
for _ch, _src in _FONT_SRC.items():
    _rows = _src.split("|")
    assert len(_rows) == GLYPH_H and all(len(r) == GLYPH_W for r in _rows), _ch
    FONT[_ch] = [[c == "#" for c in r] for r in _rows]
CELL_W, CELL_H = GLYPH_W + 1, GLYPH_H + 1


class Canvas:
    def __init__(self, w, h, bg=(255, 255, 255)):
        self.w, self.h = w, h
        self.px = bytearray(bytes(bg) * (w * h))

    def rect(self, x0, y0, x1, y1, color):
        """Fill [x0, x1) x [y0, y1), clipped."""
        x0, x1 = max(0, int(x0)), min(self.w, int(x1))
        y0, y1 = max(0, int(y0)), min(self.h, int(y1))
        if x0 >= x1 or y0 >= y1:
            return
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            i = (y * self.w + x0) * 3
            self.px[i:i + len(row)] = row

    def text(self, x, y, s, color=(0, 0, 0), scale=2):
        """Draw s with its top-left at (x, y); returns the width drawn."""
        for k, ch in enumerate(s):
            g = FONT.get(ch) or FONT["?"]
            ox = x + k * CELL_W * scale
            for gy, row in enumerate(g):
                for gx, on in enumerate(row):
                    if on:
                        self.rect(ox + gx * scale, y + gy * scale,
                                  ox + (gx + 1) * scale, y + (gy + 1) * scale, color)
        return text_width(s, scale)

    def png(self):
        raw = bytearray()
        stride = self.w * 3
        for y in range(self.h):
            raw.append(0)  # filter: none
            raw += self.px[y * stride:(y + 1) * stride]

        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data
                    + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
        ihdr = struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def text_width(s, scale=2):
    return len(s) * CELL_W * scale - scale if s else 0


def short_num(v):
    for div, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if v >= div:
            q = v / div
            return (f"{q:.0f}" if q >= 10 or q == int(q) else f"{q:.1f}") + suffix
    return str(int(v))


MELLO_COLOR = (222, 110, 30)
NATIVE_COLOR = (240, 180, 60)
LINUX_COLOR = (40, 95, 170)
TARGET_COLOR = (200, 0, 0)
GRID_COLOR = (215, 215, 215)
NA_COLOR = (130, 130, 130)


def render_png(rows, series, title, subtitle, axis, target_label):
    """Horizontal grouped bars, log scale.  series: [(key, label, color)];
    a row's red marker is its tightest limit (targets())."""
    scale = 2
    line_h = CELL_H * scale
    label_w = max(text_width(r["op"], scale) for r in rows)
    present = [(k, lab, col) for k, lab, col in series if any(r[k] is not None for r in rows)]
    values = [r[k] for r in rows for k, _, _ in present if r[k]]
    limits = {r["op"]: min((t for t, _, _ in targets(r)), default=None) for r in rows}
    values += [v for v in limits.values() if v]
    lo = math.floor(math.log10(min(values))) if values else 0
    hi = math.ceil(math.log10(max(values))) if values else 1
    if hi <= lo:
        hi = lo + 1
    bar_h, bar_gap, group_gap = 16, 3, 18
    group_h = len(present) * bar_h + (len(present) - 1) * bar_gap
    left = 20 + label_w + 16
    plot_w = 720
    value_w = text_width("9,999,999,999", scale) + 16
    width = max(left + plot_w + value_w + 10, 24 + text_width(subtitle, scale))
    top = 16 + 2 * line_h + 8 + line_h + 18
    plot_h = len(rows) * (group_h + group_gap)
    height = top + plot_h + 2 * line_h + 30
    c = Canvas(width, height)

    def xpos(v):
        return left + (math.log10(v) - lo) / (hi - lo) * plot_w

    c.text(12, 12, title, scale=scale)
    c.text(12, 12 + line_h + 4, subtitle, color=(70, 70, 70), scale=scale)
    ly = 12 + 2 * line_h + 14
    x = 12
    for _, label, color in present:
        c.rect(x, ly + 2, x + 24, ly + 16, color)
        x += 32
        x += c.text(x, ly, label, scale=scale) + 28
    c.rect(x + 10, ly - 2, x + 13, ly + 20, TARGET_COLOR)
    c.text(x + 22, ly, target_label, scale=scale)
    for d in range(lo, hi + 1):
        gx = xpos(10 ** d)
        c.rect(gx, top - 6, gx + 1, top + plot_h, GRID_COLOR)
        lab = short_num(10 ** d) if d >= 0 else f"{10 ** d:g}"
        c.text(gx - text_width(lab, scale) / 2, top + plot_h + 8, lab, scale=scale)
    c.rect(left - 1, top - 6, left + 1, top + plot_h, (0, 0, 0))
    c.text(left + (plot_w - text_width(axis, scale)) / 2, top + plot_h + 12 + line_h,
           axis, color=(70, 70, 70), scale=scale)
    for i, r in enumerate(rows):
        gy = top + i * (group_h + group_gap)
        c.text(left - 16 - text_width(r["op"], scale), gy + (group_h - line_h) / 2 + 2,
               r["op"], scale=scale)
        limit = limits[r["op"]]
        for j, (key, _, color) in enumerate(present):
            v = r[key]
            by = gy + j * (bar_h + bar_gap)
            ty = by + (bar_h - GLYPH_H * scale) / 2 + 1
            if v is None:
                c.text(left + 8, ty, "n/a" if key != "native" else "-", color=NA_COLOR,
                       scale=scale)
                continue
            end = max(xpos(v) if v > 0 else left, left + 2)
            c.rect(left + 1, by, end, by + bar_h, color)
            tx = max(end, xpos(limit) + 2) if limit else end
            c.text(tx + 8, ty, fmt_val(v), scale=scale)
        if limit:
            tx = xpos(limit)
            c.rect(tx - 1, gy - 3, tx + 2, gy + group_h + 3, TARGET_COLOR)
    return c.png()


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def replace_section(path, body):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise InputError(f"{path}: want one {BEGIN} ... {END} section")
    head, rest = text.split(BEGIN)
    tail = rest.split(END)[1]
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + BEGIN + "\n" + body + "\n" + END + tail)


def profile_section(directory):
    """Markdown lines for the profiles in `directory` (none if it has none)."""
    files = sorted(glob.glob(os.path.join(directory, "*.txt"))) if directory else []
    if not files:
        return []
    md = ["## Where the instructions go (native rows, `tools/bench/profile.py`)", "",
          "Each table charges the instructions QEMU executed while the row ran to the "
          "function holding each translated block (QEMU `-d exec,nochain`), scaled to the "
          "row's instructions per operation.", ""]
    for path in files:
        with open(path, encoding="utf-8") as f:
            md += [f.read(), ""]
    return md


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mello", help="the shared binary on MelloOS ([BENCH] lines)")
    ap.add_argument("linux", help="the shared binary on Linux ([BENCH] lines)")
    ap.add_argument("--native", help="MelloOS's native /bin/bench results")
    ap.add_argument("--out", help="output directory (default: directory of LINUX)")
    ap.add_argument("--check-targets", action="store_true",
                    help="exit 3 if a target is missed or a MelloOS value is missing")
    ap.add_argument("--readme", help="file whose bench:begin/end section gets the tables")
    ap.add_argument("--profiles", help="directory of tools/bench/profile.py outputs (OP.txt) "
                    "to append: where a missed row's instructions go")
    args = ap.parse_args(argv)
    try:
        mello, mmeta = parse_results(args.mello)
        linux, lmeta = parse_results(args.linux)
        native, nmeta = parse_results(args.native) if args.native else ({}, {})
        if not mello and not linux and not native:
            raise InputError("no [BENCH] lines in any input")
    except InputError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 2
    for path, ops in ((args.mello, mello), (args.linux, linux), (args.native, native)):
        if path and not ops:
            print(f"report.py: warning: no [BENCH] lines in {path}; its column is all n/a",
                  file=sys.stderr)
    out_dir = args.out or os.path.dirname(os.path.abspath(args.linux))
    os.makedirs(out_dir, exist_ok=True)

    rows = build_rows(mello, native, linux)
    speed = [r for r in rows if not is_footprint(r["op"])]
    foot = [r for r in rows if is_footprint(r["op"])]
    print(text_table(rows))

    m = re.search(r"Linux (\S+)", lmeta.get("kernel", ""))
    linux_label = f"Linux {m.group(1)}" if m else "Linux"
    series = [("mello", "MelloOS", MELLO_COLOR), ("native", "MelloOS native", NATIVE_COLOR),
              ("linux", linux_label, LINUX_COLOR)]
    misses = [r["op"] for r in rows if missed(r)]
    md = ["# MelloOS vs Linux: the same binary on both kernels", "",
          "## Instructions per operation", "", markdown_table(speed), "",
          "![instructions per operation](report.png)", "",
          "## Memory footprint (KiB)", "", markdown_table(foot), "",
          "![memory footprint](footprint.png)", "",
          ("Rows that miss a target: " + ", ".join(f"`{o}`" for o in misses) + "."
           if misses else "Every row meets its targets."), "",
          method_paragraph([args.mello, args.native, args.linux], (mmeta, nmeta, lmeta)), ""]
    md += profile_section(args.profiles)
    md_path = os.path.join(out_dir, "report.md")
    png_path = os.path.join(out_dir, "report.png")
    foot_path = os.path.join(out_dir, "footprint.png")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    sub = "QEMU TCG -icount shift=0, -smp 1: rdtsc ticks = executed instructions"
    if speed:
        with open(png_path, "wb") as f:
            f.write(render_png(speed, series, "Guest instructions per operation (log scale)",
                               sub, "instructions per operation", "target (Linux/3; native)"))
    if foot:
        with open(foot_path, "wb") as f:
            f.write(render_png(foot, series, "Memory footprint, KiB (log scale)",
                               "RAM - MemFree after boot; MemFree drop per idle process",
                               "KiB (each kernel's /proc/meminfo MemFree)", "target (Linux/3)"))
    print(f"\nwrote {md_path}, {png_path} and {foot_path}", file=sys.stderr)
    if args.readme:
        section = "\n".join([
            f"Shared binary: {mmeta.get('kernel', 'MelloOS')} vs {lmeta.get('kernel', 'Linux')}, "
            f"N = {lmeta.get('n', '?')}; generated by `tools/bench/report.py` "
            "(instructions per operation; footprint in KiB).", "",
            markdown_table(speed), "", markdown_table(foot), "",
            ("Rows that miss a target: " + ", ".join(f"`{o}`" for o in misses) + "."
             if misses else "Every row meets its targets.")])
        try:
            replace_section(args.readme, section)
        except (OSError, InputError) as e:
            print(f"report.py: error: {e}", file=sys.stderr)
            return 2
        print(f"updated {args.readme}", file=sys.stderr)
    if misses:
        print("report.py: rows missing a target: " + ", ".join(misses), file=sys.stderr)
    if args.check_targets and misses:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
