//! POSIX signals: a process's signal state, sending, and the default
//! actions (delivery to handlers is `sigdeliver`, the frame `sigframe`).
//!
//! State ([`SigState`], one per process behind [`Signals`]): the actions of
//! signals 1..=64 (per process, as Linux's `sighand`), the job-control
//! state (stopped or not), the task the process runs, and one
//! [`ThreadSig`]: the pending and blocked sets, the saved mask of
//! `sigsuspend`, the alternate stack and the wait set of `rt_sigtimedwait`.
//! Those are per *task* in Linux; a process has exactly one task today, so
//! its `ThreadSig` lives here and moves to per-task data with threads.
//! Each pending signal keeps one `siginfo` (real-time signals coalesce like
//! standard ones: no queue of several instances).
//!
//! Sending ([`send`], Linux's `send_signal` + `prepare_signal`): SIGCONT
//! resumes a stopped process and discards pending stop signals; a stop
//! signal discards a pending SIGCONT; a signal whose action is to ignore
//! (SIG_IGN, or SIG_DFL of SIGCHLD/SIGCONT/SIGURG/SIGWINCH) is discarded
//! unless blocked; init (pid 1) gets no signal whose action is the
//! default (Linux's `SIGNAL_UNKILLABLE`). A pending, unblocked
//! signal sets the task's `user_work` (`sched::set_user_work`, under the lock): it ends an
//! interruptible wait and is delivered on the way back to user mode.
//!
//! Locking: `Signals` is an `IrqSpinLock` of level `Signal` (the terminal's
//! ^C arrives in an interrupt handler); it is taken under `ProcessTable`
//! (group kills), never together with `Process`, and nothing but the heap
//! and wake-ups is taken inside it. Wake-ups happen after it is released.

#![forbid(unsafe_code)]

use super::process::Process;
use crate::sched::task::Task;
use crate::sync::spin::IrqSpinLockGuard;
use crate::sync::{IrqSpinLock, LockLevel};
use alloc::sync::{Arc, Weak};
use mello_abi::linux::sigframe::{SigFields, Siginfo, StackT};
use mello_abi::linux::signal::*;
use mello_abi::linux::KernelSigaction;

const DFL: KernelSigaction = KernelSigaction { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0 };

/// The one task's signal state (per task in Linux; see the module doc).
#[derive(Clone, Copy)]
pub struct ThreadSig {
    pub pending: u64,
    pub blocked: u64,
    /// One siginfo per pending signal.
    pub info: [Siginfo; NSIG as usize],
    /// The mask to restore after the handler `rt_sigsuspend` waited for.
    pub saved_mask: Option<u64>,
    /// `sigaltstack` (flags: 0 or SS_DISABLE, SS_AUTODISARM kept).
    pub altstack: StackT,
    /// Signals `rt_sigtimedwait` waits for (their arrival wakes it even
    /// though they are blocked).
    pub waiting_for: u64,
}

/// What a default action does (Linux's `sig_kernel_*` sets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    Terminate,
    Core,
    Stop,
    Ignore,
    Continue,
}

/// The default action of `sig`.
pub fn default_action(sig: u32) -> Default {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => Default::Ignore,
        SIGCONT => Default::Continue,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Default::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ | SIGSYS => Default::Core,
        _ => Default::Terminate,
    }
}

const STOP_MASK: u64 = bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);

/// A process's signal state (module doc).
pub struct SigState {
    pub actions: [KernelSigaction; NSIG as usize],
    pub thread: ThreadSig,
    /// Job control: stopped by a stop signal, until SIGCONT or SIGKILL.
    pub stopped: bool,
    /// The process's task (to interrupt or wake it).
    pub task: Option<Weak<Task>>,
    /// `set_tid_address` / `CLONE_CHILD_CLEARTID`: cleared and woken at exit.
    pub clear_child_tid: u64,
    /// The signal the parent gets when this process ends (clone's low byte).
    pub exit_signal: u32,
    /// `CLONE_CHILD_SETTID`: where the new child stores its tid, on its
    /// first way out to user mode (in its own address space).
    pub start_settid: Option<u64>,
    /// The number of a call that returned a restart code (`sigdeliver`).
    pub restart_nr: Option<u64>,
    /// Error code and vector of the fault that raised a pending SIGSEGV/
    /// SIGBUS/SIGILL/SIGFPE (for the frame's `err`/`trapno`).
    pub fault_error: u64,
    pub fault_vector: u64,
}

