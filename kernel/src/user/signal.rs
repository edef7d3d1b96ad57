//! POSIX signals: a process's signal state, sending, and the default
//! actions (delivery to handlers is `sigdeliver`, the frame `sigframe`).
//!
//! State ([`SigState`], one per process behind [`Signals`], Linux's
//! `sighand` + `signal_struct`): the actions of signals 1..=64, the
//! process-directed pending set (`shared_pending`, Linux's
//! `shared_pending`), the job-control state, how the thread group is
//! ending (`group_exit`, `execing`), and one [`ThreadSig`] per live
//! thread: its tid and task, its own pending and blocked sets, the saved
//! mask of `sigsuspend`, the alternate stack, the wait set of
//! `rt_sigtimedwait`, `clear_child_tid` and the restart and fault notes.
//! All of it is under the one lock, as Linux keeps per-thread signal
//! state under the group's `siglock`. A thread's entry exists from before
//! its task first runs until its own exit removes it (`user::thread`).
//! Each pending signal keeps one `siginfo` (real-time signals coalesce like
//! standard ones: no queue of several instances).
//!
//! Sending (`send`, `send_thread`, `begin_group_exit`) is `user::sigsend`,
//! re-exported here.
//!
//! Locking: `Signals` is an `IrqSpinLock` of level `Signal` (the terminal's
//! ^C arrives in an interrupt handler); it is taken under `ProcessTable`
//! (group kills), never together with `Process`, and nothing but the heap
//! and wake-ups is taken inside it. Wake-ups happen after it is released.

#![forbid(unsafe_code)]

pub use super::sigsend::{begin_group_exit, has_thread, interrupt_others, kernel_info, send, send_thread, user_info, Sender};
use super::process::{Exit, Pid, Process};
use crate::sched::task::Task;
use crate::sync::spin::IrqSpinLockGuard;
use crate::sync::{IrqSpinLock, LockLevel};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use mello_abi::linux::sigframe::{SigFields, Siginfo, StackT};
use mello_abi::linux::signal::*;
use mello_abi::linux::KernelSigaction;

const DFL: KernelSigaction = KernelSigaction { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0 };

/// One thread's signal state (module doc).
#[derive(Clone)]
pub struct ThreadSig {
    pub tid: Pid,
    /// The thread's task (to interrupt or wake it).
    pub task: Weak<Task>,
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
    /// `set_tid_address` / `CLONE_CHILD_CLEARTID`: cleared and woken at exit.
    pub clear_child_tid: u64,
    /// `CLONE_CHILD_SETTID` of a forked child: where it stores its tid, on
    /// its first way out to user mode (in its own address space).
    pub start_settid: Option<u64>,
    /// The number of a call that returned a restart code (`sigdeliver`).
    pub restart_nr: Option<u64>,
    /// Error code and vector of the fault that raised a pending SIGSEGV/
    /// SIGBUS/SIGILL/SIGFPE (for the frame's `err`/`trapno`).
    pub fault_error: u64,
    pub fault_vector: u64,
}

const NO_INFO: Siginfo = Siginfo { signo: 0, errno: 0, code: 0, fields: SigFields::None };
const NO_STACK: StackT = StackT { sp: 0, flags: SS_DISABLE, size: 0 };

impl ThreadSig {
    /// A new thread's state: mask `blocked`, alternate stack `altstack`.
    pub fn new(tid: Pid, task: &Arc<Task>, blocked: u64, altstack: StackT) -> ThreadSig {
        ThreadSig {
            tid,
            task: Arc::downgrade(task),
            pending: 0,
            blocked,
            info: [NO_INFO; NSIG as usize],
            saved_mask: None,
            altstack,
            waiting_for: 0,
            clear_child_tid: 0,
            start_settid: None,
            restart_nr: None,
            fault_error: 0,
            fault_vector: 0,
        }
    }
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

pub(super) const STOP_MASK: u64 = bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);

/// A process's signal state (module doc).
pub struct SigState {
    pub actions: [KernelSigaction; NSIG as usize],
    /// Process-directed signals not yet taken by a thread.
    pub shared_pending: u64,
    pub shared_info: [Siginfo; NSIG as usize],
    /// Job control: stopped by a stop signal, until SIGCONT or SIGKILL.
    pub stopped: bool,
    /// The live threads (the first one made is first).
    pub threads: Vec<ThreadSig>,
    /// Set once the whole group is ending (exit_group, a fatal signal):
    /// how it ends, whichever thread goes last.
    pub group_exit: Option<Exit>,
    /// The thread running `execve`, while it waits for the others to end.
    pub execing: Option<Pid>,
    /// How the first thread ended itself (`exit`), if it did while others
    /// ran: the group's status unless a group exit came later.
    pub first_exit: Option<Exit>,
    /// The signal the parent gets when this process ends (clone's low byte).
    pub exit_signal: u32,
}

