# GDB script for debugging MelloOS in QEMU. `make debug` (SMP=N for N CPUs)
# starts QEMU halted, waiting on :1234. Then, from the repository root, in
# another shell:
#     gdb -x tools/debug/gdb-smp.gdb
# It loads the kernel's symbols (build/kernel.elf), connects and stops at
# kernel_main. Each QEMU vCPU is a GDB thread: `info threads`, `thread N`,
# `bt`.
#
# Kernel symbols are Rust paths with the crate name: `kernel::sched::schedule`
# (not `sched::schedule`), `kernel::sched::wait::...`; `info functions REGEX`
# finds them. Use hardware breakpoints (`hbreak`): QEMU's gdbstub handles
# them on every vCPU whatever the page tables.
#
# A user program's symbols: user programs are static ELF executables linked
# at 0x400000 (userspace/libmello/mello.ld), built without debug info but
# with their symbol table, so once the kernel has stopped:
#     add-symbol-file userspace/target/x86_64-unknown-none/release/NAME
#     hbreak __mello_main          # the program's `entry!` main
# Every process has its code at 0x400000, so a breakpoint there fires in
# whichever process runs that address: boot with CMDLINE='init=/bin/NAME'.
# `make debug PROG=NAME` writes build/debug-NAME.gdb, which does exactly
# this after this script: `gdb -x build/debug-NAME.gdb`.
set pagination off
set confirm off
# Before the kernel's stack is set up, and in the trampolines, an unbounded
# `bt` walks garbage for thousands of frames.
set backtrace limit 32
set architecture i386:x86-64
file build/kernel.elf
target remote :1234
# The 32-bit entry runs before long mode; break once we are in Rust.
hbreak kernel_main
continue
echo \n[gdb] stopped in kernel_main. Useful: `info threads`, `bt`, `hbreak kernel::sched::schedule`,\n
echo [gdb]   `add-symbol-file userspace/target/x86_64-unknown-none/release/NAME` (a user program, at 0x400000)\n
