//! Per-CPU run queues: placement, stealing and load balancing.
//!
//! Each CPU has one [`RunQueue`] behind an IRQ-safe lock (level
//! `RunQueue`). A CPU takes at most one run-queue lock at a time (stealing
//! and balancing pop from one queue, release it, then push to another), so
//! run-queue locks can never deadlock with each other. `LOAD` mirrors each
//! queue's length, and `UNPINNED` its stealable part, for lock-free
//! placement and stealing decisions.
//!
//! * New tasks go to the online CPU with the fewest runnable tasks
//!   (queued plus running).
//! * A woken task goes back to the CPU it last ran on (cache affinity).
//! * A pinned task (`Task::pinned`) only ever runs on its CPU.
//! * A CPU whose own queue is empty steals from the busiest queue: when
//!   its task blocks or exits, and from its idle loop (woken by its own
//!   timer tick at the latest).
//! * Every `BALANCE_TICKS` ticks (100 ms at 20 Hz) CPU 0 moves one task
//!   from the busiest to the idlest CPU when they differ by two or more.
//! * Queuing work on another CPU sends it `RESCHEDULE_IPI` (vector 0x30).

use super::task::{Task, TaskState};
use crate::arch::{apic, percpu};
use crate::config::MAX_CPUS;
use crate::sync::{IrqSpinLock, LockLevel};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use runqueue::RunQueue;

/// Ticks between load-balancing passes.
pub const BALANCE_TICKS: u64 = 2;

static RQS: [IrqSpinLock<RunQueue<Arc<Task>>>; MAX_CPUS] =
    [const { IrqSpinLock::new(LockLevel::RunQueue, "runqueue", RunQueue::new()) }; MAX_CPUS];
static LOAD: [AtomicUsize; MAX_CPUS] = [const { AtomicUsize::new(0) }; MAX_CPUS];
/// The unpinned part of `LOAD`: what other CPUs may steal. Idle CPUs look
/// only at this, so a queue of pinned tasks never draws them to its lock.
static UNPINNED: [AtomicUsize; MAX_CPUS] = [const { AtomicUsize::new(0) }; MAX_CPUS];
/// Whether each CPU is running a task other than its idle task.
static BUSY: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];

/// Record whether `cpu` now runs a real task (called by `schedule`).
pub fn set_busy(cpu: usize, busy: bool) {
    BUSY[cpu].store(busy, Ordering::Relaxed);
}

/// Count `task` into `cpu`'s queue (call with the task just pushed).
fn counted_in(cpu: usize, task: &Task) {
    LOAD[cpu].fetch_add(1, Ordering::Relaxed);
    if task.pinned.is_none() {
        UNPINNED[cpu].fetch_add(1, Ordering::Relaxed);
    }
}

