#!/usr/bin/env python3
"""report.py - MelloOS vs Linux benchmark report (python3 stdlib only).

Reads two results files made of `[BENCH] name=<op> n=<N> total=<T> per_op=<P>`
lines (MelloOS's and Linux's; other lines are ignored except `# key: value`
metadata such as `# kernel:` or `# qemu:` that tools/bench/linux/run.sh
writes), prints one table

    operation | MelloOS instr/op | Linux instr/op | ratio (MelloOS/Linux) | MelloOS target

and writes OUT_DIR/report.md (the table plus a paragraph on the method) and
OUT_DIR/report.png (horizontal grouped bar chart, log scale, both kernels per
operation; the PNG is encoded by hand with zlib + struct and labelled with
the bitmap font below).  Operations missing on one side show as "n/a".

Usage: report.py MELLOOS_RESULTS LINUX_RESULTS [--out DIR] [--check-targets]
  --out DIR          where report.md / report.png go (default: the directory
                     of LINUX_RESULTS)
  --check-targets    exit 3 if a MelloOS number misses its target or is n/a
Exit status: 0 ok, 2 bad input (missing file, malformed [BENCH] line,
duplicate operation, no [BENCH] line in either file), 3 targets missed
(only with --check-targets).
"""
import argparse
import math
import os
import re
import struct
import subprocess
import sys
import zlib

# Display order; any other op found in a file is appended (sorted).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops.txt")) as _f:
    OPS = _f.read().split()
# MelloOS targets in instructions per operation (<=).
TARGETS = {"getpid": 100, "yield": 200, "ipc_roundtrip": 2000,
           "fork_exit_wait": 30000, "fork_exec_wait": 100000}

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
        ops[name] = {"n": int(m.group(2)), "total": int(m.group(3)),
                     "per_op": int(m.group(4))}
    return ops, meta


def fmt_int(v):
    return "n/a" if v is None else f"{v:,}"


def fmt_ratio(m, l):
    if m is None or l is None or l == 0:
        return "n/a"
    r = m / l
    if r >= 100:
        return f"{r:,.0f}x"
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x" if r >= 0.01 else f"{r:.4f}x"


def target_cell(op, m, markdown):
    t = TARGETS.get(op)
    if t is None:
        return "-"
    le = "≤" if markdown else "<="
    if m is None:
        verdict = "n/a"
    else:
        verdict = "met" if m <= t else "missed"
    return f"{le} {t:,} ({verdict})"


def build_rows(mello, linux):
    names = list(OPS) + sorted((set(mello) | set(linux)) - set(OPS))
    rows = []
    for op in names:
        m = mello[op]["per_op"] if op in mello else None
        l = linux[op]["per_op"] if op in linux else None
        rows.append({"op": op, "mello": m, "linux": l})
    return rows


HEADERS = ["operation", "MelloOS instr/op", "Linux instr/op",
           "ratio (MelloOS/Linux)", "MelloOS target"]


def table_cells(rows, markdown):
    return [[r["op"], fmt_int(r["mello"]), fmt_int(r["linux"]),
             fmt_ratio(r["mello"], r["linux"]),
             target_cell(r["op"], r["mello"], markdown)] for r in rows]


def text_table(rows):
    cells = table_cells(rows, markdown=False)
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]
    right = [False, True, True, True, False]

    def fmt(row):
        return "  ".join(c.rjust(w) if r else c.ljust(w)
                         for c, w, r in zip(row, widths, right)).rstrip()
    out = [fmt(HEADERS), "  ".join("-" * w for w in widths)]
    out += [fmt(c) for c in cells]
    return "\n".join(out)


def markdown_table(rows):
    cells = table_cells(rows, markdown=True)
    out = ["| " + " | ".join(HEADERS) + " |",
           "| --- | ---: | ---: | ---: | --- |"]
    out += ["| " + " | ".join(c) + " |" for c in cells]
    return "\n".join(out)


def host_qemu_version():
    try:
        r = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                           text=True, timeout=30)
        return r.stdout.splitlines()[0].strip() if r.stdout else None
    except (OSError, subprocess.SubprocessError):
        return None


def n_summary(ops, meta):
    if "n" in meta:
        return meta["n"]
    ns = sorted({v["n"] for k, v in ops.items() if k not in ("boot_to_init",)})
    return ", ".join(str(x) for x in ns) if ns else "unknown"


