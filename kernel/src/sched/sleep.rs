//! Timer ticks and sleeping.
//!
//! CPU 0's timer interrupt advances the global tick count ([`tick`]) and
//! wakes every sleeper whose deadline has passed. Sleepers wait in
//! `SLEEPERS` (level `WaitQueue`), unsorted: wake-ups scan it once per
//! tick, which is cheap for the handful of sleepers a teaching kernel has.
//!
//! `sleep(n)` returns after at least `n` full ticks: the deadline is
//! `now + n + 1`, because the current tick has already partly elapsed.

#![forbid(unsafe_code)]

use super::task::{Task, TaskState};
use crate::metrics::METRICS;
use crate::sync::{IrqSpinLock, LockLevel};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

static TICKS: AtomicU64 = AtomicU64::new(0);
static SLEEPERS: IrqSpinLock<Vec<Arc<Task>>> = IrqSpinLock::new(LockLevel::WaitQueue, "sleepers", Vec::new());

/// Ticks since the scheduler timer started.
pub fn now() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Advance time by one tick and wake due sleepers (CPU 0 only). Returns
/// the new tick count.
pub fn tick() -> u64 {
    let now = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
    let mut due = Vec::new();
    {
        let mut sleepers = SLEEPERS.lock();
        let mut i = 0;
        while i < sleepers.len() {
            if sleepers[i].wake_tick.load(Ordering::Relaxed) <= now {
                due.push(sleepers.swap_remove(i));
            } else {
                i += 1;
            }
        }
    }
    for task in &due {
        super::wake(task);
    }
    now
}

/// Put `task` on the sleeper list, due at tick `at` (an interruptible
/// wait's deadline: the timer then wakes it from Blocked).
pub fn arm(task: &Arc<Task>, at: u64) {
    task.wake_tick.store(at, Ordering::Relaxed);
    SLEEPERS.lock().push(task.clone());
}

/// Take `task` off the sleeper list (its wait ended another way).
pub fn disarm(task: &Task) {
    SLEEPERS.lock().retain(|t| !core::ptr::eq(Arc::as_ptr(t), task));
}

/// Sleep for at least `ticks` ticks unless a signal comes first: `Ok` when
/// the time is up, `Err(left)` with the ticks that were left when a signal
/// interrupted the sleep.
pub fn sleep_interruptible(ticks: u64) -> Result<(), u64> {
    let at = now() + ticks + 1;
    METRICS.sleep_count.fetch_add(1, Ordering::Relaxed);
    loop {
        let waiter = super::wait::Waiter::prepare(Some(at));
        super::with_current(|t| t.set_state(TaskState::Blocked));
        match waiter.block() {
            super::wait::Wake::Interrupted => return Err(at.saturating_sub(now())),
            super::wait::Wake::TimedOut => return Ok(()),
            super::wait::Wake::Notified if now() >= at => return Ok(()),
            super::wait::Wake::Notified => {}
        }
    }
}

/// Sleep for at least `ticks` timer ticks.
pub fn sleep(ticks: u64) {
    if ticks == 0 {
        super::yield_now();
        return;
    }
    let me = super::current();
    me.wake_tick.store(now() + ticks + 1, Ordering::Relaxed);
    METRICS.sleep_count.fetch_add(1, Ordering::Relaxed);
    {
        let mut sleepers = SLEEPERS.lock();
        me.set_state(TaskState::Sleeping);
        sleepers.push(me);
    }
    super::schedule();
}
