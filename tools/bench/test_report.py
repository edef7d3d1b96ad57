#!/usr/bin/env python3
"""test_report.py - unit tests for tools/bench/report.py (stdlib unittest).

Run: python3 tools/bench/test_report.py   (or python3 -m unittest discover tools/bench)
Feeds report.py fake MelloOS/Linux results and checks the table, the
markdown, the exit codes for bad input and that report.png is a valid PNG
(signature, chunk CRCs, size) with both kernels' bars and text drawn.
"""
import contextlib
import io
import os
import struct
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

LINUX = """\
# kernel: Linux 6.1.0-56-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2
# qemu: QEMU emulator version 7.2.22
# qemu_args: -machine pc -cpu max -smp 1 -m 512M -icount shift=0
# n: 1000
[BENCH] name=getpid n=1000 total=311009 per_op=311\r
[BENCH] name=yield n=1000 total=796009 per_op=796
[BENCH] name=ipc_roundtrip n=1000 total=10337509 per_op=10338
[BENCH] name=ctx_switch n=2000 total=4293262 per_op=2147
[BENCH] name=fork_exit_wait n=1000 total=128222400 per_op=128222
[BENCH] name=fork_exec_wait n=1000 total=238264248 per_op=238264
[BENCH] name=cow_fault n=1000 total=4645856 per_op=4646
\x1b[2J[BENCH] name=boot_to_init n=1 total=6067717693 per_op=6067717693
[BENCH] done
"""

MELLO = """\
noise from the serial console
[BENCH] name=getpid n=1000 total=87000 per_op=87
[BENCH] name=yield n=1000 total=350000 per_op=350
[BENCH] name=ipc_roundtrip n=1000 total=1900000 per_op=1900
[BENCH] name=fork_exit_wait n=1000 total=29000000 per_op=29000
[BENCH] name=fork_exec_wait n=1000 total=100000000 per_op=100000
[BENCH] name=extra_op n=10 total=30 per_op=3
[BENCH] done
"""


