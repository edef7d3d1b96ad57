#!/usr/bin/env python3
"""Host tests for extract.py: python3 tools/oracle/test_extract.py"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from extract import extract  # noqa: E402


def serial(s):
    """What the console's ONLCR makes of the guest's bytes."""
    return s.replace(b"\n", b"\r\n")


class ExtractTest(unittest.TestCase):
    def frame(self, body, status=0, before=b"", after=b""):
        return before + serial(b"@@ORACLE-BEGIN@@\n" + body + b"\n@@ORACLE-END status=%d@@\n"
                               % status) + after

    def test_exact_bytes(self):
        for body in [b"", b"one\n", b"no newline", b"cr kept\r\n", b"\n\n", b"\x00\xff\t\n"]:
            out, st = extract(self.frame(body, 7))
            self.assertEqual((out, st), (body, 7))

    def test_kernel_lines_outside_ignored(self):
        out, st = extract(self.frame(b"x\n", 0, b"[    1.0] booting\r\n", b"[    2.0] reboot: Power down\r\n"))
        self.assertEqual(out, b"x\n")

    def test_failures(self):
        for log, why in [(b"", "no begin marker"),
                         (serial(b"@@ORACLE-BEGIN@@\npartial\n"), "no end marker"),
                         (self.frame(b"a") + self.frame(b"a"), "appeared 2 times"),
                         (self.frame(b"a", 0, serial(b"Kernel panic - not syncing: x\n")), "Kernel panic"),
                         (serial(b"x@@ORACLE-BEGIN@@\n\n@@ORACLE-END status=0@@\n"), "no begin")]:
            with self.assertRaises(ValueError, msg=why) as cm:
                extract(log)
            self.assertIn(why, str(cm.exception))


if __name__ == "__main__":
    unittest.main()
