//! The way back to user mode: the preemption points (every trap exit, and
//! `schedule_if_needed` where preemption is re-enabled), the
//! per-task `user_work` flag and the resume hook the service layer
//! registers (signal delivery).
//!
//! Invariants: `user_work` is set (sequentially consistent) before
//! `end_interruptible_wait` reads `interruptible`, so a task blocking
//! interruptibly either sees the flag or is woken (protocol in `wait.rs`).
//! The flag is recomputed by the hook under the lock of the state it stands
//! for (the caller of `set_user_work` holds that lock). `RESUME_HOOK` is
//! written once at boot and only read afterwards; no lock is taken here.
//! The hook runs with interrupts enabled and no lock held, on the task's
//! own user frame.

use super::task::Task;
use super::{schedule, wake, with_current};
use crate::arch::{irq, percpu, trap::TrapFrame};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicPtr, Ordering};

/// What the service layer runs for a task with `user_work` set, on its way
/// back to user mode (signal delivery), with interrupts enabled, no lock
/// held, on the task's own user frame. It may block or not return.
pub type ResumeHook = fn(&mut TrapFrame);

static RESUME_HOOK: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Register the resume hook (once, at boot: the user layer's signals).
pub fn set_resume_hook(hook: ResumeHook) {
    RESUME_HOOK.store(hook as *mut (), Ordering::Release);
}

/// Leave work for `task` on its way back to user mode, without waking it
/// (the caller holds the lock under which the task recomputes the flag,
/// so the flag cannot outlive the work it stands for); then
/// [`end_interruptible_wait`] once that lock is released.
/// Callable from any context (interrupt handlers too).
pub fn set_user_work(task: &Task) {
    task.user_work.store(true, Ordering::SeqCst);
}

/// Wake `task` if it waits interruptibly (after [`set_user_work`]). A task
/// that already left that wait may be woken from a later one: such a
/// wake-up reads as `Wake::Notified`, which every waiter re-checks.
pub fn end_interruptible_wait(task: &Arc<Task>) {
    if task.interruptible.load(Ordering::SeqCst) {
        wake(task);
    }
}

/// Set or clear the current task's `user_work` (the resume hook
/// recomputes it after each delivery).
pub fn set_current_user_work(on: bool) {
    with_current(|t| t.user_work.store(on, Ordering::SeqCst));
}

/// Called on every return from a trap or system call: the preemption
/// point, then (for a return to user mode) the resume hook if the task has
/// `user_work`.
#[inline(always)]
pub fn on_trap_exit(frame: &mut TrapFrame) {
    // The running-task check covers an IPI that reaches a CPU before its
    // scheduler has adopted the boot context.
    let cur = percpu::current_task_ptr() as *const Task;
    if cur.is_null() {
        return;
    }
    if percpu::preemption_due() {
        schedule();
    }
    // SAFETY: `cur` is this CPU's running task, alive while it runs; after
    // `schedule` returns we are that task again (maybe on another CPU).
    if frame.is_user_mode() && unsafe { (*cur).user_work.load(Ordering::Relaxed) } {
        run_resume_hook(frame);
    }
}

#[cold]
#[inline(never)]
pub(super) fn run_resume_hook(frame: &mut TrapFrame) {
    let hook = RESUME_HOOK.load(Ordering::Acquire);
    if hook.is_null() {
        return;
    }
    // SAFETY: only `set_resume_hook` stores a non-null value, a `ResumeHook`.
    let hook: ResumeHook = unsafe { core::mem::transmute::<*mut (), ResumeHook>(hook) };
    // We are about to return to ring 3: this task holds no lock, so the
    // hook may run with interrupts on (the exit path turns them off again).
    let was = irq::save_and_disable();
    irq::enable();
    hook(frame);
    irq::restore(was);
    // Never return to ring 3 through a frame the hook left unsafe.
    debug_assert!(frame.is_user_mode() && frame.rip < mello_abi::limits::USER_END as u64);
}

/// Reschedule now if a switch became due while preemption was disabled.
pub fn schedule_if_needed() {
    if percpu::try_this_cpu().is_some_and(|c| c.need_resched() && c.preempt_count() == 0) {
        schedule();
    }
}
