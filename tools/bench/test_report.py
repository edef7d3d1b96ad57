#!/usr/bin/env python3
"""test_report.py - unit tests for tools/bench/report.py and for the rows
profile.py --missed picks (stdlib unittest).

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
[BENCH] name=pipe_64k n=4096000 total=4300800 per_op=1
[BENCH] name=mem_after_boot_kib n=1 total=90000 per_op=90000
[BENCH] name=mem_per_process_kib n=50 total=3000 per_op=60
\x1b[2J[BENCH] name=boot_to_init n=1 total=6067717693 per_op=6067717693
[BENCH] done
"""

MELLO = """\
noise from the serial console
# kernel: MelloOS abc1234
[BENCH] name=getpid n=1000 total=87000 per_op=87
[BENCH] name=yield n=1000 total=350000 per_op=350
[BENCH] name=ipc_roundtrip n=1000 total=1900000 per_op=1900
[BENCH] name=fork_exit_wait n=1000 total=29000000 per_op=29000
[BENCH] name=fork_exec_wait n=1000 total=79421416 per_op=79421
[BENCH] name=pipe_64k n=4096000 total=1228800 per_op=0
[BENCH] name=mem_after_boot_kib n=1 total=20000 per_op=20000
[BENCH] name=extra_op n=10 total=30 per_op=3
[BENCH] done
"""

