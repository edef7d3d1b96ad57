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

#![forbid(unsafe_code)]

use super::task::{Task, TaskState};
use alloc::collections::VecDeque;
use alloc::sync::Arc;

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

}

/// Switch away after `enqueue_current` (the lock must be released first).
pub fn block() {
    super::schedule();
}
