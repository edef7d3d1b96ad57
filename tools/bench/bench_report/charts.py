"""The benchmark charts: report.png and footprint.png, drawn by hand.

render_png draws horizontal grouped bars on a log scale (a bar per
kernel, a red marker at a row's tightest target, the values beside the
bars) on a Canvas, an RGB pixel buffer encoded as PNG with zlib + struct
(python3 stdlib only), labelled with the bitmap font of font.py. Part of
tools/bench/report.py.
"""
import math
import struct
import zlib

from .font import CELL_H, CELL_W, FONT, GLYPH_H, text_width
from .results import targets
from .tables import fmt_val


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