NATIVE = """\
[BENCH] name=getpid n=1000 total=95000 per_op=95
[BENCH] name=ipc_roundtrip n=1000 total=1100000 per_op=1100
[BENCH] name=fork_exit_wait n=1000 total=15000000 per_op=15000
[BENCH] name=boot_to_init n=1 total=262000000 per_op=262000000
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
        self.assertEqual(len(ops), 11)
        self.assertEqual(ops["getpid"], {"n": 1000, "total": 311009, "per_op": 311,
                                         "value": 311.009})
        self.assertEqual(ops["boot_to_init"]["per_op"], 6067717693)
        self.assertAlmostEqual(ops["pipe_64k"]["value"], 1.05)
        self.assertEqual(meta["n"], "1000")
        self.assertTrue(meta["kernel"].startswith("Linux 6.1.0-56-amd64"))

    def full(self):
        m, l = self.write("m.txt", MELLO), self.write("l.txt", LINUX)
        nat = self.write("n.txt", NATIVE)
        out_dir = os.path.join(self.dir, "out")
        rc, out, err = self.run_report(m, l, "--native", nat, "--out", out_dir)
        return rc, out, err, out_dir

    def test_table_columns_ratio_and_targets(self):
        rc, out, err, _ = self.full()
        self.assertEqual(rc, 0)
        lines = {ln.split()[0]: ln for ln in out.splitlines()[2:]}
        # row | MelloOS | native | Linux | ratio | target
        self.assertEqual(lines["getpid"].split()[1:5], ["87", "95", "311", "0.28x"])
        self.assertIn("<= 104 (met)", lines["getpid"])           # 87 <= 311/3
        self.assertIn("native <= 60 (MISSED)", lines["getpid"])  # 95 > 60
        self.assertIn("(MISSED)", lines["yield"])                # 350 > 796/3
        self.assertIn("native <= 1,200 (met)", lines["ipc_roundtrip"])
        self.assertIn("native <= 15,000 (met)", lines["fork_exit_wait"])  # equal
        self.assertIn("<= 79,421 (met)", lines["fork_exec_wait"])  # equal to Linux/3
        self.assertIn("native <= 35,000 (n/a)", lines["fork_exec_wait"])
        self.assertEqual(lines["ctx_switch"].split()[1:5], ["n/a", "-", "2,147", "n/a"])
        self.assertIn("(n/a)", lines["ctx_switch"])
        self.assertEqual(lines["pipe_64k"].split()[1:5], ["0.30", "-", "1.05", "0.29x"])
        self.assertEqual(lines["extra_op"].split()[1:5], ["3.00", "-", "n/a", "n/a"])
        self.assertIn("MISSED (no result)", lines["stat"])
        order = [ln.split()[0] for ln in out.splitlines()[2:]]
        self.assertEqual(order, report.OPS + ["extra_op"])
        for op in ("getpid", "yield", "ctx_switch", "stat"):
            self.assertIn(op, err.split("rows missing a target:")[1])
        for op in ("pipe_64k", "mem_after_boot_kib", "fork_exec_wait"):
            self.assertNotIn(f" {op},", err.split("rows missing a target:")[1] + ",")

    def test_markdown_and_charts(self):
        _, _, _, out_dir = self.full()
        with open(os.path.join(out_dir, "report.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("| `getpid` getpid (raw syscall) | 87 | 95 | 311 | 0.28x | "
                      "≤ 104 (met); native ≤ 60 (MISSED) |", md)
        self.assertIn("## Memory footprint (KiB)", md)
        foot = md.split("## Memory footprint (KiB)")[1].split("Rows that miss")[0]
        self.assertIn("mem_after_boot_kib", foot)
        self.assertNotIn("`getpid`", foot)
        self.assertIn("| 20,000 | - | 90,000 | 0.22x | ≤ 30,000 (met) |", foot)
        self.assertIn("Rows that miss a target:", md)
        self.assertIn("QEMU emulator version 7.2.22", md)
        self.assertIn("-icount shift=0", md)
        self.assertIn("6.1.0-56-amd64", md)
        self.assertIn("MelloOS abc1234", md)
        for name, min_h in (("report.png", 600), ("footprint.png", 150)):
            w, h, rows = read_png(os.path.join(out_dir, name))
            self.assertGreater(w, 600, name)
            self.assertGreater(h, min_h, name)
            self.assertGreater(count_color(rows, report.MELLO_COLOR), 500, name)
            self.assertGreater(count_color(rows, report.LINUX_COLOR), 500, name)
            self.assertGreater(count_color(rows, report.TARGET_COLOR), 50, name)
            self.assertGreater(count_color(rows, (0, 0, 0)), 2000, name)
        _, _, rows = read_png(os.path.join(out_dir, "report.png"))
        self.assertGreater(count_color(rows, report.NATIVE_COLOR), 500)
        self.assertGreater(count_color(rows, report.NA_COLOR), 20)  # "n/a"

    def test_default_out_dir_is_linux_dir(self):
        m, l = self.write("m.txt", MELLO), self.write("l.txt", LINUX)
        rc, _, _ = self.run_report(m, l)
        self.assertEqual(rc, 0)
        for name in ("report.png", "report.md", "footprint.png"):
            self.assertTrue(os.path.exists(os.path.join(self.dir, name)), name)

    def test_bad_inputs_fail(self):
        l = self.write("l.txt", LINUX)
        bad = self.write("bad.txt", "[BENCH] name=getpid n=10 per_op=3\n")
        dup = self.write("dup.txt", "[BENCH] name=getpid n=1 total=1 per_op=1\n" * 2)
        zero = self.write("zero.txt", "[BENCH] name=getpid n=0 total=1 per_op=1\n")
        empty = self.write("empty.txt", "")
        for args in ([bad, l], [dup, l], [zero, l], [os.path.join(self.dir, "nope.txt"), l],
                     [empty, empty], [l, l, "--native", bad]):
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
        lops, _ = report.parse_results(l)
        good = self.write("good.txt", "".join(
            f"[BENCH] name={op} n={v['n']} total={v['total'] // 4} per_op=0\n"
            for op, v in lops.items()))
        rc, _, err = self.run_report(good, l, "--out", self.dir, "--check-targets")
        self.assertEqual(rc, 3)  # rows of rows.txt with no MelloOS result at all
        self.assertIn("stat", err)
        self.assertNotIn("getpid", err)
        every = self.write("every.txt", "".join(f"[BENCH] name={op} n=1 total=0 per_op=0\n"
                                                for op in report.OPS))
        nat = self.write("nat.txt", "".join(f"[BENCH] name={op} n=1 total={t} per_op={t}\n"
                                            for op, t in report.NATIVE_TARGETS.items()))
        rc, _, _ = self.run_report(every, l, "--native", nat, "--out", self.dir,
                                   "--check-targets")
        self.assertEqual(rc, 0)
        over = self.write("over.txt", "[BENCH] name=getpid n=1 total=61 per_op=61\n")
        rc, _, err = self.run_report(every, l, "--native", over, "--out", self.dir,
                                     "--check-targets")
        self.assertEqual(rc, 3)
        self.assertIn("getpid", err)

    def test_readme_section_is_replaced(self):
        m, l = self.write("m.txt", MELLO), self.write("l.txt", LINUX)
        readme = self.write("README.md", "intro\n<!-- bench:begin -->\nold table\n"
                                         "<!-- bench:end -->\noutro\n")
        rc, _, _ = self.run_report(m, l, "--out", self.dir, "--readme", readme)
        self.assertEqual(rc, 0)
        with open(readme, encoding="utf-8") as f:
            text = f.read()
        self.assertTrue(text.startswith("intro\n<!-- bench:begin -->\n"))
        self.assertTrue(text.endswith("<!-- bench:end -->\noutro\n"))
        self.assertNotIn("old table", text)
        self.assertIn("| `getpid` getpid (raw syscall) | 87 |", text)
        bad = self.write("bad.md", "no markers\n")
        rc, _, err = self.run_report(m, l, "--out", self.dir, "--readme", bad)
        self.assertEqual(rc, 2)
        self.assertIn("bench:begin", err)

    def test_font_covers_labels(self):
        text = "".join(report.OPS) + "0123456789,.x/()=<>-_ MelloOSLinuxGkMn/a" \
            + "Guest instructions per operation (log scale)" \
            + "Memory footprint, KiB (log scale) native target (Linux/3; native)"
        self.assertEqual([c for c in set(text) if c not in report.FONT], [])

    def test_short_num(self):
        self.assertEqual([report.short_num(10 ** d) for d in range(0, 11)],
                         ["1", "10", "100", "1k", "10k", "100k", "1M", "10M", "100M",
                          "1G", "10G"])

    def test_profile_picks_the_rows_that_miss(self):
        import profile as prof
        from pathlib import Path
        self.write("shared-mellos.txt", MELLO)
        self.write("shared-linux.txt", LINUX)
        self.write("mellos.txt", NATIVE)
        todo = prof.missed_rows(Path(self.dir))
        # Shared rows over Linux/3: yield 350 > 796/3 (getpid 87 <= 311/3,
        # fork_exec_wait 79421 <= 238264/3 and pipe_64k 0.30 <= 1.05/3 are
        # met); native rows over their own targets: getpid 95 > 60
        # (fork_exit_wait 15000 and ipc 1100 are met); footprint and boot
        # rows never. In the report's row order.
        self.assertEqual([(op, shared) for op, shared, _ in todo], [("getpid", False), ("yield", True)])
        # N logs about 2 million instructions, within [2, 2000].
        self.assertEqual([k for _, _, k in todo], [2000, 2000])
        self.write("shared-mellos.txt", MELLO.replace("total=79421416 per_op=79421", "total=400000000 per_op=400000"))
        self.assertIn(("fork_exec_wait", True, 5), prof.missed_rows(Path(self.dir)))

if __name__ == "__main__":
    unittest.main()