impl SigState {
    const fn new() -> SigState {
        SigState {
            actions: [DFL; NSIG as usize],
            thread: ThreadSig {
                pending: 0,
                blocked: 0,
                info: [Siginfo { signo: 0, errno: 0, code: 0, fields: SigFields::None }; NSIG as usize],
                saved_mask: None,
                altstack: StackT { sp: 0, flags: SS_DISABLE, size: 0 },
                waiting_for: 0,
            },
            stopped: false,
            task: None,
            clear_child_tid: 0,
            exit_signal: SIGCHLD,
            start_settid: None,
            restart_nr: None,
            fault_error: 0,
            fault_vector: 0,
        }
    }

    pub fn action(&self, sig: u32) -> KernelSigaction {
        self.actions[sig as usize - 1]
    }

    /// Whether `sig` would be discarded on arrival (ignored and not blocked).
    fn ignored(&self, sig: u32) -> bool {
        if self.thread.blocked & bit(sig) != 0 {
            return false;
        }
        match self.action(sig).handler {
            SIG_IGN => true,
            SIG_DFL => matches!(default_action(sig), Default::Ignore | Default::Continue),
            _ => false,
        }
    }

    /// Pending signals that are not blocked (SIGKILL and SIGSTOP never are).
    pub fn deliverable(&self) -> u64 {
        self.thread.pending & !(self.thread.blocked & !UNBLOCKABLE)
    }

    /// Whether the task has something to do on its way to user mode.
    pub fn has_work(&self) -> bool {
        self.deliverable() != 0
    }

    /// The next signal to deliver: SIGKILL first, then the synchronous
    /// fault signals, then the lowest number (Linux's order).
    pub fn next_deliverable(&self) -> Option<u32> {
        let d = self.deliverable();
        if d == 0 {
            return None;
        }
        const SYNC: u64 = bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGTRAP) | bit(SIGFPE) | bit(SIGSYS);
        let pick = if d & bit(SIGKILL) != 0 { bit(SIGKILL) } else if d & SYNC != 0 { d & SYNC } else { d };
        Some(pick.trailing_zeros() + 1)
    }

    /// Remove `sig` from the pending set and return its siginfo.
    pub fn take(&mut self, sig: u32) -> Siginfo {
        self.thread.pending &= !bit(sig);
        self.thread.info[sig as usize - 1]
    }

    /// The task to interrupt, if it still exists.
    pub fn task(&self) -> Option<Arc<Task>> {
        self.task.as_ref().and_then(Weak::upgrade)
    }
}

/// The signal state of one process, behind its lock.
pub struct Signals {
    inner: IrqSpinLock<SigState>,
}

impl core::default::Default for Signals {
    fn default() -> Self {
        Self::new()
    }
}

impl Signals {
    pub const fn new() -> Self {
        Signals { inner: IrqSpinLock::new(LockLevel::Signal, "signals", SigState::new()) }
    }