/// Count `task` out of `cpu`'s queue (call with the task just taken).
fn counted_out(cpu: usize, task: &Task) {
    LOAD[cpu].fetch_sub(1, Ordering::Relaxed);
    if task.pinned.is_none() {
        UNPINNED[cpu].fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runnable tasks on `cpu`: queued plus the running one.
fn load(cpu: usize) -> usize {
    LOAD[cpu].load(Ordering::Relaxed) + BUSY[cpu].load(Ordering::Relaxed) as usize
}

fn online(cpu: usize) -> bool {
    percpu::cpu(cpu).online.load(Ordering::Acquire)
}

/// Make `task` runnable on `cpu` and poke that CPU.
pub fn enqueue(task: Arc<Task>, cpu: usize) {
    let prio = task.priority;
    task.cpu.store(cpu, Ordering::Relaxed);
    task.set_state(TaskState::Ready);
    let (id, pid) = (task.id, task.log_pid);
    counted_in(cpu, &task);
    RQS[cpu].lock().push_back(task, prio);
    if cpu == percpu::cpu_id() {
        percpu::cpu(cpu).set_need_resched(true);
    } else {
        if super::trace_budget() {
            trace_enqueue(id, pid, cpu);
        }
        apic::send_ipi(cpu, apic::RESCHEDULE_IPI);
    }
}

#[cold]
#[inline(never)]
fn trace_enqueue(id: usize, pid: usize, cpu: usize) {
    let queued = LOAD[cpu].load(Ordering::Relaxed);
    if pid != 0 {
        crate::ktrace!("SCHED", "Enqueued task {} (pid {}) to CPU {} (runqueue size: {})", id, pid, cpu, queued);
    } else {
        crate::ktrace!("SCHED", "Enqueued task {} to CPU {} (runqueue size: {})", id, cpu, queued);
    }
    crate::ktrace!("IPI", "send RESCHED IPI → core{}", cpu);
}

/// Tasks waiting in `cpu`'s queue (not counting the running one).
pub fn queued(cpu: usize) -> usize {
    LOAD[cpu].load(Ordering::Relaxed)
}

/// Whether `cpu` has queued work.
pub fn has_work(cpu: usize) -> bool {
    LOAD[cpu].load(Ordering::Relaxed) > 0
}

/// Whether idle `cpu` should look for work: its own queue has some, or
/// another has a task it may steal (a hint; `pick_next` decides under the
/// locks).
pub fn work_for_idle(cpu: usize) -> bool {
    has_work(cpu) || UNPINNED.iter().any(|n| n.load(Ordering::Relaxed) > 0)
}

/// The online CPU with the least queued work.
pub fn least_loaded_cpu() -> usize {
    (0..MAX_CPUS)
        .filter(|&c| online(c))
        .min_by_key(|&c| (load(c), c != percpu::cpu_id()))
        .unwrap_or(0)
}

/// Where a woken task should run: its pinned CPU, else its last CPU if
/// online.
pub fn wake_target(task: &Task) -> usize {
    if let Some(cpu) = task.pinned {
        return cpu;
    }
    let cpu = task.cpu.load(Ordering::Relaxed);
    if online(cpu) { cpu } else { least_loaded_cpu() }
}

/// Choose the next task for `cpu`. `prev`, if given, is the still-running
/// current task (never the idle task): it is queued behind its peers first
/// (round-robin), or simply keeps the CPU if nothing else is queued here.
/// Otherwise, with nothing queued here, steal from another CPU.
/// Returns `None` if nothing is runnable (and `prev` was not given).
pub fn pick_next(cpu: usize, prev: Option<*mut Task>) -> Option<Arc<Task>> {
    if prev.is_some() && LOAD[cpu].load(Ordering::Relaxed) == 0 {
        return None; // yielding with nothing else queued here: keep running
    }
    {
        let mut rq = RQS[cpu].lock();
        if let Some(p) = prev {
            // SAFETY: `p` is the running task, kept alive by its CPU's
            // running slot; the queue gets its own strong reference.
            let arc = unsafe {
                Arc::increment_strong_count(p);
                Arc::from_raw(p)
            };
            arc.set_state(TaskState::Ready);
            let prio = arc.priority;
            counted_in(cpu, &arc);
            rq.push_back(arc, prio);
        }
        if let Some((task, _)) = rq.pop() {
            counted_out(cpu, &task);
            return Some(task);
        }
    }
    steal_for(cpu)
}

/// Whether a queued task may move to another CPU: not if pinned, and not
/// while the CPU it last ran on is still switching away from it (a task
/// woken before it finished blocking). Taking such a task makes the taker
/// spin, interrupts off, until that CPU finishes its switch; two CPUs that
/// each took the other's outgoing task would wait for each other forever.
/// (Checked under the victim's queue lock: a queued task's `on_cpu` can only
/// go from true to false.)
fn movable(task: &Arc<Task>) -> bool {
    task.pinned.is_none() && !task.on_cpu.load(Ordering::Acquire)
}

/// Take one task from the other CPU with the most unpinned queued tasks,
/// for `cpu`.
fn steal_for(cpu: usize) -> Option<Arc<Task>> {
    let victim = (0..MAX_CPUS)
        .filter(|&c| c != cpu && online(c))
        .max_by_key(|&c| UNPINNED[c].load(Ordering::Relaxed))?;
    if UNPINNED[victim].load(Ordering::Relaxed) == 0 {
        return None;
    }
    let (task, _) = RQS[victim].lock().steal_where(movable)?;
    counted_out(victim, &task);
    task.cpu.store(cpu, Ordering::Relaxed);
    crate::metrics::METRICS.migrations.fetch_add(1, Ordering::Relaxed);
    crate::metrics::METRICS.steals.fetch_add(1, Ordering::Relaxed);
    Some(task)
}

/// Move one task from the busiest to the idlest CPU if they differ by 2+.
pub fn balance() {
    let cpus = || (0..MAX_CPUS).filter(|&c| online(c));
    let (Some(busiest), Some(idlest)) = (cpus().max_by_key(|&c| load(c)), cpus().min_by_key(|&c| load(c))) else {
        return;
    };
    if load(busiest) < load(idlest) + 2 || UNPINNED[busiest].load(Ordering::Relaxed) == 0 {
        return;
    }
    let Some((task, _)) = RQS[busiest].lock().steal_where(movable) else { return };
    counted_out(busiest, &task);
    crate::metrics::METRICS.migrations.fetch_add(1, Ordering::Relaxed);
    enqueue(task, idlest);
}
