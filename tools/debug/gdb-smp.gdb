# GDB script for debugging MelloOS in QEMU (`make debug` starts QEMU halted,
# waiting on :1234). Usage, from the repository root:
#     gdb -x tools/debug/gdb-smp.gdb
# Each QEMU vCPU is a GDB thread: `info threads`, `thread N`, `bt`.
set pagination off
set confirm off
set architecture i386:x86-64
file build/kernel.elf
target remote :1234
# The 32-bit entry runs before long mode; break once we are in Rust.
hbreak kernel_main
continue
echo \n[gdb] stopped in kernel_main. Useful: `info threads`, `bt`, `hbreak sched::schedule`\n
