#!/usr/bin/env python3
"""linux_c.py - run one of the oracle's static musl programs as init under
MelloOS's Linux personality and compare its output with Linux's.

    tools/testing/linux_c.py TEST PROGRAM [--smp N] [--timeout S]

PROGRAM is a tests/linux/c/PROGRAM.c built by tools/oracle/build_c.sh and
packed by tools/mkinitrd.sh as /bin/linux/PROGRAM (musl binaries carry no
ELF brand, so PID 1 gets the personality from `abi=linux`). The run goes
through qemu_test.py (log: build/test/TEST.log) with the command line
`init=/bin/linux/PROGRAM abi=linux`; its success needs the power-off path,
any exit code.

The program's output is the serial text between `[INIT] Loading init
process from /bin/linux/PROGRAM` and `[KERNEL] init exited with code N`,
with the serial line's ONLCR undone (CR LF -> LF, as tools/oracle/extract.py
does) and kernel log lines (`[TAG] ...` at the start of a line) left out;
none of the oracle's expected lines starts with `[`. It must equal, byte for
byte, the section `== PROGRAM` of tests/linux/c/expected-linux.txt (Linux's
output, up to its `exit N` line), and N must be that exit status. The two
texts are written to build/test/TEST.expected and TEST.actual; a difference
is shown by tools/oracle/compare.sh.

Prints `PASS TEST (Ns)` or `FAIL TEST (Ns): reason` first, then details.
Exit status 0 on PASS, 1 on FAIL, 2 on a usage error.
"""

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_DIR = ROOT / "build" / "test"
EXPECTED = ROOT / "tests" / "linux" / "c" / "expected-linux.txt"
KLOG = re.compile(r"^\[[A-Z][A-Z0-9_]*\][ \[]")
EXIT = re.compile(r"\[KERNEL\] init exited with code (-?\d+)")


def expected_section(text, program):
    """(output, exit status) of `== program` in expected-linux.txt."""
    lines = text.splitlines(keepends=True)
    try:
        start = lines.index(f"== {program}\n") + 1
    except ValueError:
        raise SystemExit(f"linux_c.py: no '== {program}' section in {EXPECTED}")
    body = []
    for line in lines[start:]:
        m = re.fullmatch(r"exit (\d+)\n?", line)
        if m:
            return "".join(body), int(m.group(1))
        body.append(line)
    raise SystemExit(f"linux_c.py: section '== {program}' has no 'exit N' line")


def program_output(log, program):
    """(output, exit status or None, kernel lines dropped) from a serial log."""
    text = log.replace("\r\n", "\n")
    begin = f"[INIT] Loading init process from /bin/linux/{program}\n"
    at = text.find(begin)
    if at < 0:
        return None, None, 0
    rest = text[at + len(begin):]
    m = EXIT.search(rest)
    status = int(m.group(1)) if m else None
    rest = rest[: m.start()] if m else rest
    kept, dropped = [], 0
    for line in rest.splitlines(keepends=True):
        if KLOG.match(line):
            dropped += 1
        else:
            kept.append(line)
    return "".join(kept), status, dropped


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("test")
    p.add_argument("program")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args(argv)
    t0 = time.monotonic()
    want, want_status = expected_section(EXPECTED.read_text(), args.program)
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools/testing/qemu_test.py"), args.test,
         "--cmdline", f"init=/bin/linux/{args.program} abi=linux", "--smp", str(args.smp),
         "--done", r"\[KERNEL\] init exited with code -?\d+", "--timeout", str(args.timeout)],
        capture_output=True, text=True)
    log_path = TEST_DIR / f"{args.test}.log"
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    got, status, dropped = program_output(log, args.program)
    secs = f"{time.monotonic() - t0:.1f}s"
    details = []
    reason = None
    if run.returncode != 0:
        reason = "the QEMU run failed (qemu_test.py below)"
        details.append(run.stdout.rstrip())
    elif got is None:
        reason = f"no '[INIT] Loading init process from /bin/linux/{args.program}' line (not in the initrd?)"
    else:
        (TEST_DIR / f"{args.test}.expected").write_text(want)
        (TEST_DIR / f"{args.test}.actual").write_text(got)
        if got != want:
            reason = "output differs from Linux's"
            cmp = subprocess.run([str(ROOT / "tools/oracle/compare.sh"), str(TEST_DIR / f"{args.test}.expected"),
                                  str(TEST_DIR / f"{args.test}.actual")], capture_output=True, text=True)
            details.append(cmp.stdout.rstrip())
        elif status != want_status:
            reason = f"exit status {status}, Linux's is {want_status}"
    if dropped:
        details.append(f"({dropped} kernel log line(s) between the program's lines were left out)")
    if reason:
        print(f"FAIL {args.test} ({secs}): {reason}")
    else:
        print(f"PASS {args.test} ({secs}): {len(want.splitlines())} lines identical to Linux's, exit {status}")
    for d in details:
        print(d)
    print(f"---- whole serial log: {log_path}")
    return 1 if reason else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
