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
