//! Wait queues: FIFO lists of blocked tasks.
//!
//! A wait queue lives inside the structure whose condition it waits for
//! (an IPC port, a process's children) and is protected by that
//! structure's lock. The protocol that makes lost wake-ups impossible:
//!
//! 1. with the lock held, check the condition; if not met, call
//!    [`WaitQueue::enqueue_current`], which marks the caller Blocked;
//! 2. release the lock and call [`block`];
//! 3. a waker, holding the same lock, makes the condition true and calls
//!    [`WaitQueue::wake_one`] / [`WaitQueue::wake_all`].
//!
//! Because the task is marked Blocked before the lock is released, a wake
//! between steps 1 and 2 finds it Blocked and makes it Ready; `block` then
//! simply switches to another task and the woken task runs again soon.
//!
//! **Interruptible waits** (the one mechanism every blocking system call
//! uses, so that a signal ends the wait): before step 1 the waiter calls
//! [`Waiter::prepare`] (optionally with a deadline in ticks), and instead
//! of [`block`] it calls [`Waiter::block`], which returns why it woke:
//! [`Wake::Notified`], [`Wake::Interrupted`] (the task's `user_work` is
//! set: a signal is to be delivered; the call then returns
//! `ERESTARTSYS` or `EINTR`) or [`Wake::TimedOut`]. The caller removes
//! itself from its queue afterwards ([`WaitQueue::remove`]).
//! No lost interrupt: `prepare` sets `interruptible` before the task is
//! Blocked, `sched::set_user_work` sets `user_work` before `end_interruptible_wait` reads
//! `interruptible` (both sequentially consistent), and `Waiter::block`
//! reads `user_work` after the task became Blocked: either the waiter sees
//! the flag, or the sender sees a Blocked interruptible task and wakes it.
//! The deadline is armed in the sleeper list before the task blocks, and
//! checked again before it switches away, so an expiry in between is seen.

#![forbid(unsafe_code)]

use super::task::{Task, TaskState};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::Ordering::SeqCst;

#[derive(Default)]
pub struct WaitQueue {
    waiters: VecDeque<Arc<Task>>,
}

impl WaitQueue {
    pub const fn new() -> Self {
        WaitQueue { waiters: VecDeque::new() }
    }

    /// Mark the current task Blocked and queue it (lock held by the caller).
    pub fn enqueue_current(&mut self) {
        let me = super::current();
        me.set_state(TaskState::Blocked);
        self.waiters.push_back(me);
    }

    /// Wake the longest waiter; returns it, if any.
    pub fn wake_one(&mut self) -> Option<Arc<Task>> {
        let task = self.waiters.pop_front()?;
        super::wake(&task);
        Some(task)
    }

    /// Wake every waiter.
    pub fn wake_all(&mut self) {
        while self.wake_one().is_some() {}
    }

    /// Drop `task`'s entries (after an interrupted or timed-out wait).
    pub fn remove(&mut self, task: &Task) {
        self.waiters.retain(|t| !core::ptr::eq(Arc::as_ptr(t), task));
    }
}

/// Why an interruptible wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// A waker made the task Ready (the condition may hold: check it).
    Notified,
    /// A signal is to be delivered (`Task::user_work`).
    Interrupted,
    /// The deadline passed.
    TimedOut,
}

/// One interruptible wait of the current task (see the module doc).
pub struct Waiter {
    me: Arc<Task>,
    deadline: Option<u64>,
}

impl Waiter {
    /// Start an interruptible wait (before marking the task Blocked),
    /// ending at tick `deadline` at the latest.
    pub fn prepare(deadline: Option<u64>) -> Waiter {
        let me = super::current();
        me.interruptible.store(true, SeqCst);
        if let Some(at) = deadline {
            super::sleep::arm(&me, at);
        }
        Waiter { me, deadline }
    }

    /// Switch away until woken, interrupted or timed out (the task is
    /// Blocked and registered where its waker finds it, no lock held). May
    /// be called again after a `Notified` that did not satisfy the caller.
    pub fn block(&self) -> Wake {
        let me = &self.me;
        let expired = || self.deadline.is_some_and(|at| super::sleep::now() >= at);
        if me.user_work.load(SeqCst) || expired() {
            // Stay running, unless a waker already queued us: then the
            // queued entry must be consumed by switching away.
            if !me.transition(TaskState::Blocked, TaskState::Running) {
                super::schedule();
            }
        } else {
            super::schedule();
        }
        if me.user_work.load(SeqCst) {
            Wake::Interrupted
        } else if expired() {
            Wake::TimedOut
        } else {
            Wake::Notified
        }
    }
}

impl Waiter {
    /// Like [`Waiter::block`] but killable only (Linux's `TASK_KILLABLE`):
    /// pending user work does not end the wait, only `fatal()` does (the
    /// caller's "this task is being killed" test, read after the task became
    /// Blocked). A signal's wake-up still arrives and reads as
    /// `Wake::Notified`, which the caller re-checks. `user_work` is left as
    /// it is, so the work is done on the way out to user mode.
    pub fn block_killable(&self, fatal: impl Fn() -> bool) -> Wake {
        if fatal() {
            if !self.me.transition(TaskState::Blocked, TaskState::Running) {
                super::schedule();
            }
            return Wake::Interrupted;
        }
        super::schedule();
        if fatal() {
            Wake::Interrupted
        } else {
            Wake::Notified
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.me.interruptible.store(false, SeqCst);
        if self.deadline.is_some() {
            super::sleep::disarm(&self.me);
        }
    }
}

/// Switch away after `enqueue_current` (the lock must be released first).
pub fn block() {
    super::schedule();
}
