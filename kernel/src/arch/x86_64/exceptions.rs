//! CPU exceptions (vectors 0–31).
//!
//! * From ring 3: a page fault may be a copy-on-write or other resolvable
//!   fault (`mm::fault`); anything else is handed, as a decoded
//!   [`UserFault`] naming its signal (SIGSEGV, SIGILL or SIGFPE, Linux's
//!   numbers), to the hook the user layer registered
//!   ([`set_user_fault_hook`]): it kills or signals only the faulting
//!   process. The kernel keeps running.
//! * From ring 0: a fault inside the user-copy routine on a user address is
//!   first offered to `mm::fault` (copy-on-write), then turned into
//!   `-EFAULT` by the exception fixup. Anything else is a kernel bug: a full
//!   register dump (CR2 and the decoded error code for page faults) and a
//!   panic.

use super::trap::TrapFrame;
use super::{cpu, usercopy};
use crate::mm::fault::PageFault;
use core::sync::atomic::{AtomicUsize, Ordering};
use mello_abi::signal::{SIGFPE, SIGILL, SIGSEGV};

const NAMES: [&str; 32] = [
    "Divide Error", "Debug", "NMI", "Breakpoint", "Overflow", "BOUND Range Exceeded",
    "Invalid Opcode", "Device Not Available", "Double Fault", "Coprocessor Segment Overrun",
    "Invalid TSS", "Segment Not Present", "Stack-Segment Fault", "General Protection",
    "Page Fault", "Reserved", "x87 Floating-Point", "Alignment Check", "Machine Check",
    "SIMD Floating-Point", "Virtualization", "Control Protection", "Reserved", "Reserved",
    "Reserved", "Reserved", "Reserved", "Reserved", "Hypervisor Injection",
    "VMM Communication", "Security", "Reserved",
];

pub const PAGE_FAULT: u64 = 14;
const NMI: u64 = 2;

/// Page-fault error code bits.
pub mod pf {
    pub const PRESENT: u64 = 1 << 0;
    pub const WRITE: u64 = 1 << 1;
    pub const USER: u64 = 1 << 2;
    pub const RESERVED: u64 = 1 << 3;
    pub const INSTRUCTION: u64 = 1 << 4;
}

/// The signal that kills a user process for exception `vector`.
fn signal_for(vector: u64) -> i32 {
    match vector {
        0 | 16 | 19 => SIGFPE,
        6 => SIGILL,
        _ => SIGSEGV,
    }
}

/// An exception raised by user code that the kernel could not resolve.
#[derive(Clone, Copy, Debug)]
pub struct UserFault {
    /// The exception's name ("Page Fault").
    pub name: &'static str,
    /// The signal Linux sends for it.
    pub signal: i32,
    pub rip: u64,
    /// CR2 for a page fault, else 0.
    pub addr: u64,
    pub error: u64,
}

/// What the user layer does with an unresolved user exception: kill or
/// signal the current process. It may return (to resume the task at a
/// changed frame) or not return at all.
pub type UserFaultHook = fn(&mut TrapFrame, &UserFault);

static USER_FAULT_HOOK: AtomicUsize = AtomicUsize::new(0);

/// Register the user layer's fault hook (once, at boot).
pub fn set_user_fault_hook(hook: UserFaultHook) {
    USER_FAULT_HOOK.store(hook as usize, Ordering::Release);
}

pub fn handle(frame: &mut TrapFrame) {
    if frame.vector == NMI {
        crate::panic::on_nmi(frame);
        return;
    }
    // Read once, first: a fault while handling this one would overwrite it.
    let addr = if frame.vector == PAGE_FAULT { cpu::read_cr2() } else { 0 };
    if frame.vector == PAGE_FAULT {
        if crate::mm::fault::handle_page_fault(&PageFault::decode(addr, frame.error)) {
            return;
        }
        if !frame.is_user_mode() && usercopy::fixup(frame) {
            return;
        }
    }
    let hook = USER_FAULT_HOOK.load(Ordering::Acquire);
    if frame.is_user_mode() && hook != 0 {
        let fault = UserFault {
            name: NAMES[frame.vector as usize & 31],
            signal: signal_for(frame.vector),
            rip: frame.rip,
            addr,
            error: frame.error,
        };
        // SAFETY: only `set_user_fault_hook` stores a non-zero value here,
        // and it stores a `UserFaultHook`.
        let hook: UserFaultHook = unsafe { core::mem::transmute::<usize, UserFaultHook>(hook) };
        hook(frame, &fault);
        return;
    }
    kernel_fault(frame, addr);
}

/// An exception in kernel mode: report it (`addr` is CR2 for a page fault)
/// and panic.
fn kernel_fault(frame: &TrapFrame, addr: u64) -> ! {
    let name = NAMES[frame.vector as usize & 31];
    crate::serial_println!("[FAULT] KERNEL EXCEPTION: {} (vector {}) on CPU {}", name,
        frame.vector, super::percpu::cpu_id());
    if frame.vector == PAGE_FAULT {
        let e = frame.error;
        crate::serial_println!(
            "[FAULT] CR2={:#018x} error={:#x} ({}, {}, {}{}{})",
            addr,
            e,
            if e & pf::PRESENT != 0 { "protection violation" } else { "page not present" },
            if e & pf::WRITE != 0 { "write" } else { "read" },
            if e & pf::USER != 0 { "user mode" } else { "kernel mode" },
            if e & pf::INSTRUCTION != 0 { ", instruction fetch" } else { "" },
            if e & pf::RESERVED != 0 { ", reserved bit set" } else { "" },
        );
    } else {
        crate::serial_println!("[FAULT] error code={:#x}", frame.error);
    }
    dump(frame);
    crate::panic::backtrace_from(frame.rbp);
    panic!("{} in kernel at {:#x}", name, frame.rip);
}

/// Print all registers of a frame.
pub fn dump(f: &TrapFrame) {
    crate::serial_println!("[FAULT] RIP={:#018x} CS={:#06x} RFLAGS={:#010x}", f.rip, f.cs, f.rflags);
    if !f.is_user_mode() {
        crate::serial_println!("[FAULT] at {}", crate::symbols::Addr(f.rip));
    }
    crate::serial_println!("[FAULT] RSP={:#018x} SS={:#06x}", f.rsp, f.ss);
    crate::serial_println!("[FAULT] RAX={:#018x} RBX={:#018x} RCX={:#018x}", f.rax, f.rbx, f.rcx);
    crate::serial_println!("[FAULT] RDX={:#018x} RSI={:#018x} RDI={:#018x}", f.rdx, f.rsi, f.rdi);
    crate::serial_println!("[FAULT] RBP={:#018x} R8 ={:#018x} R9 ={:#018x}", f.rbp, f.r8, f.r9);
    crate::serial_println!("[FAULT] R10={:#018x} R11={:#018x} R12={:#018x}", f.r10, f.r11, f.r12);
    crate::serial_println!("[FAULT] R13={:#018x} R14={:#018x} R15={:#018x}", f.r13, f.r14, f.r15);
    crate::serial_println!("[FAULT] CR3={:#018x}", cpu::read_cr3());
}