def method_paragraph(mello_path, mello, mmeta, linux_path, linux, lmeta):
    qemu = lmeta.get("qemu") or mmeta.get("qemu")
    if not qemu:
        v = host_qemu_version()
        qemu = f"{v} (version on the machine that made this report)" if v else "QEMU (version unknown)"
    largs = lmeta.get("qemu_args", "-machine pc -smp 1 -icount shift=0")
    margs = mmeta.get("qemu_args")
    lk = lmeta.get("kernel", "Debian linux-image-amd64 (version not recorded)")
    mk = mmeta.get("kernel", "MelloOS (version not recorded in its results file)")
    boot = lmeta.get("boot")
    flags = lmeta.get("guest_cpu_flags")
    mq = mmeta.get("qemu")
    same = ("" if not mq or mq == qemu else
            f" **Warning: the MelloOS results record a different QEMU ({mq}).**")
    parts = [
        "## Method",
        "",
        f"Measured under {qemu} in TCG mode with `-icount shift=0` on one virtual "
        "CPU (`-smp 1`); both sides must use the same QEMU and `-icount`." + same + " "
        "With `shift=0` QEMU's virtual clock advances one "
        "nanosecond per executed guest instruction and the guest TSC is that clock, "
        "so `lfence; rdtsc` read around N iterations of an operation gives guest "
        "instructions (user + kernel, including any timer interrupts that land in "
        "the loop), and `per_op` is total / N rounded. This holds only while the CPU "
        "executes: if it halts (idle) the clock jumps ahead without instructions, "
        "which none of the timed loops allow; each Linux run checks the "
        "1 tick = 1 instruction claim with a `dec; jnz` loop and refuses its results "
        "if it fails. Every iteration of a `rep movs`/`rep stos` counts as one "
        "instruction, so memory clears and copies count per element.",
        "",
        f"Linux side: {lk}, booted with `{largs}`"
        + (f", {boot} boot path" if boot else "")
        + (f", `-append \"{lmeta['append']}\"`" if "append" in lmeta else "")
        + f"; N = {n_summary(linux, lmeta)}"
        + (f"; guest CPU flags: {flags}" if flags else "") + ". "
        "The benchmark is a static C program run as `/init` from an initramfs "
        "(tools/bench/linux/bench.c). `ctx_switch` is two processes on the one CPU "
        "alternately calling `sched_yield`; one op is one switch including the "
        "yield system call that causes it (total / 2N). `ipc_roundtrip` is a 1-byte "
        "pipe ping-pong between two processes. `cow_fault` is the cost of a child "
        "writing one byte to each of N pages it shares copy-on-write with its parent, "
        "minus the same loop on already-private pages. `boot_to_init` is the TSC read "
        "at the top of init's `main`: virtual ticks since machine reset (firmware, "
        "kernel decompression if any, kernel boot, libc start-up), which also counts any time the CPU spent "
        "halted, so it is not a pure instruction count.",
        "",
        f"MelloOS side: {mk}"
        + (f", booted with `{margs}`" if margs else "")
        + f"; N = {n_summary(mello, mmeta)}.",
        "",
        f"Inputs: `{mello_path}` (MelloOS), `{linux_path}` (Linux). "
        "Ratio is MelloOS / Linux (below 1 means MelloOS executes fewer "
        "instructions). Targets apply to MelloOS; n/a marks an operation "
        "missing from one side.",
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
LINUX_COLOR = (40, 95, 170)
TARGET_COLOR = (200, 0, 0)
GRID_COLOR = (215, 215, 215)
NA_COLOR = (130, 130, 130)


def render_png(rows, linux_label):
    scale = 2
    line_h = CELL_H * scale
    label_w = max(text_width(r["op"], scale) for r in rows)
    values = [v for r in rows for v in (r["mello"], r["linux"]) if v]
    values += [TARGETS[r["op"]] for r in rows if r["op"] in TARGETS]
    lo = math.floor(math.log10(min(values))) if values else 0
    hi = math.ceil(math.log10(max(values))) if values else 1
    if hi <= lo:
        hi = lo + 1
    bar_h, bar_gap, group_gap = 20, 4, 22
    group_h = 2 * bar_h + bar_gap
    left = 20 + label_w + 16
    plot_w = 720
    value_w = text_width("9,999,999,999", scale) + 16
    width = left + plot_w + value_w + 10
    title = "Guest instructions per operation (log scale)"
    subtitle = "QEMU TCG -icount shift=0, -smp 1: rdtsc ticks = executed instructions"
    top = 16 + 2 * line_h + 8 + line_h + 18  # title, subtitle, legend
    plot_h = len(rows) * (group_h + group_gap)
    height = top + plot_h + 2 * line_h + 30
    width = max(width, 24 + text_width(subtitle, scale))
    c = Canvas(width, height)

    def xpos(v):
        return left + (math.log10(v) - lo) / (hi - lo) * plot_w

    c.text(12, 12, title, scale=scale)
    c.text(12, 12 + line_h + 4, subtitle, color=(70, 70, 70), scale=scale)
    ly = 12 + 2 * line_h + 14
    x = 12
    for color, label in ((MELLO_COLOR, "MelloOS"), (LINUX_COLOR, linux_label)):
        c.rect(x, ly + 2, x + 24, ly + 16, color)
        x += 32
        x += c.text(x, ly, label, scale=scale) + 28
    c.rect(x + 10, ly - 2, x + 13, ly + 20, TARGET_COLOR)
    c.text(x + 22, ly, "MelloOS target", scale=scale)

    # decade grid + axis labels
    for d in range(lo, hi + 1):
        gx = xpos(10 ** d)
        c.rect(gx, top - 6, gx + 1, top + plot_h, GRID_COLOR)
        lab = short_num(10 ** d)
        c.text(gx - text_width(lab, scale) / 2, top + plot_h + 8, lab, scale=scale)
    c.rect(left - 1, top - 6, left + 1, top + plot_h, (0, 0, 0))
    axis = "instructions per operation"
    c.text(left + (plot_w - text_width(axis, scale)) / 2, top + plot_h + 12 + line_h,
           axis, color=(70, 70, 70), scale=scale)

    for i, r in enumerate(rows):
        gy = top + i * (group_h + group_gap)
        c.text(left - 16 - text_width(r["op"], scale), gy + (group_h - line_h) / 2 + 2,
               r["op"], scale=scale)
        for j, (v, color) in enumerate(((r["mello"], MELLO_COLOR), (r["linux"], LINUX_COLOR))):
            by = gy + j * (bar_h + bar_gap)
            ty = by + (bar_h - GLYPH_H * scale) / 2 + 1
            if v is None:
                c.text(left + 8, ty, "n/a", color=NA_COLOR, scale=scale)
                continue
            end = max(xpos(v) if v > 0 else left, left + 2)
            c.rect(left + 1, by, end, by + bar_h, color)
            tx = end
            if j == 0 and r["op"] in TARGETS:  # keep the label clear of the marker
                tx = max(tx, xpos(TARGETS[r["op"]]) + 2)
            c.text(tx + 8, ty, f"{v:,}", scale=scale)
        t = TARGETS.get(r["op"])
        if t:
            tx = xpos(t)
            c.rect(tx - 1, gy - 4, tx + 2, gy + bar_h + 4, TARGET_COLOR)
    return c.png()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mello", help="MelloOS results file ([BENCH] lines)")
    ap.add_argument("linux", help="Linux results file ([BENCH] lines)")
    ap.add_argument("--out", help="output directory (default: directory of LINUX)")
    ap.add_argument("--check-targets", action="store_true",
                    help="exit 3 if a MelloOS number misses its target or is missing")
    args = ap.parse_args(argv)
    try:
        mello, mmeta = parse_results(args.mello)
        linux, lmeta = parse_results(args.linux)
        if not mello and not linux:
            raise InputError(f"no [BENCH] lines in {args.mello} nor in {args.linux}")
    except InputError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 2
    for path, ops in ((args.mello, mello), (args.linux, linux)):
        if not ops:
            print(f"report.py: warning: no [BENCH] lines in {path}; its column is all n/a",
                  file=sys.stderr)
    out_dir = args.out or os.path.dirname(os.path.abspath(args.linux))
    os.makedirs(out_dir, exist_ok=True)

    rows = build_rows(mello, linux)
    print(text_table(rows))

    kernel = lmeta.get("kernel", "")
    m = re.search(r"Linux (\S+)", kernel)
    linux_label = f"Linux {m.group(1)}" if m else "Linux"
    md = ["# MelloOS vs Linux: guest instructions per operation", "",
          markdown_table(rows), "", "![chart](report.png)", "",
          method_paragraph(args.mello, mello, mmeta, args.linux, linux, lmeta), ""]
    md_path = os.path.join(out_dir, "report.md")
    png_path = os.path.join(out_dir, "report.png")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    with open(png_path, "wb") as f:
        f.write(render_png(rows, linux_label))
    print(f"\nwrote {md_path} and {png_path}", file=sys.stderr)

    if args.check_targets:
        missed = [r["op"] for r in rows if r["op"] in TARGETS
                  and (r["mello"] is None or r["mello"] > TARGETS[r["op"]])]
        if missed:
            print("report.py: MelloOS targets missed: " + ", ".join(missed), file=sys.stderr)
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
