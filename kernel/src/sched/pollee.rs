//! Readiness: one interface through which every kind of file (pipe end,
//! terminal, device, later sockets) says whether it is readable, writable
//! or hung up, and through which a task blocks until that changes.
//!
//! * An object embeds a [`Pollee`]. Whenever its state changes in a way that
//!   could let a blocked operation proceed (data arrived, room freed, the
//!   other end closed), it calls [`Pollee::notify`] *after* the change is
//!   visible (after releasing or while holding its own lock: both work).
//! * A blocking operation is written as a non-blocking attempt that returns
//!   `Err(EAGAIN)` when it cannot proceed, and run through [`wait_until`],
//!   which retries it each time one of the given pollees is notified. A
//!   `poll`/`select` over many files is the same call with many pollees and
//!   an attempt that checks each file's readiness: no per-type code.
//!
//! No lost wake-ups: the waiter registers on every pollee (marked Blocked,
//! preemption off) *before* its second attempt, so a notify that races
//! with the attempt finds it registered and makes it Ready; `block` then
//! returns at once. A waiter woken when nothing changed for it simply tries
//! again.
//!
//! A wait a signal or the deadline cuts short tries the operation once
//! more before it gives up (Linux's `wait_event_interruptible`: the
//! condition wins over the signal).
//!
//! Locking: each pollee's waiter list has its own `IrqSpinLock` (level
//! `WaitQueue`), taken alone; a notifier may hold its object's lock while it
//! notifies as long as that lock ranks below `WaitQueue`.

#![forbid(unsafe_code)]

use super::task::{Task, TaskState};
use crate::sync::preempt::PreemptGuard;
use crate::sync::{IrqSpinLock, LockLevel};
use alloc::sync::Arc;
use alloc::vec::Vec;
use mello_abi::Errno;

/// Something tasks can wait on until it becomes ready.
pub struct Pollee {
    waiters: IrqSpinLock<Vec<Arc<Task>>>,
}

impl Default for Pollee {
    fn default() -> Self {
        Self::new()
    }
}

impl Pollee {
    pub const fn new() -> Self {
        Pollee { waiters: IrqSpinLock::new(LockLevel::WaitQueue, "pollee", Vec::new()) }
    }

    /// Wake every task waiting on this object (they re-try their operation).
    pub fn notify(&self) {
        let woken = core::mem::take(&mut *self.waiters.lock());
        for task in &woken {
            super::wake(task);
        }
    }

    fn register(&self, me: &Arc<Task>) -> Result<(), Errno> {
        let mut w = self.waiters.lock();
        fallible::in_scope(|| w.try_reserve(1)).map_err(|_| Errno::ENOMEM)?;
        w.push(me.clone());
        Ok(())
    }

    fn unregister(&self, me: &Arc<Task>) {
        self.waiters.lock().retain(|t| !Arc::ptr_eq(t, me));
    }
}

/// Run `attempt` until it returns anything but `Err(EAGAIN)`, blocking
/// between attempts until one of `pollees` is notified. `attempt` must not
/// block; it may take locks and copy user memory.
///
/// The wait is interruptible (`wait::Waiter`): when a signal is to be
/// delivered to the task, it returns `Err(ERESTARTSYS)` (the system-call
/// layer turns that into `EINTR` or a restart).
pub fn wait_until<R>(pollees: &[&Pollee], attempt: impl FnMut() -> Result<R, Errno>) -> Result<R, Errno> {
    wait_until_deadline(pollees, None, attempt)
}

/// [`wait_until`] ending at tick `deadline` at the latest (then
/// `Err(ETIMEDOUT)`).
pub fn wait_until_deadline<R>(
    pollees: &[&Pollee],
    deadline: Option<u64>,
    mut attempt: impl FnMut() -> Result<R, Errno>,
) -> Result<R, Errno> {
    loop {
        match attempt() {
            Err(Errno::EAGAIN) => {}
            done => return done,
        }
        let me = super::current();
        let waiter = super::wait::Waiter::prepare(deadline);
        let guard = PreemptGuard::new();
        me.set_state(TaskState::Blocked);
        let mut registered = 0;
        let mut result = Ok(());
        for p in pollees {
            result = p.register(&me);
            if result.is_err() {
                break;
            }
            registered += 1;
        }
        // A notify from here on finds us registered.
        let outcome = match result {
            Ok(()) => attempt(),
            Err(e) => Err(e),
        };
        let proceed = !matches!(outcome, Err(Errno::EAGAIN));
        let mut woke = super::wait::Wake::Notified;
        if proceed && me.transition(TaskState::Blocked, TaskState::Running) {
            drop(guard);
        } else if proceed {
            // A notifier already made us Ready and queued us: switch away
            // (the queued entry brings us back).
            drop(guard);
            super::wait::block();
        } else {
            drop(guard);
            woke = waiter.block();
        }
        for p in &pollees[..registered] {
            p.unregister(&me);
        }
        if proceed {
            return outcome;
        }
        let cut_short = match woke {
            super::wait::Wake::Interrupted => Errno::ERESTARTSYS,
            super::wait::Wake::TimedOut => Errno::ETIMEDOUT,
            super::wait::Wake::Notified => continue,
        };
        // As Linux's wait_event: the condition is checked once more after a
        // signal or the deadline ended the wait, and wins. A notify that
        // came with the signal (a FIFO's peer opened, data arrived, then
        // SIGCHLD) must not be lost: the operation may have side effects
        // already done (a FIFO open counted its end) that a restart or an
        // EINTR would undo.
        return match attempt() {
            Err(Errno::EAGAIN) => Err(cut_short),
            done => done,
        };
    }
}