def read_png(path):
    """Validate the PNG structure; return (width, height, rgb rows)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "bad signature"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind}"
        chunks.append((kind, body))
        pos += 12 + length
    assert [k for k, _ in chunks][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    w, h, depth, ctype, _, _, _ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, ctype) == (8, 2)
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    assert len(raw) == h * (1 + 3 * w)
    rows = []
    for y in range(h):
        line = raw[y * (1 + 3 * w):(y + 1) * (1 + 3 * w)]
        assert line[0] == 0, "unexpected filter type"
        rows.append(line[1:])
    return w, h, rows


def count_color(rows, rgb):
    pat = bytes(rgb)
    n = 0
    for r in rows:
        for x in range(0, len(r), 3):
            if r[x:x + 3] == pat:
                n += 1
    return n


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        p = os.path.join(self.dir, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def run_report(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = report.main(list(args))
        return rc, out.getvalue(), err.getvalue()

    def test_parse_tolerates_noise_and_reads_metadata(self):
        ops, meta = report.parse_results(self.write("l.txt", LINUX))
        self.assertEqual(len(ops), 8)
        self.assertEqual(ops["getpid"], {"n": 1000, "total": 311009, "per_op": 311})
        self.assertEqual(ops["boot_to_init"]["per_op"], 6067717693)
        self.assertEqual(meta["n"], "1000")
        self.assertTrue(meta["kernel"].startswith("Linux 6.1.0-56-amd64"))

    def test_full_report(self):
        m, l = self.write("m.txt", MELLO), self.write("l.txt", LINUX)
        out_dir = os.path.join(self.dir, "out")
        rc, out, _ = self.run_report(m, l, "--out", out_dir)
        self.assertEqual(rc, 0)
        lines = {ln.split()[0]: ln for ln in out.splitlines()[2:]}
        self.assertEqual(lines["getpid"].split()[1:5], ["87", "311", "0.28x", "<="])
        self.assertIn("(met)", lines["getpid"])
        self.assertIn("(missed)", lines["yield"])          # 350 > 200
        self.assertIn("(met)", lines["fork_exit_wait"])    # 29000 <= 30000
        self.assertIn("(met)", lines["fork_exec_wait"])    # equal to the target
        self.assertEqual(lines["ctx_switch"].split()[1:4], ["n/a", "2,147", "n/a"])
        self.assertEqual(lines["extra_op"].split()[1:4], ["3", "n/a", "n/a"])
        self.assertEqual(lines["cow_fault"].split()[-1], "-")  # no target
        order = [ln.split()[0] for ln in out.splitlines()[2:]]
        self.assertEqual(order, report.OPS + ["extra_op"])

        md = open(os.path.join(out_dir, "report.md"), encoding="utf-8").read()
        self.assertIn("| getpid | 87 | 311 | 0.28x | ≤ 100 (met) |", md)
        self.assertIn("| ctx_switch | n/a | 2,147 | n/a | - |", md)
        self.assertIn("QEMU emulator version 7.2.22", md)
        self.assertIn("-icount shift=0", md)
        self.assertIn("6.1.0-56-amd64", md)
        self.assertIn("N = 1000", md)

        w, h, rows = read_png(os.path.join(out_dir, "report.png"))
        self.assertGreater(w, 600)
        self.assertGreater(h, 300)
        self.assertGreater(count_color(rows, report.MELLO_COLOR), 2000)
        self.assertGreater(count_color(rows, report.LINUX_COLOR), 2000)
        self.assertGreater(count_color(rows, report.TARGET_COLOR), 50)
        self.assertGreater(count_color(rows, (0, 0, 0)), 2000)   # text
        self.assertGreater(count_color(rows, report.NA_COLOR), 20)  # "n/a"

    def test_default_out_dir_is_linux_dir(self):
        m, l = self.write("m.txt", MELLO), self.write("l.txt", LINUX)
        rc, _, _ = self.run_report(m, l)
        self.assertEqual(rc, 0)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "report.png")))
        self.assertTrue(os.path.exists(os.path.join(self.dir, "report.md")))

    def test_bad_inputs_fail(self):
        l = self.write("l.txt", LINUX)
        bad = self.write("bad.txt", "[BENCH] name=getpid n=10 per_op=3\n")
        dup = self.write("dup.txt", "[BENCH] name=getpid n=1 total=1 per_op=1\n" * 2)
        empty = self.write("empty.txt", "")
        for args in ([bad, l], [dup, l], [os.path.join(self.dir, "nope.txt"), l],
                     [empty, empty]):
            rc, _, err = self.run_report(*args, "--out", self.dir)
            self.assertEqual(rc, 2, args)
            self.assertIn("error", err)

    def test_one_empty_side_is_all_na(self):
        empty, l = self.write("empty.txt", ""), self.write("l.txt", LINUX)
        rc, out, err = self.run_report(empty, l, "--out", self.dir)
        self.assertEqual(rc, 0)
        self.assertIn("warning", err)
        self.assertEqual(out.splitlines()[2].split()[1], "n/a")

    def test_check_targets(self):
        l = self.write("l.txt", LINUX)
        m = self.write("m.txt", MELLO)
        rc, _, err = self.run_report(m, l, "--out", self.dir, "--check-targets")
        self.assertEqual(rc, 3)
        self.assertIn("yield", err)
        good = self.write("good.txt", "".join(
            f"[BENCH] name={op} n=1 total={t} per_op={t}\n" for op, t in report.TARGETS.items()))
        rc, _, _ = self.run_report(good, l, "--out", self.dir, "--check-targets")
        self.assertEqual(rc, 0)

    def test_font_covers_labels(self):
        text = "".join(report.OPS) + "0123456789,.x/()=<>-_ MelloOSLinuxGkMn/a" \
            + "Guest instructions per operation (log scale)"
        self.assertEqual([c for c in set(text) if c not in report.FONT], [])

    def test_short_num(self):
        self.assertEqual([report.short_num(10 ** d) for d in range(0, 11)],
                         ["1", "10", "100", "1k", "10k", "100k", "1M", "10M", "100M",
                          "1G", "10G"])


if __name__ == "__main__":
    unittest.main()
