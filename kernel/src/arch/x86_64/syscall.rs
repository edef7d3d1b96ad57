//! The `syscall`/`sysret` fast path.
//!
//! `syscall` arrives with RCX = user RIP, R11 = user RFLAGS, interrupts and
//! the flags in FMASK cleared, and the *user* stack. The entry swaps to the
//! kernel GS, stashes the user RSP in the per-CPU scratch slot, loads the
//! task's kernel stack from the per-CPU area and builds the same
//! [`TrapFrame`] an `int 0x80` would, so the dispatcher, fork and exec see
//! one format. It then runs the handler with interrupts enabled.
//!
//! On the way out it uses `sysretq` only when that is safe and exact: the
//! frame must still say ring 3 and hold a lower-half (hence canonical) RIP
//! (Intel CPUs fault in ring 0 on a non-canonical RCX in `sysret`), and its
//! saved RCX/R11 must equal its RIP/RFLAGS (else `sysret` would lose them:
//! signal delivery and `rt_sigreturn` rewrite the frame); otherwise it
//! leaves through `iretq` like any trap. `rt_sigreturn` keeps RFLAGS to the
//! user-changeable bits and CS/SS to the user selectors (`user::sigframe`).

use super::cpu::{write_msr, MSR_EFER, MSR_FMASK, MSR_LSTAR, MSR_STAR};
use super::gdt::{KERNEL_CS, USER_CS, USER_DS};
use super::percpu::{OFF_KERNEL_RSP, OFF_USER_RSP};
use super::trap::{restore_regs, save_regs, TrapFrame, VECTOR_SYSCALL_INSN};
use core::arch::global_asm;
use core::sync::atomic::{AtomicPtr, Ordering};

global_asm!(
    r#"
    .section .text
    .global syscall_entry
syscall_entry:
    swapgs
    mov gs:[{user_rsp}], rsp
    mov rsp, gs:[{kernel_rsp}]
    push {user_ds}
    push qword ptr gs:[{user_rsp}]
    push r11
    push {user_cs}
    push rcx
    push 0
    push {vector}
    "#,
    save_regs!(),
    r#"
    mov rdi, rsp
    sti
    call {dispatch}
    cli
    /* sysret only to a ring-3 frame whose RIP is in the lower canonical
       half (bits 63..47 clear) and whose saved RCX and R11 are its RIP and
       RFLAGS (sysret loads them from there: a frame the kernel rewrote,
       such as a signal handler's entry or rt_sigreturn's restored
       context, needs every register back); anything else leaves through
       iretq. */
    cmp qword ptr [rsp + 8 * 18], {user_cs}
    jne 1f
    mov rcx, [rsp + 8 * 17]
    cmp rcx, [rsp + 8 * 12]
    jne 1f
    mov r11, [rsp + 8 * 19]
    cmp r11, [rsp + 8 * 4]
    jne 1f
    shr rcx, 47
    jnz 1f
    "#,
    restore_regs!(),
    r#"
    mov rcx, [rsp + 16]
    mov r11, [rsp + 32]
    mov rsp, [rsp + 40]
    swapgs
    sysretq
1:  jmp trap_return
"#,
    user_rsp = const OFF_USER_RSP,
    kernel_rsp = const OFF_KERNEL_RSP,
    user_ds = const USER_DS as u64,
    user_cs = const USER_CS as u64,
    vector = const VECTOR_SYSCALL_INSN,
    dispatch = sym syscall_dispatch,
);

extern "C" {
    fn syscall_entry();
}

/// The system-call layer's entry, registered at boot ([`set_dispatcher`]);
/// until then every call fails with ENOSYS.
static DISPATCHER: AtomicPtr<()> = AtomicPtr::new(enosys as *mut ());

fn enosys(frame: &mut TrapFrame) {
    frame.rax = mello_abi::Errno::ENOSYS.as_ret() as u64;
}

/// Route every system call (`syscall`, and `int 0x80` through the trap
/// table) to `dispatch`, which runs it and stores the result in `rax`.
pub fn set_dispatcher(dispatch: super::trap::Handler) {
    DISPATCHER.store(dispatch as *mut (), Ordering::Release);
}

/// Run the registered dispatcher on `frame` (both entry paths come here).
#[inline(always)]
pub fn dispatch(frame: &mut TrapFrame) {
    let d = DISPATCHER.load(Ordering::Acquire);
    // SAFETY: DISPATCHER only ever holds a `Handler` (`enosys`, or what
    // `set_dispatcher` stored).
    let d: super::trap::Handler = unsafe { core::mem::transmute::<*mut (), super::trap::Handler>(d) };
    d(frame);
}

extern "C" fn syscall_dispatch(frame: &mut TrapFrame) {
    dispatch(frame);
    crate::sched::on_trap_exit(frame);
}

/// Program STAR/LSTAR/FMASK and enable `syscall` on this CPU.
pub fn init_this_cpu() {
    // sysret loads CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8.
    let user_base = (USER_DS as u64 & !3) - 8;
    // SAFETY: LSTAR points at `syscall_entry`, which saves the user context
    // and switches to the kernel stack; the selectors match the GDT.
    unsafe {
        write_msr(MSR_STAR, user_base << 48 | (KERNEL_CS as u64) << 32);
        write_msr(MSR_LSTAR, syscall_entry as *const () as u64);
        // Clear IF, TF, DF, AC, NT and IOPL on entry.
        write_msr(MSR_FMASK, (1 << 9) | (1 << 8) | (1 << 10) | (1 << 18) | (1 << 14) | (3 << 12));
        write_msr(MSR_EFER, super::cpu::read_msr(MSR_EFER) | 1); // SCE
    }
}
