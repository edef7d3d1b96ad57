"""The verdict of a run: what its serial lines must and must not show.

The markers (fatal: `[PANIC]`, `KERNEL EXCEPTION`; failing: `FAILED`,
`[WATCHDOG]`, --forbid), the power-off line a command line leads to, the
Judge that follows the serial log line by line and gives the reasons a
run failed (none: PASS), the same for an --expect-panic run, and the
cleaning of serial lines (terminal escapes removed) for the Judge and the
log tail printed on failure. Part of tools/testing/qemu_test.py.
"""

import re

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
# Terminal escapes: CSI (with the private `=`/`>`/`?` forms OVMF and GRUB
# send, e.g. ESC[=3h), charset selection, keypad modes.
ANSI = re.compile(r"\x1b\[[0-9;?=>]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]")


class Judge:
    """Follows the serial log line by line and keeps the verdict."""

    def __init__(self, expect, forbid, done, fail_grace=FAIL_GRACE_SECONDS, expect_raw=()):
        self.fail_grace = fail_grace
        self.pending = {rx: re.compile(rx) for rx in expect}
        self.pending_raw = {rx: re.compile(rx) for rx in expect_raw}
        self.fatal = [re.compile(rx) for rx in FATAL_MARKERS]
        self.failing = [re.compile(rx) for rx in FAIL_MARKERS + forbid]
        self.done_rx = re.compile(done)
        self.done = False
        self.end_line = None
        self.fatal_line = None
        self.fatal_lines = []  # the first few: a panic's banner, message, place
        self.fail_lines = []

    def feed(self, line, raw=None):
        """Judges one line (`raw`: the same with its control bytes, for
        --expect-raw; by default `line`); returns how many more seconds the
        run may take (None: no new limit)."""
        for rx, c in list(self.pending.items()):
            if c.search(line):
                del self.pending[rx]
        for rx, c in list(self.pending_raw.items()):
            if c.search(line if raw is None else raw):
                del self.pending_raw[rx]
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
        return self.done and not self.pending and not self.pending_raw

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
        if self.pending_raw:
            why.append("never saw (raw): " + ", ".join(repr(rx) for rx in self.pending_raw))
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


def default_done(cmdline):
    """The power-off line a command line leads to."""
    ktest = any(w == "ktest" or w.startswith("ktest=") for w in cmdline.split())
    return KTEST_DONE if ktest else INIT_DONE


def clean(raw):
    """(line, raw line) of one line of serial output: terminal escapes
    removed from both, carriage returns too from the first."""
    kept = ANSI.sub("", raw.decode("utf-8", "replace")).rstrip("\n")
    return kept.replace("\r", ""), kept


def tail(path, n):
    text = ANSI.sub("", path.read_bytes().decode("utf-8", "replace")).replace("\r", "")
    return text.splitlines()[-n:]