    pub fn lock(&self) -> IrqSpinLockGuard<'_, SigState> {
        self.inner.lock()
    }

    /// Take `parent`'s actions, mask and alternate stack (fork); nothing
    /// is pending in the child.
    pub fn copy_from(&self, parent: &Signals) {
        let p = parent.lock();
        let (actions, blocked, altstack) = (p.actions, p.thread.blocked, p.thread.altstack);
        drop(p);
        let mut s = self.lock();
        s.actions = actions;
        s.thread.blocked = blocked;
        s.thread.altstack = altstack;
    }

    /// What survives exec: ignored actions, the mask and pending signals;
    /// handlers go back to SIG_DFL and the alternate stack is disabled.
    pub fn reset_on_exec(&self) {
        let mut s = self.lock();
        for a in s.actions.iter_mut() {
            if a.handler != SIG_IGN {
                *a = DFL;
            }
        }
        s.thread.altstack = StackT { sp: 0, flags: SS_DISABLE, size: 0 };
        s.clear_child_tid = 0;
    }

    /// Record the task that runs the process (at its creation).
    pub fn attach(&self, task: &Arc<Task>) {
        self.lock().task = Some(Arc::downgrade(task));
    }
}

/// Who sends a signal: user space (kill, tgkill, the terminal on behalf
/// of a user) or the kernel itself (faults, SIGCHLD, SIGPIPE).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    User,
    Kernel,
}

/// Send `info.signo` to `proc` (module doc). Returns whether it was queued.
pub fn send(proc: &Process, info: Siginfo, from: Sender) -> bool {
    let sig = info.signo as u32;
    if sig == 0 || sig > NSIG {
        return false;
    }
    let mut s = proc.signals.lock();
    let mut resume = false;
    let mut continued = false;
    if bit(sig) & STOP_MASK != 0 {
        s.thread.pending &= !bit(SIGCONT);
    }
    if sig == SIGCONT || sig == SIGKILL {
        if sig == SIGCONT {
            s.thread.pending &= !STOP_MASK;
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
    let queued = !unkillable && !s.ignored(sig);
    if queued && s.thread.pending & bit(sig) == 0 {
        s.thread.pending |= bit(sig);
        s.thread.info[sig as usize - 1] = info;
    }
    let interrupt = queued && (s.deliverable() & bit(sig) != 0 || s.thread.waiting_for & bit(sig) != 0);
    let task = s.task();
    // The flag is set under the lock: the target recomputes it under the
    // same lock after each delivery (`recalc`), so a flag set after the
    // lock went could outlive the signal and make the target's next
    // interruptible wait end at once for nothing (ERESTARTSYS and a
    // restart: a FIFO open, which counts its end, then let the peer see a
    // writer come and go, and the restarted open waited forever).
    if let (Some(task), true) = (&task, interrupt) {
        crate::sched::set_user_work(task);
    }
    drop(s);
    if let Some(task) = task {
        if resume {
            crate::sched::wake(&task);
        }
        if interrupt {
            crate::sched::end_interruptible_wait(&task);
        }
    }
    if continued {
        super::process::report_job_change(proc, super::process::JobChange::Continued);
    }
    queued
}

/// A `siginfo` from user space's `kill` (`SI_USER`) or `tgkill` (`SI_TKILL`).
pub fn user_info(sig: u32, code: i32, sender: usize) -> Siginfo {
    Siginfo { signo: sig as i32, errno: 0, code, fields: SigFields::Kill { pid: sender as i32, uid: 0 } }
}

/// A kernel-generated `siginfo` (`SI_KERNEL`).
pub fn kernel_info(sig: u32) -> Siginfo {
    Siginfo { signo: sig as i32, errno: 0, code: SI_KERNEL, fields: SigFields::None }
}

/// Recompute the current task's `user_work` from `s` (after a change of
/// its mask or pending set).
pub fn recalc(s: &SigState) {
    crate::sched::set_current_user_work(s.has_work());
}

/// Whether the parent `proc` reaps its children automatically (SIGCHLD
/// ignored, or `SA_NOCLDWAIT`).
pub fn autoreaps(proc: &Process) -> bool {
    let a = proc.signals.lock().action(SIGCHLD);
    a.handler == SIG_IGN || a.flags & SA_NOCLDWAIT != 0
}

/// Whether `proc` asked not to hear of its children stopping (`SA_NOCLDSTOP`).
pub fn nocldstop(proc: &Process) -> bool {
    proc.signals.lock().action(SIGCHLD).flags & SA_NOCLDSTOP != 0
}
