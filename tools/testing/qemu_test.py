#!/usr/bin/env python3
"""qemu_test.py - run one MelloOS configuration in QEMU and judge it.

    tools/testing/qemu_test.py NAME --cmdline "init=/bin/utest" --smp 4 \
        [--machine pc|q35] [--firmware bios|uefi] [--qemu-arg=-icount ...] \
        [--expect REGEX ...] [--expect-raw REGEX ...] [--forbid REGEX ...]
        [--done REGEX] [--timeout S]
        [--after REGEX (--type TEXT | --sendkey KEYS) ...] ...

Builds (or reuses) an ISO with the given kernel command line
(tools/mkiso.sh, cached in build/test/iso/ by command line), boots it with
tools/qemu/qemu.sh (headless, serial on stdout), streams the serial output
into build/test/NAME.log and decides:

PASS only if
  * every --expect regex matched some line, and every --expect-raw regex
    some line as sent (carriage returns and other control bytes kept,
    only terminal escapes removed: e.g. an echo `hello\r`),
  * the power-off path was reached: the --done regex matched (default
    `[KTEST] N passed, 0 failed` for a `ktest` command line, otherwise
    `[KERNEL] init exited with code 0`),
  * QEMU exited with status 0 (ACPI power-off; a kernel panic exits 3
    through isa-debug-exit),
  * no failure marker appeared: `[PANIC]`, `KERNEL EXCEPTION`, `FAILED`,
    `[WATCHDOG]` (unless --expect-watchdog), plus any --forbid regex.
A hang is a FAIL at --timeout. A triple fault makes QEMU (-no-reboot) exit
with status 0 but without the --done line: a FAIL too.

With --expect-panic the run must instead end in a kernel panic: PASS only
if every --expect regex matched, a `[PANIC]` line appeared and QEMU exited
with status 3 (the panic handler's isa-debug-exit), before --timeout.

Input (for terminal tests): `--after REGEX` starts a step; the
`--type TEXT` and `--sendkey KEYS` options after it are carried out, in
order, when a line matching REGEX appears (after the previous step's
line). Options before any --after are carried out at once. --type writes
TEXT to the guest's COM1 through QEMU's stdin (backslash escapes decoded:
`hello\r`, `\x7f`, `\x03`); --sendkey presses the keys KEYS names
(space-separated, QEMU's `sendkey` names: `h`, `ret`, `shift-a`,
`ctrl-c`, `caps_lock`) on the PS/2 keyboard through a QMP socket the
harness adds. A step whose line never came makes the run FAIL, and the
log's trailer lists the input that was sent.

Event-driven: lines are judged as they arrive. A fatal marker (`[PANIC]`,
`KERNEL EXCEPTION`) stops QEMU after 2 s (so the rest of the report
reaches the log); after a test's `FAILED` line the run gets at most 60 s
more, so the log holds every result without waiting for the full timeout;
after the run's last line (`init exited`, `[KTEST] N passed`) QEMU has
30 s to power off.

Output: one line `PASS NAME (12.3s)` or `FAIL NAME (12.3s): reason`,
followed on failure by the last 60 lines of the serial log and the path of
the whole log. build/test/NAME.log always holds the complete serial output
of the run, byte for byte (GRUB's and the firmware's escape codes
included), after a `# ` header with the QEMU command line and followed by a
`# ` trailer with QEMU's exit status and the verdict. Exit status 0 on
PASS, 1 on FAIL, 2 on a usage or setup error. SIGTERM, SIGHUP or Ctrl-C
stop QEMU (it runs in a session of its own) and make the run a FAIL.
"""

import argparse
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The harness's modules (tools/testing/qemu_harness/). The names not used
# here are qemu_test's API: test_qemu_test.py, tools/docs/capture.py.
from qemu_harness.inputs import Feeder, Inputs, Qmp, decode_text, parse_keys, plan_inputs  # noqa: E402,F401
from qemu_harness.judge import (  # noqa: E402,F401
    ANSI, END_GRACE_SECONDS, FAIL_GRACE_SECONDS, GRACE_SECONDS, INIT_DONE, KTEST_DONE, Judge,
    clean, default_done, tail)
