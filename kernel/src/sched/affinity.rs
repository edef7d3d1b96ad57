//! CPU affinity: the set of CPUs a task may run on (Linux's `cpus_mask`),
//! how it is changed, and how a task leaves a CPU it may no longer use.
//!
//! The scheduler knows tasks only; the system calls (`sched_setaffinity`,
//! `sched_getaffinity` of the Linux personality) find the task of a thread
//! and call [`set`] / [`get`], which any personality could call.
//!
//! **The mask.** One atomic word per task (`Task::affinity`, bit n = CPU
//! n). No lock guards it: a writer stores the whole word, readers bit-test
//! it. Default: every CPU; a user task made by a user task copies its
//! creator's mask ([`inherited`]: fork and clone, as Linux's
//! `dup_task_struct`); `execve` keeps the task, so keeps the mask. The
//! stored mask is the requested one intersected with the online CPUs
//! (Linux's `sched_getaffinity` reports that intersection too).
//!
//! **Never outside the mask.** Every placement (spawn, wake, steal,
//! balance) chooses an allowed CPU (`runq`), and [`set`] moves a task
//! queued on a CPU its new mask excludes. What remains is a task that
//! still sits in such a queue (it was switching away, or was being queued
//! at that moment) and the race of a mask changed after a CPU chose a task
//! and before it runs it. Both are caught when a CPU claims the task, by a
//! store/load pair on each side, all `SeqCst`:
//! * the picking CPU stores `cpu` then `on_cpu = true`, then re-reads the
//!   mask ([`allows_now`]) and refuses the task if the mask excludes it;
//! * [`set`] stores the mask, then reads `on_cpu` and `cpu`.
//!
//! In the single total order of these operations either the picker reads
//! the new mask (and refuses), or the setter sees `on_cpu` set with that
//! `cpu` and makes the task leave: a reschedule request (IPI) to that CPU,
//! whose `schedule` queues the task elsewhere once off its stack, and a
//! wait until it is gone. So when [`set`] returns, the task is not running
//! on a CPU outside its mask (Linux's guarantee), also for the caller
//! itself, which yields until it runs on an allowed CPU.
//!
//! Concurrent setters need no lock either: the last store wins, and each
//! waits against the mask it reads at that moment, not its own.

#![forbid(unsafe_code)]

use super::task::Task;
use super::{runq, with_current, yield_now};
use crate::arch::percpu;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
pub use runqueue::cpumask::CpuMask;

/// `set` was given a mask with no online CPU (Linux: `EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoOnlineCpu;

/// Spins between two reschedule requests to a CPU that has not let the
/// task go yet (it may have been busy with interrupts off).
const KICK_EVERY: u32 = 4096;

/// The CPUs whose scheduler runs.
pub fn online() -> CpuMask {
    runq::online_mask()
}

/// The mask of a task being created now: the creator's if that is a user
/// task, else every CPU (init and the programs the kernel starts itself).
pub fn inherited() -> CpuMask {
    if percpu::current_task_ptr().is_null() {
        return CpuMask::ALL;
    }
    with_current(|t| if t.is_user() { t.affinity() } else { CpuMask::ALL })
}

/// The CPUs `task` may run on, among the online ones (`sched_getaffinity`).
pub fn get(task: &Task) -> CpuMask {
    task.affinity().and(online())
}

/// The picking CPU's re-read of the mask right after claiming `task`
/// (module doc): whether it may run on `cpu`.
#[inline(always)]
pub(super) fn allows_now(task: &Task, cpu: usize) -> bool {
    CpuMask(task.affinity.load(Ordering::SeqCst)).contains(cpu)
}

/// Let `task` run only on the CPUs of `mask` (among the online ones), and
/// move it if it is queued or running elsewhere. On return the task is not
/// running on a CPU outside the mask it has then. `task` may be the caller.
pub fn set(task: &Arc<Task>, mask: CpuMask) -> Result<(), NoOnlineCpu> {
    let mask = mask.and(online());
    if mask.is_empty() {
        return Err(NoOnlineCpu);
    }
    task.set_affinity(mask);
    if with_current(|me| core::ptr::eq(me, &**task)) {
        // `schedule` sends a task that may not stay to an allowed CPU.
        while !task.allowed(percpu::cpu_id()) {
            yield_now();
        }
        return Ok(());
    }
    runq::move_if_disallowed(task);
    wait_until_gone(task);
    Ok(())
}

/// Wait until `task` (not the caller) is not running on a CPU its current
/// mask excludes, asking that CPU to reschedule.
fn wait_until_gone(task: &Task) {
    let mut kicked: Option<usize> = None;
    let mut spins = 0u32;
    loop {
        if !task.on_cpu.load(Ordering::SeqCst) {
            return;
        }
        let cpu = task.cpu.load(Ordering::Acquire);
        if task.allowed(cpu) {
            return;
        }
        if kicked != Some(cpu) || spins >= KICK_EVERY {
            runq::kick(cpu);
            kicked = Some(cpu);
            spins = 0;
        }
        spins += 1;
        // Let whatever else is queued here run meanwhile (the caller is
        // preemptible: it holds no lock).
        if spins.is_multiple_of(64) {
            yield_now();
        } else {
            core::hint::spin_loop();
        }
    }
}
