//! The two ways into the kernel, unwrapped: the `syscall` instruction and
//! the legacy `int 0x80` gate. Both take the number in `rax` and arguments
//! in `rdi, rsi, rdx, r10, r8, r9`, and return the result in `rax`
//! (`>= 0` success, `-errno` failure).
//!
//! `syscall` clobbers `rcx` (return address) and `r11` (flags). The ABI
//! preserves every other register for both entries; the `int 0x80` wrapper
//! nevertheless declares `rcx` and `r11` clobbered too, so the two are
//! interchangeable. Tests that check register preservation use their own
//! assembly (see the `utest` program).
//!
//! These are `unsafe`: a call may write to memory its arguments name
//! (`ipc_recv`, `wait`), or end or replace the process (`exit`, `exec`).

use core::arch::asm;

/// Which instruction enters the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The `syscall` instruction (fast path).
    Syscall,
    /// The `int 0x80` software interrupt (legacy path).
    Int80,
}

impl Entry {
    /// Both entries, for tests that run the same checks through each.
    pub const ALL: [Entry; 2] = [Entry::Syscall, Entry::Int80];

    /// A short name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Entry::Syscall => "syscall",
            Entry::Int80 => "int 0x80",
        }
    }
}

/// System call `nr` with six arguments, through the `syscall` instruction.
///
/// # Safety
/// The caller must make the call's effects sound: memory the kernel may
/// write (named by the arguments) must be writable by this program, and
/// nothing may rely on the process surviving `exit`/`exec`.
#[inline(always)]
pub unsafe fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the `syscall` instruction itself only changes rax, rcx and
    // r11 (declared); its effect on memory is the caller's contract.
    unsafe {
        asm!("syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
            in("r10") a[3], in("r8") a[4], in("r9") a[5],
            lateout("rcx") _, lateout("r11") _,
            options(nostack));
    }
    ret
}

/// System call `nr` without arguments, through `syscall` (only `rax` set:
/// the cheapest call, for benchmarks).
///
/// # Safety
/// As for [`syscall6`].
#[inline(always)]
pub unsafe fn syscall0(nr: usize) -> isize {
    let ret: isize;
    // SAFETY: as for `syscall6`.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret,
            lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}

/// System call `nr` with three arguments, through `syscall`.
///
/// # Safety
/// As for [`syscall6`].
#[inline(always)]
pub unsafe fn syscall3(nr: usize, a0: usize, a1: usize, a2: usize) -> isize {
    let ret: isize;
    // SAFETY: as for `syscall6`.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret,
            in("rdi") a0, in("rsi") a1, in("rdx") a2,
            lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}

/// System call `nr` with six arguments, through `int 0x80`.
///
/// # Safety
/// As for [`syscall6`].
#[inline(always)]
pub unsafe fn int80_6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: as for `syscall6`; the interrupt frame goes on the kernel
    // stack (privilege change), never on ours.
    unsafe {
        asm!("int 0x80",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
            in("r10") a[3], in("r8") a[4], in("r9") a[5],
            lateout("rcx") _, lateout("r11") _,
            options(nostack));
    }
    ret
}

/// System call `nr` through `entry`, with up to six arguments (missing ones
/// are zero).
///
/// # Safety
/// As for [`syscall6`].
#[inline]
pub unsafe fn call(entry: Entry, nr: usize, args: &[usize]) -> isize {
    let mut a = [0usize; 6];
    a[..args.len()].copy_from_slice(args);
    // SAFETY: forwarded contract.
    unsafe {
        match entry {
            Entry::Syscall => syscall6(nr, a),
            Entry::Int80 => int80_6(nr, a),
        }
    }
}
