#!/usr/bin/env python3
"""Tests of linux_c.py's text handling (no QEMU): cutting a section out of
expected-linux.txt and a program's output out of a serial log.
python3 -m unittest discover -s tools/testing -p test_linux_c.py"""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import linux_c  # noqa: E402

EXPECTED = "== a\nx\nexit 0\n== hello\nhello, world\n\nOK hello\nexit 3\n== z\nexit 1\n"


class Sections(unittest.TestCase):
    def test_section_and_status(self):
        self.assertEqual(linux_c.expected_section(EXPECTED, "hello"), ("hello, world\n\nOK hello\n", 3))
        self.assertEqual(linux_c.expected_section(EXPECTED, "z"), ("", 1))

    def test_missing_section_or_exit_line(self):
        with self.assertRaises(SystemExit):
            linux_c.expected_section(EXPECTED, "nosuch")
        with self.assertRaises(SystemExit):
            linux_c.expected_section("== q\nline\n", "q")


class Output(unittest.TestCase):
    LOG = ("# qemu ...\n[KERNEL] boot\r\n[INIT] Loading init process from /bin/linux/hello\r\n"
           "hello, world\r\n[LINUX] pid 1: system call 2 not implemented (-ENOSYS)\r\n"
           "[x] is output\r\nno newline[KERNEL] init exited with code 7\r\n[METRICS] ...\r\n")

    def test_output_between_the_markers_without_kernel_lines(self):
        got, status, dropped = linux_c.program_output(self.LOG, "hello")
        self.assertEqual(got, "hello, world\n[x] is output\nno newline")
        self.assertEqual((status, dropped), (7, 1))

    def test_a_lone_cr_is_kept_and_a_missing_start_is_none(self):
        log = "[INIT] Loading init process from /bin/linux/p\r\na\rb\r\r\n[KERNEL] init exited with code 0\r\n"
        self.assertEqual(linux_c.program_output(log, "p")[0], "a\rb\r\n")
        self.assertEqual(linux_c.program_output(log, "other"), (None, None, 0))

    def test_no_exit_line(self):
        log = "[INIT] Loading init process from /bin/linux/p\r\nhalf\r\n"
        self.assertEqual(linux_c.program_output(log, "p"), ("half\n", None, 0))


if __name__ == "__main__":
    unittest.main()
