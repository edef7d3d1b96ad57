#!/usr/bin/env python3
"""The guest's TSC at a kernel's first instruction: boot_to_kernel.

    tools/bench/entry_tsc.py ENTRY -- QEMU COMMAND...

Starts the QEMU command (the one the benchmark ran, `-icount shift=0`, so
the TSC counts instructions and the boot is deterministic) with `-S -gdb
tcp:127.0.0.1:PORT` appended, and through QEMU's GDB stub:

1. stops it with a hardware breakpoint at ENTRY, the linear address of
   the kernel's first instruction: MelloOS's multiboot2 entry (the ELF
   entry point, 32-bit protected mode, paging off), or Linux's real-mode
   setup entry (QEMU's `-kernel` loads a bzImage's setup at 0x10000 and
   enters it at 0x10200, `cs` = 0x1020, `ip` = 0);
2. checks that it stopped there (real mode: cs * 16 + ip; else ip);
3. writes `rdtsc; jmp .` over that instruction, breaks after the rdtsc and
   reads edx:eax: the ticks since machine reset at the kernel's entry
   (firmware and boot loader only);
4. kills QEMU. The boot being measured is never resumed.

Prints the TSC (a decimal number) on stdout; exits 1 with the reason and
GDB's output when a step fails. `kernel_to_init` = boot_to_init (init's own
rdtsc, from the benchmark run) - this.
"""
import os
import re
import subprocess
import sys
import tempfile

from profile import free_port  # tools/bench/profile.py (this directory comes first on sys.path)

TIMEOUT = int(os.environ.get("BENCH_ENTRY_TIMEOUT", "600"))


def gdb_script(port, entry):
    after = entry + 2
    return "\n".join([
        "set pagination off",
        "set confirm off",
        f"target remote 127.0.0.1:{port}",
        f"hbreak *{entry:#x}",
        "continue",
        'printf "STOP pc=%lu cs=%lu cr0=%lu\\n", $pc, $cs, $cr0',
        "delete",
        # rdtsc (0f 31); jmp . (eb fe)
        f"set *(unsigned char *){entry:#x} = 0x0f",
        f"set *(unsigned char *){entry + 1:#x} = 0x31",
        f"set *(unsigned char *){entry + 2:#x} = 0xeb",
        f"set *(unsigned char *){entry + 3:#x} = 0xfe",
        f"hbreak *{after:#x}",
        "continue",
        'printf "TSC eax=%lu edx=%lu\\n", $eax & 0xffffffff, $edx & 0xffffffff',
        "kill",
        "quit",
    ]) + "\n"


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    entry = int(argv[0], 0)
    port = free_port()
    qemu = subprocess.Popen(argv[2:] + ["-S", "-gdb", f"tcp:127.0.0.1:{port}"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".gdb") as script:
            script.write(gdb_script(port, entry))
            script.flush()
            try:
                gdb = subprocess.run(["gdb", "-nx", "-batch", "-x", script.name],
                                     capture_output=True, text=True, timeout=TIMEOUT)
                log = gdb.stdout + gdb.stderr
            except subprocess.TimeoutExpired as e:
                log = f"gdb timed out after {TIMEOUT} s\n{e.stdout or ''}"
    finally:
        qemu.kill()
        _, qerr = qemu.communicate()
    stop = re.search(r"^STOP pc=(\d+) cs=(\d+) cr0=(\d+)$", log, re.M)
    tsc = re.search(r"^TSC eax=(\d+) edx=(\d+)$", log, re.M)

    def fail(why):
        print(f"entry_tsc: {why}\n--- gdb ---\n{log}--- qemu stderr ---\n"
              f"{qerr.decode(errors='replace')}", file=sys.stderr)
        return 1
    if not stop:
        return fail(f"never stopped at {entry:#x}")
    pc, cs, cr0 = (int(g) for g in stop.groups())
    linear = pc if cr0 & 1 else cs * 16 + pc
    if linear != entry:
        return fail(f"stopped at linear {linear:#x}, not {entry:#x}")
    if not tsc:
        return fail("no TSC reading after the rdtsc")
    eax, edx = (int(g) for g in tsc.groups())
    print(edx << 32 | eax)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
