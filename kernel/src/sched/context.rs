//! The context switch and the initial stacks of new tasks.
//!
//! `switch_context` saves the callee-saved registers (rbx, rbp, r12–r15) on
//! the old stack, stores the stack pointer, loads the new one and pops the
//! same registers: a switch is a function call that returns in another
//! task. Everything else (caller-saved registers, RFLAGS) is already saved
//! by the compiler or the trap frame.
//!
//! A new task's stack is prepared so that the first switch to it "returns"
//! into `task_trampoline`, which finishes the switch bookkeeping and runs
//! the task's body (kernel task) or pops a trap frame into ring 3 (user
//! task).

use crate::arch::trap::{trap_return_address, TrapFrame};
use core::arch::{asm, global_asm};

global_asm!(
    r#"
    .section .text
    .global switch_context
switch_context:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

    .global task_trampoline
task_trampoline:
    /* r12 = 0 for kernel tasks, or the address of a trap frame to enter. */
    mov rdi, r12
    call {first_run}
    test r12, r12
    jz 1f
    cli
    mov rsp, r12
    jmp r13
1:  ud2
"#,
    first_run = sym super::first_run,
);

extern "C" {
    fn switch_context(save_rsp: *mut u64, load_rsp: u64);
    fn task_trampoline();
}

/// Switch stacks: save the current context into `*save`, resume `load`.
///
/// # Safety
/// `load` must be a stack pointer saved by `switch_context` or prepared by
/// `prepare_*`, for a task no other CPU is running; `save` must stay valid.
pub unsafe fn switch(save: *mut u64, load: u64) {
    // SAFETY: the caller's contract.
    unsafe { switch_context(save, load) };
}

/// Lay out a fresh kernel stack so the first switch enters `task_trampoline`
/// with r12 = `frame_addr` and r13 = `trap_return`.
fn prepare(rsp: &mut u64, stack_top: u64, frame_addr: u64) {
    let regs: [u64; 7] = [
        0,                           // r15
        0,                           // r14
        trap_return_address(),       // r13
        frame_addr,                  // r12
        0,                           // rbx
        0,                           // rbp
        task_trampoline as *const () as u64, // return address
    ];
    let base = stack_top - 64 - core::mem::size_of_val(&regs) as u64;
    // SAFETY: `base..stack_top` lies in the task's own, unshared, mapped stack.
    unsafe { core::ptr::copy_nonoverlapping(regs.as_ptr(), base as *mut u64, regs.len()) };
    *rsp = base;
}

/// Prepare a kernel task's stack.
pub fn prepare_kernel(rsp: &mut u64, stack_top: u64) {
    prepare(rsp, stack_top, 0)
}

/// Prepare a user task's stack: `frame` copied to the top of the stack,
/// where every later entry from ring 3 will put its frame too.
///
/// # Safety
/// `stack_top` is the top of the task's own mapped, unshared stack.
pub unsafe fn prepare_user(rsp: &mut u64, stack_top: u64, frame: &TrapFrame) {
    let frame_addr = stack_top - core::mem::size_of::<TrapFrame>() as u64;
    // SAFETY: the caller's contract.
    unsafe { core::ptr::write(frame_addr as *mut TrapFrame, *frame) };
    let regs: [u64; 7] = [0, 0, trap_return_address(), frame_addr, 0, 0, task_trampoline as *const () as u64];
    let base = frame_addr - core::mem::size_of_val(&regs) as u64;
    // SAFETY: below the frame, still inside the task's own stack.
    unsafe { core::ptr::copy_nonoverlapping(regs.as_ptr(), base as *mut u64, regs.len()) };
    *rsp = base;
}

/// Save the x87/SSE registers.
///
/// # Safety
/// `area` is not being restored from concurrently.
pub unsafe fn fxsave(area: &mut super::task::FxArea) {
    // SAFETY: `area` is 16-byte aligned and 512 bytes (FxArea's layout).
    unsafe { asm!("fxsave64 [{}]", in(reg) area.0.as_mut_ptr(), options(nostack)) };
}

/// Load the x87/SSE registers.
///
/// # Safety
/// `area` holds a state written by `fxsave` or `FxArea::new_default`.
pub unsafe fn fxrstor(area: &super::task::FxArea) {
    // SAFETY: the caller's contract; aligned 512-byte area.
    unsafe { asm!("fxrstor64 [{}]", in(reg) area.0.as_ptr(), options(nostack, readonly)) };
}
