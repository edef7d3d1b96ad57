#!/usr/bin/env python3
"""Unit tests of qemu_test.py's verdict logic (no QEMU needed):
python3 -m unittest discover -s tools/testing -p 'test_*.py'"""

import unittest

import qemu_test as qt


def judge(lines, expect=(), forbid=(), done=qt.INIT_DONE):
    j = qt.Judge(list(expect), list(forbid), done)
    limits = [j.feed(line) for line in lines]
    return j, limits


BOOT = ["[KERNEL] MelloOS starting...", "Hello from userland!"]
END = "[KERNEL] init exited with code 0"


class Verdicts(unittest.TestCase):
    def test_clean_run_passes(self):
        j, _ = judge(BOOT + [END], expect=["^Hello from userland!$"])
        self.assertTrue(j.certain())
        self.assertEqual(j.reasons(0, False, 60), [])

    def test_panic_is_fatal_and_stops_soon(self):
        j, limits = judge(BOOT + ["[PANIC] ======== KERNEL PANIC on CPU 0 ========",
                                  "[PANIC] lock order violation"])
        self.assertEqual(limits[-1], qt.GRACE_SECONDS)
        why = " ".join(j.reasons(3, False, 60))
        self.assertIn("kernel failure", why)
        self.assertIn("lock order violation", why)
        self.assertIn("isa-debug-exit", why)

    def test_kernel_exception_is_fatal(self):
        j, limits = judge(["[FAULT] KERNEL EXCEPTION: Page Fault (vector 14) on CPU 1"])
        self.assertEqual(limits[-1], qt.GRACE_SECONDS)
        self.assertTrue(j.reasons(None, False, 60))

    def test_triple_fault_exit_0_without_power_off_line_fails(self):
        j, _ = judge(BOOT)
        why = " ".join(j.reasons(0, False, 60))
        self.assertIn("triple fault", why)

    def test_nonzero_init_exit_fails_with_its_line(self):
        j, limits = judge(BOOT + ["[KERNEL] init exited with code 1"])
        self.assertEqual(limits[-1], qt.END_GRACE_SECONDS)
        self.assertIn("init exited with code 1", " ".join(j.reasons(0, False, 60)))

    def test_failed_line_fails_even_if_run_ends_well(self):
        j, limits = judge(["[UTEST] fork_chain ... FAILED: status 3", END])
        self.assertEqual(limits[0], qt.FAIL_GRACE_SECONDS)
        self.assertIn("failure marker", " ".join(j.reasons(0, False, 60)))

    def test_missing_expectation_fails(self):
        j, _ = judge(BOOT + [END], expect=["^I'm the child!$"])
        self.assertFalse(j.certain())
        self.assertIn("never saw", " ".join(j.reasons(0, False, 60)))

    def test_forbidden_line_fails(self):
        j, _ = judge(["[ERROR] name=getpid oops", END], forbid=[r"^\[ERROR\]"])
        self.assertTrue(j.reasons(0, False, 60))

    def test_timeout_fails(self):
        j, _ = judge(BOOT)
        self.assertIn("timeout", " ".join(j.reasons(None, True, 60)))

    def test_ktest_needs_zero_failed(self):
        done = qt.default_done("ktest")
        ok, _ = judge(["[KTEST] 12 passed, 0 failed"], done=done)
        bad, _ = judge(["[KTEST] 11 passed, 1 failed"], done=done)
        self.assertEqual(ok.reasons(0, False, 60), [])
        self.assertTrue(bad.reasons(0, False, 60))
        self.assertEqual(qt.default_done("init=/bin/utest -- cpus=4"), qt.INIT_DONE)

    def test_exit_code_10_is_not_0(self):
        j, _ = judge(["[KERNEL] init exited with code 10"])
        self.assertFalse(j.done)

    def test_ansi_sequences_are_stripped(self):
        self.assertEqual(qt.ANSI.sub("", "\x1b[2J\x1b[0;37;40mHello\x1b[?25l"), "Hello")

    def test_ovmf_and_grub_escapes_are_stripped(self):
        # what OVMF and GRUB's vt100 terminfo wrote before grub.cfg set it to dumb
        raw = "\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001"
        self.assertEqual(qt.ANSI.sub("", raw), "BdsDxe: loading Boot0001")
        raw = "\x1b[H\x1b[J\x1b[1;1H\x1b[0m\x1b[30m\x1b[47mWelcome to GRUB!"
        self.assertEqual(qt.ANSI.sub("", raw), "Welcome to GRUB!")


if __name__ == "__main__":
    unittest.main()
