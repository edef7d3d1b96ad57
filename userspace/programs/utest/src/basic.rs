//! Ring 3 and the system-call entries: privilege level, the basic calls
//! through `syscall` and `int 0x80`, error returns for bad fds and unknown
//! numbers, and register preservation across a call.

use crate::ensure;
use crate::harness::{describe, raw_write, Checks, TestResult};
use alloc::format;
use core::arch::asm;
use mello::abi::nr;
use mello::raw::{self, Entry};
use mello::{cpu, Errno};

/// User code runs with CPL 3 (the low bits of `cs`).
pub fn privilege_level() -> TestResult {
    let cpl = cpu::cpl();
    ensure!(cpl == 3, "CS.RPL/CPL is {}, expected 3", cpl);
    Ok(())
}

fn call(entry: Entry, number: usize, args: &[usize]) -> isize {
    // SAFETY: only used below for calls without memory the kernel writes.
    unsafe { raw::call(entry, number, args) }
}

/// getpid, write, yield, sleep, a bad fd and unknown numbers through
/// `entry`; every check runs and all failures are reported.
pub fn basic_syscalls(entry: Entry) -> TestResult {
    let name = entry.name();
    let mut checks = Checks::default();
    let mut expect = |what: &str, got: isize, want: isize| {
        let ok = got == want;
        checks.add(if ok { Ok(()) } else { Err(format!("{}: {} returned {}, expected {}", name, what, describe(got), want)) });
    };
    expect("getpid()", call(entry, nr::GETPID, &[]), 1);
    let msg = format!("[UTEST]   write through {}\n", name);
    expect("write(1, msg)", raw_write(entry, 1, msg.as_ptr() as usize, msg.len()), msg.len() as isize);
    expect("write(1, msg, 0)", raw_write(entry, 1, msg.as_ptr() as usize, 0), 0);
    expect("yield()", call(entry, nr::YIELD, &[]), 0);
    expect("sleep(1)", call(entry, nr::SLEEP, &[1]), 0);
    expect("write(fd 5)", raw_write(entry, 5, msg.as_ptr() as usize, msg.len()), Errno::EBADF.as_ret());
    for number in [999, nr::COUNT, usize::MAX] {
        expect(&format!("syscall number {}", number as isize), call(entry, number, &[]), Errno::ENOSYS.as_ret());
    }
    checks.finish()
}

/// Registers checked, in the order the assembly stores them.
const NAMES: [&str; 12] = ["rbx", "rbp", "rdi", "rsi", "rdx", "r8", "r9", "r10", "r12", "r13", "r14", "r15"];

/// A distinct sentinel for register `i` (high bits fixed, low bits `i + 1`).
const fn sentinel(i: usize) -> u64 {
    0x5E57_13E1_0000_0000 | ((i as u64 + 1) * 0x0101)
}

/// Loads a sentinel into every general register but rax/rcx/r11/rsp,
/// makes `getpid` through `$insn`, and stores the registers (and the
/// result, last) into `out`. rbx and rbp are saved by hand: Rust reserves
/// them.
macro_rules! regs_across {
    ($insn:literal, $out:expr) => {
        // SAFETY: the block restores rbx, rbp and rsp, declares every other
        // register it changes, and writes only the 13 words of `$out`.
        unsafe {
            asm!(
                "push rbx", "push rbp", "push rdi",
                "mov rbx, {s0}", "mov rbp, {s1}", "mov rdi, {s2}", "mov rsi, {s3}",
                "mov rdx, {s4}", "mov r8, {s5}", "mov r9, {s6}", "mov r10, {s7}",
                "mov r12, {s8}", "mov r13, {s9}", "mov r14, {s10}", "mov r15, {s11}",
                "mov eax, {getpid}",
                $insn,
                "xchg rax, [rsp]",
                "mov [rax], rbx", "mov [rax + 8], rbp", "mov [rax + 16], rdi", "mov [rax + 24], rsi",
                "mov [rax + 32], rdx", "mov [rax + 40], r8", "mov [rax + 48], r9", "mov [rax + 56], r10",
                "mov [rax + 64], r12", "mov [rax + 72], r13", "mov [rax + 80], r14", "mov [rax + 88], r15",
                "pop rcx", "mov [rax + 96], rcx",
                "pop rbp", "pop rbx",
                s0 = const sentinel(0), s1 = const sentinel(1), s2 = const sentinel(2),
                s3 = const sentinel(3), s4 = const sentinel(4), s5 = const sentinel(5),
                s6 = const sentinel(6), s7 = const sentinel(7), s8 = const sentinel(8),
                s9 = const sentinel(9), s10 = const sentinel(10), s11 = const sentinel(11),
                getpid = const nr::GETPID,
                inout("rdi") $out.as_mut_ptr() => _,
                out("rax") _, out("rcx") _, out("rdx") _, out("rsi") _,
                out("r8") _, out("r9") _, out("r10") _, out("r11") _,
                out("r12") _, out("r13") _, out("r14") _, out("r15") _,
            )
        }
    };
}

/// Every register but rax, rcx and r11 survives a system call through
/// `entry`, and rax holds the result.
pub fn registers_preserved(entry: Entry) -> TestResult {
    let mut out = [0u64; 13];
    match entry {
        Entry::Syscall => regs_across!("syscall", out),
        Entry::Int80 => regs_across!("int 0x80", out),
    }
    ensure!(out[12] == 1, "{}: getpid returned {} in rax, expected 1", entry.name(), out[12] as i64);
    for (i, name) in NAMES.iter().enumerate() {
        ensure!(
            out[i] == sentinel(i),
            "{}: {} changed from {:#x} to {:#x}",
            entry.name(),
            name,
            sentinel(i),
            out[i]
        );
    }
    Ok(())
}
