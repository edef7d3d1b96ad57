#!/usr/bin/env python3
"""Tests of tools/qemu/qemu.sh's command lines and its -exit-status verdict
(what `make run` exits with), against a fake qemu-system-x86_64 on PATH
that writes a given serial output to the -chardev logfile and exits with a
given status (no QEMU needed):
python3 -m unittest discover -s tools/testing -p test_qemu_sh.py"""

import os
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QEMU_SH = ROOT / "tools" / "qemu" / "qemu.sh"

FAKE = r"""#!/usr/bin/env bash
printf '%s\n' "$@" > "$FAKE_DIR/args"
for a in "$@"; do
    case "$a" in
        *logfile=*) log=${a#*logfile=}; log=${log%%,*} ;;
    esac
done
[ -z "${log:-}" ] || printf '%b' "$FAKE_SERIAL" > "$log"
printf '%b' "$FAKE_SERIAL"
exit "$FAKE_RC"
"""


class QemuSh(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        fake = self.dir / "qemu-system-x86_64"
        fake.write_text(FAKE)
        fake.chmod(0o755)
        self.iso = self.dir / "x.iso"
        self.iso.write_bytes(b"")
        self.log = self.dir / "run.log"

    def tearDown(self):
        self.tmp.cleanup()

    def run_sh(self, serial="", rc=0, args=("-exit-status",)):
        env = dict(os.environ, PATH=f"{self.dir}:{os.environ['PATH']}", FAKE_DIR=str(self.dir),
                   FAKE_SERIAL=serial, FAKE_RC=str(rc))
        env.pop("DISPLAY", None)
        r = subprocess.run([str(QEMU_SH), "-iso", str(self.iso), "-log", str(self.log), *args],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env)
        self.args = (self.dir / "args").read_text().split("\n")
        return r.returncode, r.stderr

    def test_init_exit_code_is_the_exit_status(self):
        for code, status in [(0, 0), (42, 42), (139, 139), (256, 1), (-1, 255)]:
            rc, err = self.run_sh(f"boot\\r\\n[KERNEL] init exited with code {code}\\r\\n[METRICS] x\\r\\n")
            self.assertEqual(rc, status, (code, err))
            self.assertIn(f"init exited with code {code}", err)
            self.assertIn(str(self.log), err)

    def test_no_init_line_is_a_failure(self):
        rc, err = self.run_sh("[KERNEL] MelloOS starting...\\r\\n", rc=0)  # Ctrl-A X, triple fault
        self.assertEqual(rc, 1)
        self.assertIn("without '[KERNEL] init exited with code N'", err)
        rc, err = self.run_sh("[PANIC] boom\\r\\n", rc=3)
        self.assertEqual(rc, 3)
        self.assertIn("kernel panic", err)

    def test_ktest_run(self):
        self.assertEqual(self.run_sh("[KTEST] 34 passed, 0 failed\\r\\n")[0], 0)
        self.assertEqual(self.run_sh("[KTEST] 32 passed, 2 failed\\r\\n")[0], 1)

    def test_interactive_serial_is_muxed_with_the_monitor_and_logged(self):
        self.run_sh("[KERNEL] init exited with code 0\\n")
        joined = " ".join(self.args)
        self.assertIn(f"stdio,id=s0,mux=on,signal=off,logfile={self.log},logappend=off", joined)
        self.assertIn("-serial chardev:s0", joined)
        self.assertIn("-mon chardev=s0,mode=readline", joined)

    def test_quit_hint_comes_first(self):
        _, err = self.run_sh("[KERNEL] init exited with code 0\\n")
        self.assertTrue(err.startswith("[qemu] Ctrl-A X quits QEMU; Ctrl-A C toggles the monitor"), err)

    def test_headless_without_log_is_plain_serial_stdio(self):
        env = dict(os.environ, PATH=f"{self.dir}:{os.environ['PATH']}", FAKE_DIR=str(self.dir),
                   FAKE_SERIAL="", FAKE_RC="0")
        subprocess.run([str(QEMU_SH), "-iso", str(self.iso), "-headless", "-smp", "3"],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env, check=True)
        args = (self.dir / "args").read_text().split("\n")
        self.assertIn("-serial", args)
        self.assertEqual(args[args.index("-serial") + 1], "stdio")
        self.assertEqual(args[args.index("-smp") + 1], "3")
        self.assertNotIn("-mon", args)

    def test_debug_waits_for_gdb_and_names_the_script(self):
        _, err = self.run_sh("", args=("-debug", "-smp", "4", "-gdb-script", "build/debug-x.gdb"))
        self.assertIn("-S", self.args)
        self.assertIn("-s", self.args)
        self.assertEqual(self.args[self.args.index("-smp") + 1], "4")
        self.assertIn("gdb -x build/debug-x.gdb", err)


if __name__ == "__main__":
    unittest.main()
