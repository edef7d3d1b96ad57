#!/usr/bin/env python3
"""qemu_test.py - run one MelloOS configuration in QEMU and judge it.

    tools/testing/qemu_test.py NAME --cmdline "init=/bin/utest" --smp 4 \
        [--machine pc|q35] [--firmware bios|uefi] [--qemu-arg=-icount ...] \
        [--expect REGEX ...] [--forbid REGEX ...] [--done REGEX] [--timeout S]

Builds (or reuses) an ISO with the given kernel command line
(tools/mkiso.sh, cached in build/test/iso/ by command line), boots it with
tools/qemu/qemu.sh (headless, serial on stdout), streams the serial output
into build/test/NAME.log and decides:

PASS only if
  * every --expect regex matched some line,
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
import fcntl
import hashlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
TEST_DIR = BUILD / "test"

FATAL_MARKERS = [r"\[PANIC\]", r"KERNEL EXCEPTION"]
# A lockup-watchdog report (a CPU took no timer tick for 20 s) is a failure
# unless the test provokes one on purpose (--expect-watchdog).
WATCHDOG_MARKER = r"^\[WATCHDOG\]"
FAIL_MARKERS = [r"FAILED"]
KTEST_DONE = r"\[KTEST\] \d+ passed, 0 failed"
INIT_DONE = r"\[KERNEL\] init exited with code 0\b"
# How a run ends, whatever its result (to explain a missing --done line).
ANY_END = re.compile(r"\[KERNEL\] init exited with code -?\d+|\[KTEST\] \d+ passed, \d+ failed")
GRACE_SECONDS = 2.0  # after a fatal marker: let the report reach the log
FAIL_GRACE_SECONDS = 60.0  # after a FAILED line: time left to finish
END_GRACE_SECONDS = 30.0  # after the run's last line: time to power off
TAIL_LINES = 60
# Terminal escapes: CSI (with the private `=`/`>`/`?` forms OVMF and GRUB
# send, e.g. ESC[=3h), charset selection, keypad modes.
ANSI = re.compile(r"\x1b\[[0-9;?=>]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("name", help="test name (log: build/test/NAME.log)")
    p.add_argument("--cmdline", default="", help="kernel command line")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--machine", default="pc", choices=["pc", "q35"])
    p.add_argument("--firmware", default="bios", choices=["bios", "uefi"])
    p.add_argument("--qemu-arg", action="append", default=[], metavar="ARG",
                   help="extra QEMU argument (repeat; write --qemu-arg=-icount)")
    p.add_argument("--expect", action="append", default=[], metavar="REGEX",
                   help="a line matching REGEX must appear (repeatable)")
    p.add_argument("--expect-watchdog", action="store_true",
                   help="a [WATCHDOG] report is expected (the LOCKUP test), not a failure")
    p.add_argument("--forbid", action="append", default=[], metavar="REGEX",
                   help="an extra failure marker (repeatable)")
    p.add_argument("--done", metavar="REGEX",
                   help="the power-off line (default: by command line)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds")
    p.add_argument("--expect-panic", action="store_true",
                   help="the run must end in a kernel panic (QEMU exit status 3)")
    p.add_argument("--fail-grace", type=float, default=FAIL_GRACE_SECONDS, metavar="S",
                   help="seconds a run may go on after a FAILED line (default %(default)s)")
    return p.parse_args(argv)


def build_iso(cmdline):
    """Returns an ISO for cmdline, rebuilding it when missing or stale."""
    inputs = [BUILD / "kernel.elf", BUILD / "initrd.cpio", ROOT / "boot" / "grub.cfg"]
    for f in inputs[:2]:
        if not f.is_file():
            raise RuntimeError(f"{f.relative_to(ROOT)} missing: run 'make build' first")
    iso_dir = TEST_DIR / "iso"
    iso_dir.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(cmdline.encode()).hexdigest()[:12]
    iso = iso_dir / f"{key}.iso"
    with open(iso_dir / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel tests may share the ISO
        newest = max(f.stat().st_mtime for f in inputs if f.exists())
        if not iso.exists() or iso.stat().st_mtime < newest:
            tmp = iso.with_suffix(".tmp.iso")
            r = subprocess.run([str(ROOT / "tools" / "mkiso.sh"), str(tmp), cmdline],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"mkiso.sh failed:\n{r.stdout}")
            os.replace(tmp, iso)
    return iso


class Judge:
    """Follows the serial log line by line and keeps the verdict."""

    def __init__(self, expect, forbid, done, fail_grace=FAIL_GRACE_SECONDS):
        self.fail_grace = fail_grace
        self.pending = {rx: re.compile(rx) for rx in expect}
        self.fatal = [re.compile(rx) for rx in FATAL_MARKERS]
        self.failing = [re.compile(rx) for rx in FAIL_MARKERS + forbid]
        self.done_rx = re.compile(done)
        self.done = False
        self.end_line = None
        self.fatal_line = None
        self.fatal_lines = []  # the first few: a panic's banner, message, place
        self.fail_lines = []

    def feed(self, line):
        """Judges one line; returns how many more seconds the run may take
        (None: no new limit)."""
        for rx, c in list(self.pending.items()):
            if c.search(line):
                del self.pending[rx]
        if self.done_rx.search(line):
            self.done = True
        if ANY_END.search(line):
            self.end_line = line.strip()
        if any(c.search(line) for c in self.fatal):
            self.fatal_line = self.fatal_line or line
            if len(self.fatal_lines) < 3:
                self.fatal_lines.append(line.strip())
            return GRACE_SECONDS
        if any(c.search(line) for c in self.failing):
            self.fail_lines.append(line)
            return self.fail_grace
        if self.end_line or self.certain():
            return END_GRACE_SECONDS
        return None

    def certain(self):
        """Everything needed was seen; only QEMU's exit status is left."""
        return self.done and not self.pending

    def reasons(self, rc, timed_out, timeout):
        why = []
        if self.fatal_line:
            why.append("kernel failure: " + " | ".join(self.fatal_lines))
        if timed_out and self.fail_lines:
            why.append(f"unfinished {self.fail_grace:.0f}s after the first failure "
                       f"(or at the {timeout:.0f}s timeout)")
        elif timed_out:
            why.append(f"timeout after {timeout:.0f}s (hang?)")
        if self.fail_lines:
            more = f" (+{len(self.fail_lines) - 1} more)" if len(self.fail_lines) > 1 else ""
            why.append(f"failure marker: {self.fail_lines[0].strip()}{more}")
        if self.pending:
            why.append("never saw: " + ", ".join(repr(rx) for rx in self.pending))
        if not self.done:
            if self.end_line:
                why.append(f"the run ended with {self.end_line!r}, expected {self.done_rx.pattern!r}")
            elif rc == 0:
                why.append("QEMU exited 0 without the power-off line "
                           f"{self.done_rx.pattern!r} (triple fault with -no-reboot?)")
            elif not timed_out and not self.fatal_line:
                why.append(f"power-off line {self.done_rx.pattern!r} never appeared")
        if rc not in (0, None):
            hint = " (kernel panic via isa-debug-exit)" if rc == 3 else ""
            why.append(f"QEMU exit status {rc}{hint}")
        return why


