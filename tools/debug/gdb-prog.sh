#!/usr/bin/env bash
# gdb-prog.sh NAME - print the GDB script that `make debug PROG=NAME` uses:
# the kernel's (tools/debug/gdb-smp.gdb: symbols, connect, stop at
# kernel_main), then user program NAME's symbols and a hardware breakpoint
# at its `entry!` main (`__mello_main`). Boot with CMDLINE='init=/bin/NAME'
# (or run NAME from the shell) to get there.
set -euo pipefail
name=${1:?usage: gdb-prog.sh NAME}
bin=userspace/target/x86_64-unknown-none/release/$name
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -f "$root/$bin" ]; then
    echo "gdb-prog.sh: no user program '$name' ($bin missing; run make build); programs: $(ls "$root/userspace/programs" | tr '\n' ' ')" >&2
    exit 1
fi
cat <<GDB
# Written by tools/debug/gdb-prog.sh $name: the kernel (tools/debug/gdb-smp.gdb), then $name's symbols.
source tools/debug/gdb-smp.gdb
add-symbol-file $bin
hbreak __mello_main
echo [gdb] $name symbols loaded (linked at 0x400000); hbreak at its __mello_main (entry!). continue to get there.\n
GDB
