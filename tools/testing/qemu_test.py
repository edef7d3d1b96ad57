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
import fcntl
import codecs
import hashlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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
KEY_GAP_SECONDS = 0.15  # between two --sendkey keys (QEMU holds each 100 ms)
QMP_CONNECT_SECONDS = 20.0
KEY_NAME = re.compile(r"^[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*$")
# Terminal escapes: CSI (with the private `=`/`>`/`?` forms OVMF and GRUB
# send, e.g. ESC[=3h), charset selection, keypad modes.
ANSI = re.compile(r"\x1b\[[0-9;?=>]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]")


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


class Step:
    """Input to send when a line matches `trigger` (None: at once)."""

    def __init__(self, trigger):
        self.trigger = trigger
        self.rx = re.compile(trigger) if trigger is not None else None
        self.actions = []  # ("type", bytes) or ("sendkey", [key, ...])

    def describe(self):
        return f"after {self.trigger!r}" if self.trigger is not None else "at start"


def decode_text(text):
    """--type TEXT as bytes: backslash escapes decoded, other characters as UTF-8."""
    out = bytearray()
    for i, part in enumerate(re.split(r"(\\(?:x[0-9A-Fa-f]{2}|[\\abefnrtv0]))", text)):
        if i % 2:  # an escape the pattern captured
            out += b"\x1b" if part == "\\e" else codecs.decode(part, "unicode_escape").encode("latin-1")
        elif "\\" in part:
            raise ValueError(f"--type {text!r}: unknown escape in {part!r} (use \\r \\n \\t \\e \\xHH \\\\)")
        else:
            out += part.encode()
    return bytes(out)


def parse_keys(keys):
    """--sendkey KEYS as a list of QEMU key names."""
    names = keys.split()
    if not names:
        raise ValueError("--sendkey needs at least one key")
    for k in names:
        if not KEY_NAME.match(k):
            raise ValueError(f"--sendkey {keys!r}: {k!r} is not a QEMU key name (e.g. h, ret, shift-a, ctrl-c)")
    return names


def plan_inputs(items):
    """The input steps of the (option, value) list, in order."""
    steps = []
    for opt, value in items:
        if opt == "after":
            re.compile(value)
            if steps and not steps[-1].actions and steps[-1].trigger is not None:
                raise ValueError(f"--after {steps[-1].trigger!r} is followed by no --type or --sendkey")
            steps.append(Step(value))
            continue
        if not steps:
            steps.append(Step(None))
        if opt == "type":
            steps[-1].actions.append(("type", decode_text(value)))
        else:
            steps[-1].actions.append(("sendkey", parse_keys(value)))
    if steps and not steps[-1].actions:
        raise ValueError(f"--after {steps[-1].trigger!r} is followed by no --type or --sendkey")
    return steps