class Interrupted(Exception):
    """SIGTERM/SIGHUP (run_all.sh stopping its tests) or Ctrl-C."""


def on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def pump(stream, log, lines):
    """Reader thread: copies raw output to the log, queues cleaned lines."""
    for raw in iter(stream.readline, b""):
        try:
            log.write(raw)
            log.flush()
        except ValueError:  # the log was closed: the run is over
            break
        text = ANSI.sub("", raw.decode("utf-8", "replace")).replace("\r", "")
        lines.put(text.rstrip("\n"))
    lines.put(None)


def stop(proc):
    """Kills the QEMU we started (its own session: qemu.sh execs QEMU)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return proc.wait()


def default_done(cmdline):
    """The power-off line a command line leads to."""
    return KTEST_DONE if "ktest" in cmdline.split() else INIT_DONE


def run(args):
    forbid = args.forbid + ([] if args.expect_watchdog else [WATCHDOG_MARKER])
    judge = Judge(args.expect, forbid, args.done or default_done(args.cmdline), args.fail_grace)
    iso = build_iso(args.cmdline)
    log_path = TEST_DIR / f"{args.name}.log"
    cmd = [str(ROOT / "tools" / "qemu" / "qemu.sh"), "-iso", str(iso), "-smp", str(args.smp),
           "-machine", args.machine, "-headless"]
    if args.firmware == "uefi":
        cmd.append("-uefi")
    cmd += ["--"] + args.qemu_arg

    start = time.monotonic()
    deadline = start + args.timeout
    with open(log_path, "wb") as log:
        log.write(f"# {' '.join(cmd)}\n# cmdline: {args.cmdline}\n".encode())
        log.flush()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            why, rc, timed_out = follow(args, judge, proc, log, deadline)
        except BaseException as e:
            stop(proc)
            log.write(f"\n# interrupted ({e or type(e).__name__}): QEMU killed\n".encode())
            raise
        log.write(f"\n# QEMU exit status: {rc}; verdict: {'; '.join(why) or 'PASS'}\n".encode())
    seconds = time.monotonic() - start
    return why, seconds, log_path


def follow(args, judge, proc, log, deadline):
    """Judges the serial output of a running QEMU until the verdict is in;
    returns (reasons, QEMU's exit status, timed out)."""
    timed_out = False
    started = last_output = time.monotonic()
    count = 0
    lines = queue.Queue()
    reader = threading.Thread(target=pump, args=(proc.stdout, log, lines), daemon=True)
    reader.start()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = not (judge.fatal_line or judge.end_line or judge.certain())
            break
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            continue
        if line is None:
            break
        count += 1
        last_output = time.monotonic()
        limit = judge.feed(line)
        if limit is not None:
            deadline = min(deadline, time.monotonic() + limit)
    if judge.fatal_line and args.expect_panic and not timed_out:
        rc = wait_exit(proc)  # the panic handler exits QEMU itself
    elif timed_out or judge.fatal_line:
        rc = proc.poll()  # it may have exited by itself (a panic: 3)
        stop(proc)
    elif proc.poll() is None and time.monotonic() >= deadline:
        stop(proc)  # the run ended but QEMU did not power off in time
        rc = None
    else:
        rc = wait_exit(proc)
    reader.join(timeout=5)
    if args.expect_panic:
        why = panic_reasons(judge, rc, timed_out, args.timeout)
    else:
        why = judge.reasons(rc, timed_out, args.timeout)
    if timed_out:
        why.append(timing_note(count, time.monotonic() - started, time.monotonic() - last_output))
    if args.expect_panic:
        return why, rc, timed_out
    if rc is None and not (timed_out or judge.fatal_line):
        why.append("QEMU did not exit after the power-off line (ACPI power-off broken?)")
    return why, rc, timed_out


def timing_note(count, elapsed, silent):
    """After a timeout: was the guest still printing (too slow: a loaded
    host?) or silent (hung)? With the host's load average."""
    if count == 0:
        state = "no serial output at all (hung in firmware or GRUB?)"
    elif silent < 10:
        state = f"{count} lines, the last {silent:.0f}s before the end: still running, too slow?"
    else:
        state = f"{count} lines, then silent for the last {silent:.0f}s of {elapsed:.0f}s: hung?"
    try:
        load = "host load average " + "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "host load unknown"
    return f"{state} ({load}, {os.cpu_count()} CPUs)"


def panic_reasons(judge, rc, timed_out, timeout):
    """The verdict of an --expect-panic run."""
    why = []
    if timed_out:
        why.append(f"timeout after {timeout:.0f}s (hang?)")
    if not judge.fatal_line:
        why.append("no kernel panic")
    if judge.pending:
        why.append("never saw: " + ", ".join(repr(rx) for rx in judge.pending))
    if rc != 3:
        why.append(f"QEMU exit status {rc}, expected 3 (isa-debug-exit from the panic handler)")
    return why


def wait_exit(proc):
    """The output ended or the verdict is in: give QEMU 30 s to exit.
    Returns its exit status, or None if it had to be killed."""
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        stop(proc)
        return None


def tail(path, n):
    text = ANSI.sub("", path.read_bytes().decode("utf-8", "replace")).replace("\r", "")
    return text.splitlines()[-n:]


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
