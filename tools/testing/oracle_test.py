#!/usr/bin/env python3
"""oracle_test.py - boot an oracle initramfs under MelloOS and compare its
output with Linux's, byte for byte.

    tools/testing/oracle_test.py TEST SUITE [--smp N] [--timeout S]

SUITE is a directory of tests/linux/ (`busybox`: the shell script of
Debian's busybox; `c`: the static musl programs run by their script). The
archive is the one tests/linux/regen.sh boots under Debian's kernel: made by
tools/initramfs/mkroot.sh from SUITE/script.sh (plus, for `c`, the programs
built by tools/oracle/build_c.sh as /test/c/NAME) into build/test/TEST.cpio.
MelloOS boots it as its initrd with `init=/init` (a `#!` script) through
qemu_test.py (log: build/test/TEST.log) until the end marker.

The output is what tools/oracle/extract.py cuts out of the serial log
between `@@ORACLE-BEGIN@@` and `@@ORACLE-END status=N@@`, after kernel log
lines (`[TAG] ...` at the start of a line, which no expected line has) are
left out and counted. It must equal SUITE/expected-linux.txt and N must
equal SUITE/expected-linux.txt.status; a difference is shown by
tools/oracle/compare.sh (the step that differs, and its bytes).

Prints `PASS TEST (Ns)` or `FAIL TEST (Ns): reason` first, then details.
Exit status 0 on PASS, 1 on FAIL.
"""

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_DIR = ROOT / "build" / "test"
KLOG = re.compile(rb"^\[[A-Z][A-Z0-9_]*\][ \[]")


def archive(test, suite):
    """Builds the suite's oracle archive; returns its path."""
    out = TEST_DIR / f"{test}.cpio"
    cmd = [str(ROOT / "tools/initramfs/mkroot.sh"), "-o", str(out)]
    if suite == "c":
        built = subprocess.run([str(ROOT / "tools/oracle/build_c.sh")], capture_output=True, text=True, check=True)
        for prog in built.stdout.split():
            cmd += ["--add", f"{prog}:/test/c/{Path(prog).name}"]
    cmd.append(str(ROOT / "tests/linux" / suite / "script.sh"))
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out


def without_kernel_lines(log):
    """The serial log (bytes) without kernel log lines; and how many went."""
    kept, dropped = [], 0
    for line in log.split(b"\n"):
        if KLOG.match(line.lstrip(b"\r")):
            dropped += 1
        else:
            kept.append(line)
    return b"\n".join(kept), dropped


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("test")
    p.add_argument("suite", choices=["busybox", "c"])
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--timeout", type=float, default=300.0)
    args = p.parse_args(argv)
    t0 = time.monotonic()
    suite = ROOT / "tests/linux" / args.suite
    TEST_DIR.mkdir(parents=True, exist_ok=True)
    try:
        cpio = archive(args.test, args.suite)
    except subprocess.CalledProcessError as e:
        print(f"FAIL {args.test} (0s): building the archive failed: {' '.join(e.cmd)}\n{e.stdout}{e.stderr}")
        return 1
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools/testing/qemu_test.py"), args.test, "--initrd", str(cpio),
         "--cmdline", "init=/init", "--smp", str(args.smp),
         "--done", r"@@ORACLE-END status=\d+@@", "--timeout", str(args.timeout)],
        capture_output=True, text=True)
    log_path = TEST_DIR / f"{args.test}.log"
    filtered, dropped = without_kernel_lines(log_path.read_bytes() if log_path.exists() else b"")
    plain = TEST_DIR / f"{args.test}.user.log"
    plain.write_bytes(filtered)
    actual = TEST_DIR / f"{args.test}.actual"
    ext = subprocess.run([str(ROOT / "tools/oracle/extract.py"), str(plain), str(actual)], capture_output=True, text=True)
    secs = f"{time.monotonic() - t0:.1f}s"
    details, reason = [], None
    if run.returncode != 0:
        reason = "the QEMU run failed (qemu_test.py below)"
        details.append(run.stdout.rstrip())
    elif ext.returncode != 0:
        reason = f"no framed output: {ext.stderr.strip()}"
    else:
        status = ext.stdout.strip()
        want_status = (suite / "expected-linux.txt.status").read_text().strip()
        cmp = subprocess.run([str(ROOT / "tools/oracle/compare.sh"), str(suite / "expected-linux.txt"), str(actual)],
                             capture_output=True, text=True)
        if cmp.returncode != 0:
            reason = "output differs from Linux's"
            details.append(cmp.stdout.rstrip())
        elif status != want_status:
            reason = f"exit status {status}, Linux's is {want_status}"
    if dropped:
        details.append(f"({dropped} kernel log line(s) left out of the serial log; whole log below)")
    lines = len((suite / "expected-linux.txt").read_bytes().splitlines())
    print(f"FAIL {args.test} ({secs}): {reason}" if reason else
          f"PASS {args.test} ({secs}): {lines} lines identical to Linux's, exit {ext.stdout.strip()}")
    for d in details:
        print(d)
    print(f"---- whole serial log: {log_path}")
    return 1 if reason else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
