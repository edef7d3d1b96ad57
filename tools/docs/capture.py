#!/usr/bin/env python3
"""capture.py - the README's boot transcript and docs/screenshot.png, from a real boot.

    tools/docs/capture.py            boot as `make run SMP=2` does, then rewrite
                                     the README's transcript and docs/screenshot.png
    tools/docs/capture.py --check    boot the same way and fail unless the README's
                                     transcript has the boot's lines (numbers and
                                     hex values may differ; init's in any order)

Needs `make build` first. When init's shell starts (the motd's last line)
it types `exit`, so the boot ends as the README shows. The boot is headless with QEMU's `-no-shutdown`:
when init exits and the kernel powers off, QEMU stops instead of exiting, so
the screen can still be dumped (QMP `screendump`, a PPM turned into a PNG
here with zlib alone). The transcript is the serial log from
`[KERNEL] MelloOS starting...` to the first `[METRICS]` line, then `...`;
in the README it sits between the two `transcript` marker comments.
"""
import argparse
import difflib
import re
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "testing"))
import qemu_test  # noqa: E402  (build_iso, Qmp: the harness's own helpers)

README = ROOT / "README.md"
SCREENSHOT = ROOT / "docs" / "screenshot.png"
BEGIN = "<!-- transcript: tools/docs/capture.py writes the block below from a real boot -->"
END = "<!-- end of transcript -->"
SMP = 2
TIMEOUT = 180  # seconds for the whole boot (TCG on a busy host)


def boot():
    """Boots the default image on SMP CPUs; returns (serial lines, PPM bytes)."""
    iso = qemu_test.build_iso("")
    with tempfile.TemporaryDirectory(prefix="mellos-capture-") as tmp:
        qmp_path = Path(tmp) / "qmp.sock"
        ppm = Path(tmp) / "screen.ppm"
        cmd = [str(ROOT / "tools" / "qemu" / "qemu.sh"), "-iso", str(iso), "-smp", str(SMP), "-headless",
               "--", "-no-shutdown", "-qmp", f"unix:{qmp_path},server=on,wait=off"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + TIMEOUT
        qmp = None
        try:
            qmp = qemu_test.Qmp(qmp_path, deadline)
            lines = []
            for raw in proc.stdout:
                lines.append(raw.decode("utf-8", "replace").strip("\r\n"))
                if lines[-1].startswith("[KERNEL] init exited with code"):
                    break
                if lines[-1].endswith("`exit` powers off."):
                    # The motd's last line: the shell is starting; leave it.
                    proc.stdin.write(b"exit\r")
                    proc.stdin.flush()
                if time.monotonic() > deadline:
                    raise RuntimeError("no '[KERNEL] init exited' line in time")
            else:
                raise RuntimeError("QEMU ended before init exited")
            # Powered off: QEMU stops (not exits) under -no-shutdown.
            while qmp.call("query-status").get("status") != "shutdown":
                if time.monotonic() > deadline:
                    raise RuntimeError("the guest did not power off in time")
                time.sleep(0.1)
            qmp.call("screendump", filename=str(ppm))
            qmp.call("quit")
            rest = proc.stdout.read().decode("utf-8", "replace").splitlines()
            lines += [line.strip("\r") for line in rest]
            proc.wait(timeout=30)
            return lines, ppm.read_bytes()
        finally:
            if qmp:
                qmp.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def transcript(lines):
    """The README's excerpt of a serial log."""
    start = next((i for i, l in enumerate(lines) if l == "[KERNEL] MelloOS starting..."), None)
    if start is None:
        raise RuntimeError("no '[KERNEL] MelloOS starting...' line in the serial log")
    out = []
    for line in lines[start:]:
        out.append(line)
        if line.startswith("[METRICS]"):
            return out + ["..."]
    raise RuntimeError("no [METRICS] line after init exited")


def png_from_ppm(ppm):
    """A binary (P6, maxval 255) PPM as PNG bytes (8-bit RGB, no filter)."""
    fields = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", ppm)
    if not fields or fields.group(3) != b"255":
        raise RuntimeError("screendump is not an 8-bit P6 PPM")
    width, height = int(fields.group(1)), int(fields.group(2))
    pixels = ppm[fields.end():]
    row = width * 3
    raw = b"".join(b"\0" + pixels[y * row:(y + 1) * row] for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def readme_block(text):
    """(start, end) character offsets of the transcript's lines in the README."""
    b, e = text.find(BEGIN), text.find(END)
    if b < 0 or e < b:
        raise RuntimeError(f"README.md lacks the transcript markers ({BEGIN!r} ... {END!r})")
    start = text.index("```\n", b) + 4
    end = text.rindex("```\n", start, e)
    return start, end


def shape(lines):
    """What must not drift: the lines with their numbers masked, the
    kernel's boot lines in order; from init's start on, where parent and
    child print on two CPUs in either order, as a sorted list."""
    masked = [re.sub(r"\d+", "N", re.sub(r"0x[0-9A-Fa-f]+", "0xH", line)) for line in lines]
    user = next((i for i, l in enumerate(lines) if l.startswith("[INIT] Loading init process")), len(lines))
    return masked[:user] + sorted(masked[user:])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--check", action="store_true", help="compare the README with a real boot, change nothing")
    args = p.parse_args()
    lines, ppm = boot()
    fresh = transcript(lines)
    text = README.read_text()
    start, end = readme_block(text)
    if args.check:
        have = text[start:end].splitlines()
        if shape(have) == shape(fresh):
            print(f"capture: the README's transcript matches a real boot ({len(fresh)} lines)")
            return 0
        diff = difflib.unified_diff(have, fresh, "README.md", "this boot", lineterm="", n=1)
        print("\n".join(diff))
        print("capture: the README's transcript no longer matches the boot: run tools/docs/capture.py")
        return 1
    README.write_text(text[:start] + "\n".join(fresh) + "\n" + text[end:])
    SCREENSHOT.write_bytes(png_from_ppm(ppm))
    print(f"capture: wrote {len(fresh)} transcript lines to README.md and {SCREENSHOT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        print(f"capture: {e}")
        sys.exit(1)
