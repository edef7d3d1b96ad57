//! Timer ticks and sleeping.
//!
//! CPU 0's timer interrupt advances the global tick count ([`tick`]) and
//! wakes every sleeper whose deadline has passed. Sleepers wait in
//! `SLEEPERS` (level `WaitQueue`), unsorted: wake-ups scan it once per
//! tick, which is cheap for the handful of sleepers a teaching kernel has.
//!
//! `sleep(n)` returns after at least `n` full ticks: the deadline is
//! `now + n + 1`, because the current tick has already partly elapsed.
//!
//! Timeouts (`TIMEOUTS`, level `WaitQueue`): a task blocked elsewhere (on
//! pollees, `pollee::wait_until_deadline`) can also ask to be woken at a
//! tick. Unlike sleepers, a due timeout is woken *with its list's lock
//! held*, so once [`disarm_timeout`] returns no wake-up from it can still
//! arrive (it would be a spurious wake-up of the task's next wait).

#![forbid(unsafe_code)]

use super::task::{Task, TaskState};
use crate::metrics::METRICS;
use crate::sync::{IrqSpinLock, LockLevel};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

static TICKS: AtomicU64 = AtomicU64::new(0);
static SLEEPERS: IrqSpinLock<Vec<Arc<Task>>> = IrqSpinLock::new(LockLevel::WaitQueue, "sleepers", Vec::new());
/// Armed timeouts: (task, tick at which to wake it).
static TIMEOUTS: IrqSpinLock<Vec<(Arc<Task>, u64)>> = IrqSpinLock::new(LockLevel::WaitQueue, "timeouts", Vec::new());

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
    TIMEOUTS.lock().retain(|(task, at)| {
        if *at <= now {
            super::wake(task);
        }
        *at > now
    });
    now
}

/// Wake the current task (about to block on something else) at tick
/// `deadline` unless [`disarm_timeout`] comes first. `ENOMEM` if the list
/// cannot grow.
pub fn arm_timeout(deadline: u64) -> Result<(), mello_abi::Errno> {
    let me = super::current();
    let mut list = TIMEOUTS.lock();
    list.try_reserve(1).map_err(|_| mello_abi::Errno::ENOMEM)?;
    list.push((me, deadline));
    Ok(())
}

/// Cancel the current task's timeout; afterwards it cannot fire.
pub fn disarm_timeout() {
    let me = super::current();
    TIMEOUTS.lock().retain(|(task, _)| !Arc::ptr_eq(task, &me));
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
