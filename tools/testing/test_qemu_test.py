#!/usr/bin/env python3
"""Unit tests of qemu_test.py's verdict logic (no QEMU needed):
python3 -m unittest discover -s tools/testing -p 'test_*.py'"""

import io
import json
import os
import socket
import tempfile
import threading
import unittest

import qemu_test as qt
from qemu_harness import inputs as qt_inputs  # the module Inputs reads its timings from


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

    def test_ktest_with_groups_is_a_ktest_run(self):
        self.assertEqual(qt.default_done("ktest=TTY"), qt.KTEST_DONE)
        self.assertEqual(qt.default_done("ktest=CRASH,MM quiet"), qt.KTEST_DONE)
        self.assertEqual(qt.default_done("init=/bin/ktest-like"), qt.INIT_DONE)

    def test_raw_expectations_see_control_bytes(self):
        text, raw = qt.clean(b"worxx\x08 \x08ld\r\n")
        self.assertEqual(text, "worxx\x08 \x08ld")
        self.assertEqual(raw, "worxx\x08 \x08ld\r")
        j = qt.Judge([], [], qt.KTEST_DONE, expect_raw=[r"^hello\r$"])
        j.feed("hello", "hello")  # without its \r: no match
        j.feed("[KTEST] 1 passed, 0 failed")
        self.assertFalse(j.certain())
        self.assertIn("never saw (raw)", " ".join(j.reasons(0, False, 60)))
        j.feed("hello", "hello\r")
        self.assertTrue(j.certain())
        self.assertEqual(j.reasons(0, False, 60), [])


class InputPlan(unittest.TestCase):
    def test_escapes_are_decoded(self):
        self.assertEqual(qt.decode_text(r"hello\r"), b"hello\r")
        self.assertEqual(qt.decode_text(r"a\x7f\x03\e\\n\t"), b"a\x7f\x03\x1b\\n\t")
        self.assertEqual(qt.decode_text("\u00e9"), "\u00e9".encode())
        with self.assertRaises(ValueError):
            qt.decode_text(r"bad\q")

    def test_key_names_are_checked(self):
        self.assertEqual(qt.parse_keys(" h  shift-a ctrl-c caps_lock "), ["h", "shift-a", "ctrl-c", "caps_lock"])
        for bad in ["", "   ", "h;quit", "ctrl--c", "sendkey h,i"]:
            with self.assertRaises(ValueError, msg=bad):
                qt.parse_keys(bad)

    def test_options_keep_their_order(self):
        a = qt.parse_args(["t", "--type", "first", "--after", "^one$", "--sendkey", "h ret",
                           "--type", r"x\r", "--after", "^two$", "--type", "y"])
        self.assertEqual([(s.trigger, s.actions) for s in a.steps], [
            (None, [("type", b"first")]),
            ("^one$", [("sendkey", ["h", "ret"]), ("type", b"x\r")]),
            ("^two$", [("type", b"y")]),
        ])

    def test_an_after_without_input_is_an_error(self):
        for argv in (["t", "--after", "^a$"], ["t", "--after", "^a$", "--after", "^b$", "--type", "x"],
                     ["t", "--after", "(", "--type", "x"], ["t", "--type", r"\z"]):
            with self.assertRaises(SystemExit, msg=argv), open(os.devnull, "w") as null:
                stderr, qt.sys.stderr = qt.sys.stderr, null
                try:
                    qt.parse_args(argv)
                finally:
                    qt.sys.stderr = stderr

    def test_steps_fire_in_order_one_per_line(self):
        steps = qt.parse_args(["t", "--type", "0", "--after", "A", "--type", "1",
                               "--after", "B", "--type", "2", "--after", "A", "--type", "3"]).steps
        f = qt.Feeder(steps)
        self.assertEqual(f.due(), [("type", b"0")])
        self.assertEqual(f.due("B"), [])  # B's step waits for A's
        self.assertEqual(f.due("A B"), [("type", b"1")])  # one line fires one step
        self.assertEqual(f.due("B"), [("type", b"2")])
        self.assertEqual(f.pending(), ["after 'A'"])
        self.assertEqual(f.due("A"), [("type", b"3")])
        self.assertEqual(f.pending(), [])
        self.assertEqual(f.due("A"), [])


class FakeQemu:
    """A QMP server on a unix socket that records human-monitor commands."""

    def __init__(self, path, fail_on=None):
        self.commands = []
        self.fail_on = fail_on
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _ = self.srv.accept()
        with conn, conn.makefile("rwb") as f:
            def send(msg):
                f.write(json.dumps(msg).encode() + b"\n")
                f.flush()
            send({"QMP": {"version": {}, "capabilities": []}})
            for line in f:
                req = json.loads(line)
                send({"event": "SOMETHING", "data": {}})  # events are skipped
                if req["execute"] == "qmp_capabilities":
                    send({"return": {}})
                    continue
                cmd = req["arguments"]["command-line"]
                self.commands.append(cmd)
                send({"return": "unknown key\r\n" if cmd == self.fail_on else ""})

    def close(self):
        self.srv.close()


class FakeProc:
    def __init__(self):
        self.stdin = io.BytesIO()
        self.stdin.close = lambda: None


class InputsRun(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "qmp.sock")
        self.saved_gap, qt_inputs.KEY_GAP_SECONDS = qt_inputs.KEY_GAP_SECONDS, 0

    def tearDown(self):
        qt_inputs.KEY_GAP_SECONDS = self.saved_gap
        self.dir.cleanup()

    def test_type_and_sendkey(self):
        qemu = FakeQemu(self.path)
        proc = FakeProc()
        inputs = qt.Inputs(proc, self.path)
        inputs.run([("type", b"hello\r"), ("sendkey", ["h", "ret"]), ("sendkey", ["ctrl-c"])], "after 'x'")
        inputs.close()
        qemu.close()
        self.assertIsNone(inputs.error)
        self.assertEqual(proc.stdin.getvalue(), b"hello\r")
        self.assertEqual(qemu.commands, ["sendkey h", "sendkey ret", "sendkey ctrl-c"])
        self.assertEqual(inputs.sent, ["after 'x': typed b'hello\\r'", "after 'x': keys h ret", "after 'x': keys ctrl-c"])

    def test_a_refused_key_is_an_error_and_stops_the_input(self):
        qemu = FakeQemu(self.path, fail_on="sendkey nosuch")
        proc = FakeProc()
        inputs = qt.Inputs(proc, self.path)
        inputs.run([("sendkey", ["nosuch", "h"]), ("type", b"late")], "at start")
        inputs.close()
        qemu.close()
        self.assertIn("sendkey nosuch: unknown key", inputs.error)
        self.assertEqual(proc.stdin.getvalue(), b"")

    def test_no_qmp_socket_is_an_error(self):
        saved, qt_inputs.QMP_CONNECT_SECONDS = qt_inputs.QMP_CONNECT_SECONDS, 0.3
        try:
            inputs = qt.Inputs(FakeProc(), self.path)
            inputs.run([("sendkey", ["h"])], "at start")
        finally:
            qt_inputs.QMP_CONNECT_SECONDS = saved
        self.assertIn("did not accept a connection", inputs.error)


if __name__ == "__main__":
    unittest.main()
