#!/usr/bin/env bash
# Boot on 2 CPUs halted, waiting for GDB on :1234 (gdb -x tools/debug/gdb-smp.gdb).
exec "$(dirname "$0")/qemu.sh" -preset debug "$@"
