//! Faulting user code: each child does one forbidden thing and must be
//! killed, with `wait` reporting `128 + signal` (DESIGN.md): page faults
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

fn load(addr: usize) {
    // SAFETY: (intentionally not) — faults on a bad address, killing the
    // child that runs it; nothing else observes the result.
    unsafe { asm!("mov {0}, qword ptr [{0}]", inout(reg) addr => _, options(nostack)) };
}

fn store(addr: usize) {
    // SAFETY: as for `load`; the store faults before changing anything.
    unsafe { asm!("mov qword ptr [{0}], 0", in(reg) addr, options(nostack)) };
}

fn call(addr: usize) {
    // SAFETY: as for `load`; the targets hold `ret` or are not executable,
    // and all caller-saved registers are declared clobbered.
    unsafe { asm!("call {0}", in(reg) addr, clobber_abi("C")) };
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
    // SAFETY (all below): privileged or faulting instructions; the child
    // is killed before any effect.
    ("hlt", SIGSEGV, || unsafe { asm!("hlt") }),
    ("cli", SIGSEGV, || unsafe { asm!("cli") }),
    ("in al, dx", SIGSEGV, || unsafe { asm!("in al, dx", out("al") _, in("dx") 0x3F8u16) }),
    ("out dx, al", SIGSEGV, || unsafe { asm!("out dx, al", in("al") 0u8, in("dx") 0xF4u16) }),
    ("mov rax, cr3", SIGSEGV, || unsafe { asm!("mov rax, cr3", out("rax") _) }),
    ("stack overflow into the guard page", SIGSEGV, || unsafe { asm!("2: push rax", "jmp 2b", options(noreturn)) }),
    ("divide by zero", SIGFPE, || unsafe { asm!("div rcx", inout("rax") 1u64 => _, inout("rdx") 0u64 => _, in("rcx") 0u64) }),
    ("i64::MIN / -1", SIGFPE, || unsafe {
        asm!("idiv rcx", inout("rax") i64::MIN => _, inout("rdx") -1i64 => _, in("rcx") -1i64)
    }),
    ("ud2", SIGILL, || unsafe { asm!("ud2") }),
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