impl SigState {
    const fn new() -> SigState {
        SigState {
            actions: [DFL; NSIG as usize],
            shared_pending: 0,
            shared_info: [NO_INFO; NSIG as usize],
            stopped: false,
            threads: Vec::new(),
            group_exit: None,
            execing: None,
            first_exit: None,
            exit_signal: SIGCHLD,
        }
    }

    pub fn action(&self, sig: u32) -> KernelSigaction {
        self.actions[sig as usize - 1]
    }

    fn index_of_current(&self) -> usize {
        let tid = super::current_tid().unwrap_or(0);
        // A thread's entry lives as long as the thread runs (module doc).
        self.threads.iter().position(|t| t.tid == tid).expect("signal state of a thread without an entry")
    }

    /// The calling thread's entry.
    pub fn me(&mut self) -> &mut ThreadSig {
        let i = self.index_of_current();
        &mut self.threads[i]
    }

    /// The calling thread's entry, read-only.
    pub fn me_ref(&self) -> &ThreadSig {
        &self.threads[self.index_of_current()]
    }

    /// Whether `sig` would be discarded on arrival (ignored and not
    /// blocked by the target: `tid`, or any thread for the group).
    pub(super) fn ignored(&self, sig: u32, tid: Option<Pid>) -> bool {
        let blocked = self.threads.iter().filter(|t| tid.is_none_or(|tid| t.tid == tid)).any(|t| t.blocked & bit(sig) != 0);
        if blocked {
            return false;
        }
        match self.action(sig).handler {
            SIG_IGN => true,
            SIG_DFL => matches!(default_action(sig), Default::Ignore | Default::Continue),
            _ => false,
        }
    }

    /// Signals thread `t` could take now: its own and the group's pending
    /// ones that it does not block (SIGKILL and SIGSTOP never are).
    pub(super) fn deliverable_of(&self, t: &ThreadSig) -> u64 {
        (t.pending | self.shared_pending) & !(t.blocked & !UNBLOCKABLE)
    }

    /// What the calling thread could take now.
    pub fn deliverable(&self) -> u64 {
        self.deliverable_of(self.me_ref())
    }

    /// Signals pending for the calling thread (its own and the group's).
    pub fn pending(&self) -> u64 {
        self.me_ref().pending | self.shared_pending
    }

    /// Whether the calling thread has something to do on its way to user
    /// mode (a signal, or a group stop to join).
    pub fn has_work(&self) -> bool {
        self.deliverable() != 0 || self.stopped
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

    /// Remove `sig` from the calling thread's pending set (else the
    /// group's) and return its siginfo.
    pub fn take(&mut self, sig: u32) -> Siginfo {
        let me = self.me();
        if me.pending & bit(sig) != 0 {
            me.pending &= !bit(sig);
            return me.info[sig as usize - 1];
        }
        self.shared_pending &= !bit(sig);
        self.shared_info[sig as usize - 1]
    }

    /// Discard `sig` wherever it is pending (its action became "ignore").
    pub fn discard(&mut self, mask: u64) {
        self.shared_pending &= !mask;
        for t in self.threads.iter_mut() {
            t.pending &= !mask;
        }
    }

    /// The live threads' tasks.
    pub fn tasks(&self) -> Vec<Arc<Task>> {
        self.threads.iter().filter_map(|t| t.task.upgrade()).collect()
    }

    /// Give every thread but the caller SIGKILL and leave each of them the
    /// work (the caller wakes them after releasing the lock).
    pub fn kill_others(&mut self) -> Vec<Arc<Task>> {
        let me = super::current_tid();
        let mut out = Vec::new();
        for t in self.threads.iter_mut().filter(|t| Some(t.tid) != me) {
            t.pending |= bit(SIGKILL);
            t.info[SIGKILL as usize - 1] = kernel_info(SIGKILL);
            if let Some(task) = t.task.upgrade() {
                crate::sched::set_user_work(&task);
                out.push(task);
            }
        }
        out
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

    /// Take `parent`'s actions (fork); nothing is pending in the child.
    pub fn copy_actions(&self, parent: &Signals) {
        let actions = parent.lock().actions;
        self.lock().actions = actions;
    }

    /// The calling thread's mask and alternate stack (what a fork child or
    /// a new thread starts with).
    pub fn my_mask_and_stack(&self) -> (u64, StackT) {
        let s = self.lock();
        let me = s.me_ref();
        (me.blocked, me.altstack)
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
        let me = s.me();
        me.altstack = NO_STACK;
        me.clear_child_tid = 0;
    }

    /// Add thread `tid` run by `task` (before the task first runs).
    pub fn attach(&self, thread: ThreadSig) -> Result<(), crate::error::Errno> {
        let mut s = self.lock();
        fallible::in_scope(|| s.threads.try_reserve(1)).map_err(crate::error::no_memory)?;
        s.threads.push(thread);
        Ok(())
    }
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
