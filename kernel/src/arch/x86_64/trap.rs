//! Interrupt and exception entry: the stubs, the common save/restore path
//! and the saved-register frame.
//!
//! Every entry into the kernel by interrupt, exception or `int 0x80` pushes
//! one uniform [`TrapFrame`] on the kernel stack and calls
//! [`trap_dispatch`]. On the way in from ring 3 (and out to it) the common
//! path executes `swapgs`, so kernel code always sees its per-CPU GS.BASE.
//! NMI, double fault and machine check may arrive at any instruction, even
//! between `swapgs` and `iretq`; their "paranoid" path decides by reading
//! GS.BASE itself instead of trusting the saved CS.
//!
//! `syscall` builds the same frame (see `syscall.rs`), so fork, exec and the
//! scheduler treat all user entries alike. `trap_return` is also where a new
//! user task starts: it pops a prepared frame and `iretq`s to ring 3.

use super::gdt::USER_CS;
use core::arch::global_asm;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Registers saved on every kernel entry, in memory order.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// Vector number (`VECTOR_SYSCALL_INSN` for the `syscall` instruction).
    pub vector: u64,
    /// CPU error code, or 0.
    pub error: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// Pseudo-vector recorded for entries through the `syscall` instruction.
pub const VECTOR_SYSCALL_INSN: u64 = 0x100;

impl TrapFrame {
    /// Whether the CPU was running user code when this frame was saved.
    pub fn is_user_mode(&self) -> bool {
        self.cs & 3 == 3
    }

    /// A frame that enters ring 3 at `rip` with stack `rsp`, interrupts on.
    pub fn new_user(rip: u64, rsp: u64) -> Self {
        TrapFrame {
            rip,
            rsp,
            cs: USER_CS as u64,
            ss: super::gdt::USER_DS as u64,
            rflags: 0x202,
            ..Default::default()
        }
    }
}

macro_rules! save_regs {
    () => {
        "push rax; push rbx; push rcx; push rdx; push rsi; push rdi; push rbp; \
         push r8; push r9; push r10; push r11; push r12; push r13; push r14; push r15"
    };
}
macro_rules! restore_regs {
    () => {
        "pop r15; pop r14; pop r13; pop r12; pop r11; pop r10; pop r9; pop r8; \
         pop rbp; pop rdi; pop rsi; pop rdx; pop rcx; pop rbx; pop rax"
    };
}
pub(crate) use {restore_regs, save_regs};

global_asm!(
    r#"
    .section .text
    .altmacro
    .macro trap_stub n
    .balign 16
    .if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
    .else
        push 0
    .endif
        push \n
    .if (\n == 2) || (\n == 8) || (\n == 18)
        jmp trap_paranoid
    .else
        jmp trap_common
    .endif
    .endm

    .balign 16
    .global trap_stubs
trap_stubs:
    .set i, 0
    .rept 256
    trap_stub %i
    .set i, i + 1
    .endr

trap_common:
    test qword ptr [rsp + 24], 3
    jz 1f
    swapgs
1:  "#,
    save_regs!(),
    r#"
    cld
    mov rdi, rsp
    call {dispatch}
    .global trap_return
trap_return:
    "#,
    restore_regs!(),
    r#"
    add rsp, 16
    test qword ptr [rsp + 8], 3
    jz 2f
    swapgs
2:  iretq

trap_paranoid:
    "#,
    save_regs!(),
    r#"
    cld
    xor ebx, ebx
    mov ecx, 0xC0000101
    rdmsr
    test edx, edx
    js 3f
    swapgs
    mov ebx, 1
3:  mov rdi, rsp
    call {dispatch}
    test ebx, ebx
    jz 4f
    swapgs
4:  "#,
    restore_regs!(),
    r#"
    add rsp, 16
    iretq
    "#,
    dispatch = sym trap_dispatch,
);

extern "C" {
    static trap_stubs: [u8; 256 * 16];
    fn trap_return();
}

/// Address of the entry stub for `vector`.
pub fn stub_address(vector: u8) -> u64 {
    // SAFETY: only the address of the stub table is taken.
    unsafe { trap_stubs.as_ptr() as u64 + vector as u64 * 16 }
}

/// Address that pops a [`TrapFrame`] and returns to where it says.
pub fn trap_return_address() -> u64 {
    trap_return as *const () as u64
}

/// A handler for a device interrupt or IPI vector.
pub type Handler = fn(&mut TrapFrame);

/// A system call's argument registers: a read-only view of the trap
/// frame the call entered with (`rdi, rsi, rdx, r10, r8, r9`).
#[repr(transparent)]
pub struct SyscallArgs(TrapFrame);

impl SyscallArgs {
    /// The arguments of the call that `frame` entered the kernel with.
    #[inline(always)]
    pub fn of(frame: &TrapFrame) -> &SyscallArgs {
        // SAFETY: `SyscallArgs` is `repr(transparent)` over `TrapFrame`.
        unsafe { &*(frame as *const TrapFrame as *const SyscallArgs) }
    }
    /// Argument `i` (0..6), as the raw register value.
    #[inline(always)]
    pub fn get(&self, i: usize) -> u64 {
        let f = &self.0;
        [f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9][i]
    }
}

static HANDLERS: [AtomicUsize; 256] = [const { AtomicUsize::new(0) }; 256];

/// Install `handler` for interrupt `vector` (32..=255).
pub fn register(vector: u8, handler: Handler) {
    assert!(vector >= 32, "vectors 0-31 are exceptions");
    HANDLERS[vector as usize].store(handler as usize, Ordering::Release);
}

/// The single Rust entry point for every trap.
extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    super::cpu::clac();
    match frame.vector {
        0..=31 => super::exceptions::handle(frame),
        v => {
            let h = HANDLERS[v as usize & 0xFF].load(Ordering::Acquire);
            // Device interrupts and IPIs run in interrupt context; `int 0x80`
            // is a system call in the context of its task.
            let _scope = (v != super::idt::VECTOR_SYSCALL as u64).then(crate::sync::lock_ordering::InterruptScope::enter);
            if h == 0 {
                crate::klog!("TRAP", "unexpected interrupt vector {}", v);
            } else {
                // SAFETY: only `register` stores here, and it stores a `Handler`.
                let handler: Handler = unsafe { core::mem::transmute::<usize, Handler>(h) };
                handler(frame);
            }
        }
    }
    crate::sched::on_trap_exit(frame);
}
