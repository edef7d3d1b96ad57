"""Terminal input of a run: the --after/--type/--sendkey steps.

Decodes --type TEXT and --sendkey KEYS, plans them into steps (each fired
by a serial line matching its --after regex, or at once), walks the steps
along the serial lines (Feeder) and carries them out on a running QEMU:
typed bytes through its stdin (COM1), key presses through a QMP socket
(Qmp, Inputs). Part of tools/testing/qemu_test.py.
"""

import codecs
import json
import re
import socket
import time

KEY_GAP_SECONDS = 0.15  # between two --sendkey keys (QEMU holds each 100 ms)
QMP_CONNECT_SECONDS = 20.0
KEY_NAME = re.compile(r"^[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*$")


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
