//! Sending signals (Linux's `send_signal` + `prepare_signal` +
//! `complete_signal`), to a process or to one of its threads, and ending
//! or stopping a whole thread group. The state is `user::signal`'s.
//!
//! [`send`]: SIGCONT resumes a stopped process and discards pending stop
//! signals; a stop signal discards a pending SIGCONT; a signal whose action
//! is to ignore (SIG_IGN, or SIG_DFL of SIGCHLD/SIGCONT/SIGURG/SIGWINCH) is
//! discarded unless blocked; init (pid 1) gets no signal whose action is
//! the default (Linux's `SIGNAL_UNKILLABLE`). A process-directed signal is
//! queued once for the group (`shared_pending`) and interrupts the first
//! thread that does not block it; [`send_thread`] (`tgkill`) queues it for
//! one thread. The chosen task's `user_work` is set under the lock
//! (`sched::set_user_work`): it ends an interruptible wait and the signal
//! is delivered on the way back to user mode (`sigdeliver`).
//! [`begin_group_exit`] (exit_group, a fatal signal) gives every other
//! thread SIGKILL; [`interrupt_others`] makes them join a group stop.
//!
//! Locking: the process's `Signals` (level `Signal`), one at a time;
//! wake-ups after it is released.

#![forbid(unsafe_code)]

use super::process::{Exit, Pid, Process};
use super::signal::{SigState, ThreadSig, STOP_MASK};
use crate::sched::task::Task;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mello_abi::linux::sigframe::{SigFields, Siginfo};
use mello_abi::linux::signal::*;

/// Who sends a signal: user space (kill, tgkill, the terminal on behalf
/// of a user) or the kernel itself (faults, SIGCHLD, SIGPIPE).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    User,
    Kernel,
}

/// Send `info.signo` to `proc`, for whichever of its threads does not
/// block it (module doc). Returns whether it was queued.
pub fn send(proc: &Process, info: Siginfo, from: Sender) -> bool {
    deliver(proc, None, info, from)
}

/// Send `info.signo` to thread `tid` of `proc` (`tgkill`). Returns whether
/// it was queued; false too if there is no such thread.
pub fn send_thread(proc: &Process, tid: Pid, info: Siginfo, from: Sender) -> bool {
    deliver(proc, Some(tid), info, from)
}

/// Whether `proc` has a live thread `tid`.
pub fn has_thread(proc: &Process, tid: Pid) -> bool {
    proc.signals.lock().threads.iter().any(|t| t.tid == tid)
}

fn deliver(proc: &Process, target: Option<Pid>, info: Siginfo, from: Sender) -> bool {
    let sig = info.signo as u32;
    if sig == 0 || sig > NSIG {
        return false;
    }
    let mut s = proc.signals.lock();
    let target_index = match target {
        Some(tid) => match s.threads.iter().position(|t| t.tid == tid) {
            Some(i) => Some(i),
            None => return false,
        },
        None => None,
    };
    let mut resume = false;
    let mut continued = false;
    if bit(sig) & STOP_MASK != 0 {
        s.discard(bit(SIGCONT));
    }
    if sig == SIGCONT || sig == SIGKILL {
        if sig == SIGCONT {
            s.discard(STOP_MASK);
        }
        if s.stopped {
            s.stopped = false;
            resume = true;
            continued = sig == SIGCONT;
        }
    }
    // Linux's SIGNAL_UNKILLABLE: init only gets signals it handles or
    // ignores (its own faults still kill it: `fault` does not come here).
    let _ = from;
    let unkillable = proc.pid == super::INIT_PID && s.action(sig).handler == SIG_DFL;
    let queued = !unkillable && !s.ignored(sig, target);
    if queued {
        match target_index {
            Some(i) if s.threads[i].pending & bit(sig) == 0 => {
                s.threads[i].pending |= bit(sig);
                s.threads[i].info[sig as usize - 1] = info;
            }
            None if s.shared_pending & bit(sig) == 0 => {
                s.shared_pending |= bit(sig);
                s.shared_info[sig as usize - 1] = info;
            }
            _ => {}
        }
    }
    // Whom to interrupt: the target, or the first thread that takes it.
    let wants = |s: &SigState, t: &ThreadSig| s.deliverable_of(t) & bit(sig) != 0 || t.waiting_for & bit(sig) != 0;
    let chosen = match (queued, target_index) {
        (false, _) => None,
        (true, Some(i)) => wants(&s, &s.threads[i]).then_some(i),
        (true, None) => s.threads.iter().position(|t| wants(&s, t)),
    };
    let task = chosen.and_then(|i| s.threads[i].task.upgrade());
    // The flag is set under the lock: the target recomputes it under the
    // same lock after each delivery (`recalc`), so a flag set after the
    // lock went could outlive the signal and make the target's next
    // interruptible wait end at once for nothing (ERESTARTSYS and a
    // restart: a FIFO open, which counts its end, then let the peer see a
    // writer come and go, and the restarted open waited forever).
    if let Some(task) = &task {
        crate::sched::set_user_work(task);
    }
    let resumed = if resume { s.tasks() } else { Vec::new() };
    drop(s);
    for t in &resumed {
        crate::sched::wake(t);
    }
    if let Some(task) = task {
        crate::sched::end_interruptible_wait(&task);
    }
    if continued {
        super::process::report_job_change(proc, super::process::JobChange::Continued);
    }
    queued
}

/// The whole thread group ends as `exit` (exit_group, a fatal signal):
/// unless it is already ending (the first status stands), or another
/// thread is running `execve` (then only the caller ends), every other
/// thread gets SIGKILL and is woken from any interruptible wait or stop.
pub fn begin_group_exit(proc: &Process, exit: Exit) {
    let mut s = proc.signals.lock();
    if s.execing.is_some_and(|t| Some(t) != super::current_tid()) {
        return;
    }
    if s.group_exit.is_none() {
        s.group_exit = Some(exit);
    }
    let others = s.kill_others();
    let was_stopped = core::mem::take(&mut s.stopped);
    drop(s);
    for t in &others {
        if was_stopped {
            crate::sched::wake(t);
        }
        crate::sched::end_interruptible_wait(t);
    }
}

/// Stop every other thread of `proc` (a stop signal taken by the
/// caller): each joins the stop on its way to user mode.
pub fn interrupt_others(s: &mut SigState) -> Vec<Arc<Task>> {
    let me = super::current_tid();
    let mut out = Vec::new();
    for t in s.threads.iter().filter(|t| Some(t.tid) != me) {
        if let Some(task) = t.task.upgrade() {
            crate::sched::set_user_work(&task);
            out.push(task);
        }
    }
    out
}

/// A `siginfo` from user space's `kill` (`SI_USER`) or `tgkill` (`SI_TKILL`).
pub fn user_info(sig: u32, code: i32, sender: usize) -> Siginfo {
    Siginfo { signo: sig as i32, errno: 0, code, fields: SigFields::Kill { pid: sender as i32, uid: 0 } }
}

/// A kernel-generated `siginfo` (`SI_KERNEL`).
pub fn kernel_info(sig: u32) -> Siginfo {
    Siginfo { signo: sig as i32, errno: 0, code: SI_KERNEL, fields: SigFields::None }
}