from qemu_harness.qemu import ROOT, TEST_DIR, build_iso, run  # noqa: E402,F401

TAIL_LINES = 60


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("name", help="test name (log: build/test/NAME.log)")
    p.add_argument("--cmdline", default="", help="kernel command line")
    p.add_argument("--initrd", type=Path, metavar="CPIO",
                   help="boot this archive instead of build/initrd.cpio (e.g. an oracle initramfs)")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--machine", default="pc", choices=["pc", "q35"])
    p.add_argument("--firmware", default="bios", choices=["bios", "uefi"])
    p.add_argument("--qemu-arg", action="append", default=[], metavar="ARG",
                   help="extra QEMU argument (repeat; write --qemu-arg=-icount)")
    p.add_argument("--expect", action="append", default=[], metavar="REGEX",
                   help="a line matching REGEX must appear (repeatable)")
    p.add_argument("--expect-watchdog", action="store_true",
                   help="a [WATCHDOG] report is expected (the LOCKUP test), not a failure")
    p.add_argument("--expect-raw", action="append", default=[], metavar="REGEX",
                   help="a line with its control bytes kept (\\r, \\b...) must match REGEX")
    p.add_argument("--after", action=InputOption, dest="inputs", metavar="REGEX",
                   help="the following --type/--sendkey wait for a line matching REGEX")
    p.add_argument("--type", action=InputOption, dest="inputs", metavar="TEXT",
                   help="type TEXT on COM1 (backslash escapes: \\r \\x7f ...)")
    p.add_argument("--sendkey", action=InputOption, dest="inputs", metavar="KEYS",
                   help="press KEYS on the PS/2 keyboard (QEMU sendkey names, space-separated)")
    p.add_argument("--forbid", action="append", default=[], metavar="REGEX",
                   help="an extra failure marker (repeatable)")
    p.add_argument("--done", metavar="REGEX",
                   help="the power-off line (default: by command line)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds")
    p.add_argument("--expect-panic", action="store_true",
                   help="the run must end in a kernel panic (QEMU exit status 3)")
    p.add_argument("--fail-grace", type=float, default=FAIL_GRACE_SECONDS, metavar="S",
                   help="seconds a run may go on after a FAILED line (default %(default)s)")
    args = p.parse_args(argv)
    try:
        args.steps = plan_inputs(args.inputs or [])
        for rx in args.expect + args.expect_raw + args.forbid:
            re.compile(rx)
    except (ValueError, re.error) as e:
        p.error(str(e))
    return args


class InputOption(argparse.Action):
    """Keeps --after/--type/--sendkey in command-line order."""

    def __call__(self, parser, namespace, values, option_string=None):
        items = list(getattr(namespace, self.dest, None) or [])
        items.append((option_string.lstrip("-"), values))
        setattr(namespace, self.dest, items)


class Interrupted(Exception):
    """SIGTERM/SIGHUP (run_all.sh stopping its tests) or Ctrl-C."""


def on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, on_signal)
    args = parse_args(argv)
    TEST_DIR.mkdir(parents=True, exist_ok=True)
    log_path = TEST_DIR / f"{args.name}.log"
    start = time.monotonic()
    try:
        why, seconds, log_path = run(args)
    except Interrupted as e:
        why, seconds = [f"interrupted by {e}"], time.monotonic() - start
    except (RuntimeError, OSError) as e:
        print(f"FAIL {args.name} (0.0s): setup: {e}")
        return 2
    if not why:
        print(f"PASS {args.name} ({seconds:.1f}s)")
        return 0
    rel = log_path.relative_to(ROOT)
    print(f"FAIL {args.name} ({seconds:.1f}s): {'; '.join(why)}")
    if log_path.is_file():
        print(f"---- last {TAIL_LINES} lines of {rel} ----")
        for line in tail(log_path, TAIL_LINES):
            print(f"  | {line}")
        print(f"---- whole serial log: {rel}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