class Feeder:
    """Walks the input steps along the serial lines: `due(line)` gives the
    actions to carry out now (each step after the previous one fired)."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.next = 0

    def due(self, line=None):
        actions = []
        while self.next < len(self.steps):
            step = self.steps[self.next]
            if step.rx is not None:
                if line is None or not step.rx.search(line):
                    break
                line = None  # one line fires one step
            actions += step.actions
            self.next += 1
        return actions

    def pending(self):
        return [s.describe() for s in self.steps[self.next:]]


class Qmp:
    """A QMP connection to QEMU, for `sendkey` through the human monitor."""

    def __init__(self, path, deadline):
        self.sock = None
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(str(path))
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"QMP socket {path} did not accept a connection")
                time.sleep(0.1)
        self.sock.settimeout(10)
        self.buf = b""
        self.reply()  # the greeting
        self.call("qmp_capabilities")

    def reply(self):
        """The next message that is not an asynchronous event."""
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise RuntimeError("QMP connection closed")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def call(self, cmd, **arguments):
        req = {"execute": cmd}
        if arguments:
            req["arguments"] = arguments
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        msg = self.reply()
        if "error" in msg:
            raise RuntimeError(f"QMP {cmd}: {msg['error'].get('desc', msg['error'])}")
        return msg.get("return")

    def sendkey(self, key):
        out = self.call("human-monitor-command", **{"command-line": f"sendkey {key}"})
        if out and out.strip():
            raise RuntimeError(f"sendkey {key}: {out.strip()}")

    def close(self):
        if self.sock:
            self.sock.close()


class Inputs:
    """Carries out the input actions on a running QEMU and keeps a record."""

    def __init__(self, proc, qmp_path):
        self.proc = proc
        self.qmp_path = qmp_path
        self.qmp = None
        self.sent = []
        self.error = None

    def run(self, actions, why):
        for kind, payload in actions:
            if self.error:
                return
            try:
                if kind == "type":
                    self.proc.stdin.write(payload)
                    self.proc.stdin.flush()
                    self.sent.append(f"{why}: typed {payload!r}")
                else:
                    if self.qmp is None:
                        self.qmp = Qmp(self.qmp_path, time.monotonic() + QMP_CONNECT_SECONDS)
                    for key in payload:
                        self.qmp.sendkey(key)
                        time.sleep(KEY_GAP_SECONDS)
                    self.sent.append(f"{why}: keys {' '.join(payload)}")
            except (OSError, RuntimeError, ValueError) as e:
                self.error = f"input {why} failed: {e}"

    def close(self):
        if self.qmp:
            self.qmp.close()
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass


def build_iso(cmdline, initrd=None):
    """Returns an ISO for cmdline (and initrd, default build/initrd.cpio),
    rebuilding it when missing or stale."""
    initrd = Path(initrd or BUILD / "initrd.cpio").resolve()
    inputs = [BUILD / "kernel.elf", initrd, ROOT / "boot" / "grub.cfg"]
    for f in inputs[:2]:
        if not f.is_file():
            raise RuntimeError(f"{f} missing: run 'make build' first")
    iso_dir = TEST_DIR / "iso"
    iso_dir.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(f"{cmdline}\0{initrd}".encode()).hexdigest()[:12]
    iso = iso_dir / f"{key}.iso"
    with open(iso_dir / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel tests may share the ISO
        newest = max(f.stat().st_mtime for f in inputs if f.exists())
        if not iso.exists() or iso.stat().st_mtime < newest:
            tmp = iso.with_suffix(".tmp.iso")
            r = subprocess.run([str(ROOT / "tools" / "mkiso.sh"), str(tmp), cmdline], env={**os.environ, "INITRD": str(initrd)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"mkiso.sh failed:\n{r.stdout}")
            os.replace(tmp, iso)
    return iso


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
        lines.put(clean(raw))
    lines.put(None)


def clean(raw):
    """(line, raw line) of one line of serial output: terminal escapes
    removed from both, carriage returns too from the first."""
    kept = ANSI.sub("", raw.decode("utf-8", "replace")).rstrip("\n")
    return kept.replace("\r", ""), kept


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
    ktest = any(w == "ktest" or w.startswith("ktest=") for w in cmdline.split())
    return KTEST_DONE if ktest else INIT_DONE


def run(args):
    forbid = args.forbid + ([] if args.expect_watchdog else [WATCHDOG_MARKER])
    judge = Judge(args.expect, forbid, args.done or default_done(args.cmdline), args.fail_grace,
                  args.expect_raw)
    iso = build_iso(args.cmdline, args.initrd)
    log_path = TEST_DIR / f"{args.name}.log"
    cmd = [str(ROOT / "tools" / "qemu" / "qemu.sh"), "-iso", str(iso), "-smp", str(args.smp),
           "-machine", args.machine, "-headless"]
    if args.firmware == "uefi":
        cmd.append("-uefi")
    actions = [a for step in args.steps for a in step.actions]
    typing = any(kind == "type" for kind, _ in actions)
    qmp_dir = tempfile.mkdtemp(prefix="mellos-qmp-") if any(k == "sendkey" for k, _ in actions) else None
    qmp_path = Path(qmp_dir) / "qmp.sock" if qmp_dir else None
    extra = ["-qmp", f"unix:{qmp_path},server=on,wait=off"] if qmp_path else []
    cmd += ["--"] + extra + args.qemu_arg

    start = time.monotonic()
    deadline = start + args.timeout
    try:
        with open(log_path, "wb") as log:
            log.write(f"# {' '.join(cmd)}\n# cmdline: {args.cmdline}\n".encode())
            log.flush()
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if typing else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            inputs = Inputs(proc, qmp_path)
            try:
                why, rc, timed_out = follow(args, judge, proc, log, deadline, inputs)
            except BaseException as e:
                stop(proc)
                log.write(f"\n# interrupted ({e or type(e).__name__}): QEMU killed\n".encode())
                raise
            finally:
                inputs.close()
            for sent in inputs.sent:
                log.write(f"\n# input {sent}".encode())
            log.write(f"\n# QEMU exit status: {rc}; verdict: {'; '.join(why) or 'PASS'}\n".encode())
    finally:
        if qmp_dir:
            shutil.rmtree(qmp_dir, ignore_errors=True)
    seconds = time.monotonic() - start
    return why, seconds, log_path


def follow(args, judge, proc, log, deadline, inputs):
    """Judges the serial output of a running QEMU until the verdict is in,
    sending the input steps as their lines appear; returns (reasons,
    QEMU's exit status, timed out)."""
    timed_out = False
    started = last_output = time.monotonic()
    count = 0
    lines = queue.Queue()
    reader = threading.Thread(target=pump, args=(proc.stdout, log, lines), daemon=True)
    reader.start()
    feeder = Feeder(args.steps)
    inputs.run(feeder.due(), "at start")
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
        text, raw = line
        limit = judge.feed(text, raw)
        if limit is not None:
            deadline = min(deadline, time.monotonic() + limit)
        step = feeder.next
        actions = feeder.due(text)
        if actions:
            inputs.run(actions, feeder.steps[step].describe())
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
    if inputs.error:
        why.append(inputs.error)
    if feeder.pending():
        why.append("input never sent: " + ", ".join(feeder.pending()))
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
