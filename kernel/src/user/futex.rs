//! Futexes: tasks waiting until a 32-bit word in user memory changes
//! (Linux's `FUTEX_WAIT`/`FUTEX_WAKE`, their `_BITSET` forms, and
//! `FUTEX_REQUEUE`/`FUTEX_CMP_REQUEUE`).
//!
//! A waiter is keyed by its address space (the page-table root, shared by
//! every thread of a process; a fork child has its own, so "private" and
//! "shared" futexes key alike until memory can be shared between
//! processes) and the word's address. `wait` checks the word
//! and queues itself under one lock, so a `wake` that follows a change of
//! the word can never miss it; the wait is interruptible (`ERESTARTSYS`)
//! and may have a deadline in ticks (`ETIMEDOUT`).
//!
//! Locking: `FUTEXES` (level `Futex`) guards the list of waiters; the word
//! is read with it held (a page fault in the read takes `AddressSpace`,
//! which ranks after it). Woken tasks are made runnable after it is
//! released.

#![forbid(unsafe_code)]

use super::process::Process;
use crate::error::Errno;
use crate::mm::uaccess::UserSlice;
use crate::sched::{self, task::Task, wait::Wake, wait::Waiter};
use crate::sync::{LockLevel, SpinLock};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

struct Entry {
    id: u64,
    key: (u64, u64),
    bitset: u32,
    task: Arc<Task>,
}

static FUTEXES: SpinLock<Vec<Entry>> = SpinLock::new(LockLevel::Futex, "futexes", Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The tick deadline of a wait of `ns` nanoseconds from now: rounded up
/// to whole ticks, plus one for the tick already under way (never early).
pub fn deadline_after_ns(ns: u64) -> u64 {
    let tick_ns = 1_000_000_000 / crate::config::SCHED_HZ;
    sched::sleep::now() + ns.div_ceil(tick_ns) + 1
}

fn key(proc: &Process, addr: u64) -> (u64, u64) {
    (proc.root(), addr)
}

/// `FUTEX_WAIT`: sleep while the word at `addr` is `expected`, until a
/// wake whose bitset meets `bitset`, a signal or `deadline`. `EAGAIN` if the
/// word differs, `EINVAL` if misaligned, `EFAULT` if unreadable.
pub fn wait(proc: &Process, addr: u64, expected: u32, bitset: u32, deadline: Option<u64>) -> Result<(), Errno> {
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let key = key(proc, addr);
    let me = sched::current();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let waiter = Waiter::prepare(deadline);
    {
        let mut list = FUTEXES.lock();
        let mut b = [0u8; 4];
        UserSlice::new(addr as usize, 4)?.read_into(&mut b)?;
        if u32::from_le_bytes(b) != expected {
            return Err(Errno::EAGAIN);
        }
        fallible::in_scope(|| list.try_reserve(1)).map_err(crate::error::no_memory)?;
        me.set_state(sched::task::TaskState::Blocked);
        list.push(Entry { id, key, bitset, task: me.clone() });
    }
    loop {
        let woke = waiter.block();
        let queued = FUTEXES.lock().iter().any(|e| e.id == id);
        if !queued {
            return Ok(()); // a wake took us off the list
        }
        match woke {
            Wake::Notified => {
                // Woken by something else: wait on.
                let list = FUTEXES.lock();
                if !list.iter().any(|e| e.id == id) {
                    return Ok(());
                }
                me.set_state(sched::task::TaskState::Blocked);
                drop(list);
                continue;
            }
            Wake::Interrupted | Wake::TimedOut => {
                let mut list = FUTEXES.lock();
                let before = list.len();
                list.retain(|e| e.id != id);
                if list.len() == before {
                    return Ok(());
                }
                // Linux: an untimed wait restarts under SA_RESTART; a timed
                // one (restart_block) is EINTR whenever a handler runs.
                return Err(match (woke, deadline) {
                    (Wake::TimedOut, _) => Errno::ETIMEDOUT,
                    (_, None) => Errno::ERESTARTSYS,
                    (_, Some(_)) => Errno::ERESTARTNOHAND,
                });
            }
        }
    }
}

/// `FUTEX_WAKE`: wake up to `count` waiters on `addr` whose bitset meets
/// `bitset`; returns how many.
pub fn wake_bitset(proc: &Process, addr: u64, count: usize, bitset: u32) -> usize {
    let key = key(proc, addr);
    let mut woken = Vec::new();
    {
        let mut list = FUTEXES.lock();
        let mut i = 0;
        while i < list.len() && woken.len() < count {
            if list[i].key == key && list[i].bitset & bitset != 0 {
                woken.push(list.remove(i).task);
            } else {
                i += 1;
            }
        }
    }
    for t in &woken {
        sched::wake(t);
    }
    woken.len()
}

/// [`wake_bitset`] for any bitset.
pub fn wake(proc: &Process, addr: u64, count: usize) -> usize {
    wake_bitset(proc, addr, count, u32::MAX)
}

/// `FUTEX_REQUEUE`/`FUTEX_CMP_REQUEUE`: wake up to `nr_wake` waiters on
/// `addr`, move up to `nr_requeue` more to `addr2` (they keep waiting,
/// in order); with `expected`, first check under the lock that the word
/// at `addr` holds it (`EAGAIN` otherwise). Returns woken + moved.
pub fn requeue(proc: &Process, addr: u64, nr_wake: usize, addr2: u64, nr_requeue: usize, expected: Option<u32>) -> Result<usize, Errno> {
    if !addr.is_multiple_of(4) || !addr2.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let (from, to) = (key(proc, addr), key(proc, addr2));
    let mut woken = Vec::new();
    let mut moved = 0;
    {
        let mut list = FUTEXES.lock();
        if let Some(expected) = expected {
            let mut b = [0u8; 4];
            UserSlice::new(addr as usize, 4)?.read_into(&mut b)?;
            if u32::from_le_bytes(b) != expected {
                return Err(Errno::EAGAIN);
            }
        }
        let mut i = 0;
        while i < list.len() && moved < nr_requeue {
            if list[i].key != from {
                i += 1;
            } else if woken.len() < nr_wake {
                woken.push(list.remove(i).task);
            } else {
                list[i].key = to;
                moved += 1;
                i += 1;
            }
        }
        // nr_requeue 0: wake only.
        while woken.len() < nr_wake {
            let Some(j) = list.iter().position(|e| e.key == from) else { break };
            woken.push(list.remove(j).task);
        }
    }
    for t in &woken {
        sched::wake(t);
    }
    Ok(woken.len() + moved)
}
