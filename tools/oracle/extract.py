#!/usr/bin/env python3
"""extract.py - cut an oracle test's output out of a serial console log.

Usage: tools/oracle/extract.py LOG OUT

The oracle initramfs's /init (tools/initramfs/init) prints
    @@ORACLE-BEGIN@@\\n  OUTPUT  \\n@@ORACLE-END status=N@@\\n
The console's tty turns every LF into CR LF (ONLCR); this undoes exactly
that (CR LF -> LF) and nothing else, writes OUTPUT to OUT byte for byte, and
prints N.  Kernel log lines outside the frame are ignored.

Exit 0 with the status on stdout, or exit 1 with the reason on stderr: the
kernel panicked or oopsed (Linux's wording), no begin marker (init never
ran), the begin marker twice (the guest rebooted), no end marker (the test
crashed, hung, or its output was lost).  Shared by the Linux oracle
(run_linux.sh) and whatever boots the same archive under MelloOS.
"""
import re
import sys

BEGIN = b"@@ORACLE-BEGIN@@\n"
END = re.compile(rb"\n@@ORACLE-END status=(\d+)@@")
KERNEL_TROUBLE = (b"Kernel panic", b"Oops:", b"BUG:", b"general protection fault")


def extract(raw):
    """Serial log bytes -> (output bytes, status). Raises ValueError."""
    text = raw.replace(b"\r\n", b"\n")
    for bad in KERNEL_TROUBLE:
        if bad in text:
            raise ValueError("the kernel reported '%s'" % bad.decode())
    starts = [m.start() for m in re.finditer(re.escape(BEGIN), text)
              if m.start() == 0 or text[m.start() - 1:m.start()] == b"\n"]
    if not starts:
        raise ValueError("no begin marker: /init never ran (or printed nothing)")
    if len(starts) > 1:
        raise ValueError("the begin marker appeared %d times (the guest rebooted?)" % len(starts))
    body = text[starts[0] + len(BEGIN):]
    m = END.search(body)
    if m is None:
        raise ValueError("no end marker: the test did not finish (crash, hang, or output lost)")
    return body[:m.start()], int(m.group(1))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], "rb") as f:
        raw = f.read()
    try:
        out, status = extract(raw)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 1
    with open(argv[2], "wb") as f:
        f.write(out)
    print(status)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
