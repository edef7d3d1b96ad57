"""QEMU for one run: the ISO, the command line, the run followed.

build_iso makes (or reuses, cached in build/test/iso/ by command line and
initrd) an ISO with the kernel command line through tools/mkiso.sh;
command gives the tools/qemu/qemu.sh command line that boots it headless
(serial on stdout; a QMP socket for --sendkey; the --qemu-arg extras).
run starts QEMU with the log build/test/NAME.log (a `# ` header with the
command line, the serial output byte for byte, a `# ` trailer with the
input sent, QEMU's exit status and the verdict); follow judges the serial
lines as they arrive (judge.py), sends the input steps as their lines
appear (inputs.py), shortens the deadline after a fatal marker, a failure
or the run's last line, and stops QEMU (stop, wait_exit) when the verdict
is in. Part of tools/testing/qemu_test.py.
"""

import fcntl
import hashlib
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .inputs import Feeder, Inputs
from .judge import WATCHDOG_MARKER, Judge, clean, default_done, panic_reasons

ROOT = Path(__file__).resolve().parents[3]
BUILD = ROOT / "build"
TEST_DIR = BUILD / "test"



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


def command(args, iso, qmp_path):
    """The qemu.sh command line of a run: ISO iso, the --smp, --machine,
    --firmware and --qemu-arg options of args, QMP on qmp_path (if any)."""
    cmd = [str(ROOT / "tools" / "qemu" / "qemu.sh"), "-iso", str(iso), "-smp", str(args.smp),
           "-machine", args.machine, "-headless"]
    if args.firmware == "uefi":
        cmd.append("-uefi")
    extra = ["-qmp", f"unix:{qmp_path},server=on,wait=off"] if qmp_path else []
    return cmd + ["--"] + extra + args.qemu_arg


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


def run(args):
    """Runs the configuration args in QEMU; returns (reasons it failed,
    seconds, path of its serial log)."""
    forbid = args.forbid + ([] if args.expect_watchdog else [WATCHDOG_MARKER])
    judge = Judge(args.expect, forbid, args.done or default_done(args.cmdline), args.fail_grace,
                  args.expect_raw)
    iso = build_iso(args.cmdline, args.initrd)
    log_path = TEST_DIR / f"{args.name}.log"
    actions = [a for step in args.steps for a in step.actions]
    typing = any(kind == "type" for kind, _ in actions)
    qmp_dir = tempfile.mkdtemp(prefix="mellos-qmp-") if any(k == "sendkey" for k, _ in actions) else None
    qmp_path = Path(qmp_dir) / "qmp.sock" if qmp_dir else None
    cmd = command(args, iso, qmp_path)

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


def stop(proc):
    """Kills the QEMU we started (its own session: qemu.sh execs QEMU)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return proc.wait()


def wait_exit(proc):
    """The output ended or the verdict is in: give QEMU 30 s to exit.
    Returns its exit status, or None if it had to be killed."""
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        stop(proc)
        return None
