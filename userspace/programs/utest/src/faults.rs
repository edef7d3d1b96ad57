//! Faulting user code: each child does one forbidden thing and must be
//! killed, with `wait` reporting `128 + signal` (the README ABI): page faults
//! and general-protection faults → SIGSEGV (139), invalid opcode → SIGILL
//! (132), divide error → SIGFPE (136). The faulting instructions are
//! inline assembly, so the compiler cannot turn them into anything else.

use crate::harness::{child_status, TestResult, KERNEL_ADDR, NON_CANONICAL};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::arch::asm;
use core::sync::atomic::AtomicU8;
use mello::signal::{killed_status, SIGFPE, SIGILL, SIGSEGV};

/// Read-only data (in `.rodata`).
static READ_ONLY: u64 = 0x1234_5678;
/// A `ret` instruction in writable data (in `.data`).
static RET_IN_DATA: AtomicU8 = AtomicU8::new(0xC3);

/// Reads 8 bytes at `addr`.
fn load(addr: usize) {
    // SAFETY: a read changes no memory; at a bad address it faults and the
    // kernel kills this (child) process.
    unsafe { asm!("mov {0}, qword ptr [{0}]", inout(reg) addr => _, options(nostack)) };
}

/// Writes 8 zero bytes at `addr`, which must not be writable.
fn store(addr: usize) {
    // SAFETY: every target is read-only or not ours, so the store faults
    // before changing anything and this (child) process is killed; if the
    // kernel wrongly allows it, only this child's copy is damaged.
    unsafe { asm!("mov qword ptr [{0}], 0", in(reg) addr, options(nostack)) };
}

/// Calls `addr`, which holds a `ret` (0xC3) or is not ours.
fn call(addr: usize) {
    // SAFETY: the fetch faults (NX or kernel page) and this child is
    // killed; if the kernel wrongly executes it, `ret` comes straight back
    // and the caller-saved registers it could touch are declared clobbered.
    unsafe { asm!("call {0}", in(reg) addr, clobber_abi("C")) };
}

/// A `fn()` running one instruction that must fault in user mode.
macro_rules! faulting {
    ($($asm:tt)*) => {
        || {
            // SAFETY: the instruction faults in ring 3 (privileged, I/O,
            // #DE or #UD, or an endless push into the guard page) and the
            // kernel kills this child before it has any effect.
            unsafe { asm!($($asm)*) }
        }
    };
}

/// Each case: what it does, the expected signal, and the action.
const CASES: &[(&str, i32, fn())] = &[
    ("read kernel memory", SIGSEGV, || load(KERNEL_ADDR)),
    ("write kernel memory", SIGSEGV, || store(KERNEL_ADDR)),
    ("read address 0", SIGSEGV, || load(0)),
    ("read non-canonical address", SIGSEGV, || load(NON_CANONICAL)),
    ("write own .rodata", SIGSEGV, || store(&READ_ONLY as *const u64 as usize)),
    ("write own .text", SIGSEGV, || store(load as fn(usize) as usize)),
    ("execute from the stack (NX)", SIGSEGV, || {
        let code = [0xC3u8; 16];
        call(code.as_ptr() as usize);
        core::hint::black_box(&code);
    }),
    ("execute from .data (NX)", SIGSEGV, || call(RET_IN_DATA.as_ptr() as usize)),
    ("execute from the heap (NX)", SIGSEGV, || call(Box::leak(Box::new([0xC3u8; 16])).as_ptr() as usize)),
    ("jump into the kernel", SIGSEGV, || call(KERNEL_ADDR)),
    ("hlt", SIGSEGV, faulting!("hlt")),
    ("cli", SIGSEGV, faulting!("cli")),
    ("in al, dx", SIGSEGV, faulting!("in al, dx", out("al") _, in("dx") 0x3F8u16)),
    ("out dx, al", SIGSEGV, faulting!("out dx, al", in("al") 0u8, in("dx") 0xF4u16)),
    ("mov rax, cr3", SIGSEGV, faulting!("mov rax, cr3", out("rax") _)),
    ("stack overflow into the guard page", SIGSEGV, faulting!("2: push rax", "jmp 2b", options(noreturn))),
    ("divide by zero", SIGFPE, faulting!("div rcx", inout("rax") 1u64 => _, inout("rdx") 0u64 => _, in("rcx") 0u64)),
    ("i64::MIN / -1", SIGFPE, faulting!("idiv rcx", inout("rax") i64::MIN => _, inout("rdx") -1i64 => _, in("rcx") -1i64)),
    ("ud2", SIGILL, faulting!("ud2")),
];

/// Every case in its own child; all mismatches are reported together.
pub fn fault_kills() -> TestResult {
    let mut wrong: Vec<String> = Vec::new();
    for &(name, signal, action) in CASES {
        let want = killed_status(signal);
        match child_status(|| {
            action();
            0
        }) {
            Ok(got) if got == want => {}
            Ok(0) => wrong.push(format!("{}: child survived (status 0), expected {}", name, want)),
            Ok(got) => wrong.push(format!("{}: status {}, expected {}", name, got, want)),
            Err(e) => wrong.push(format!("{}: {}", name, e)),
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("{} of {} cases wrong: {}", wrong.len(), CASES.len(), wrong.join("; ")))
    }
}
