//! Per-CPU run queues: placement, stealing and load balancing, all within
//! each task's CPU affinity mask.
//!
//! Each CPU has one [`RunQueue`] behind an IRQ-safe lock (level
//! `RunQueue`). A CPU takes at most one run-queue lock at a time (stealing
//! and balancing pop from one queue, release it, then push to another), so
//! run-queue locks can never deadlock with each other. `LOAD` mirrors each
//! queue's length, and `UNPINNED` its stealable part (tasks allowed on more
//! than one CPU), for lock-free placement and stealing decisions.
//!
//! * New tasks go to the allowed online CPU with the fewest runnable tasks
//!   (queued plus running).
//! * A woken task goes back to the CPU it last ran on (cache affinity) if
//!   its mask still allows it, else to the least-loaded allowed CPU.
//! * A task only ever runs on a CPU of its mask (`Task::affinity`): steals
//!   and balancing take only tasks the receiving CPU may run, and a CPU that
//!   claims a task its mask no longer allows moves it on (`sched::schedule`).
//! * A CPU whose own queue is empty steals from the busiest queues (up to
//!   `STEAL_TRIES` of them): when its task blocks or exits, and from its
//!   idle loop (woken by its own timer tick at the latest).
//! * Every `BALANCE_TICKS` ticks (100 ms at 20 Hz) CPU 0 moves one task
//!   from the busiest to the idlest CPU when they differ by two or more.
//! * Queuing work on another CPU sends it `RESCHEDULE_IPI` (vector 0x30).
//!
//! Invariant (what keeps two CPUs from waiting on each other): a task whose
//! `on_cpu` is set (still switching away) sits only in the queue of the CPU
//! it is switching away on. Wake-ups send such a task back there; a task
//! that must leave a CPU it is still on is queued elsewhere only after that
//! CPU finished switching away from it (`take_deferred`).

use super::task::{Task, TaskState};
use crate::arch::{apic, percpu};
use crate::config::MAX_CPUS;
use crate::sync::{IrqSpinLock, LockLevel};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use runqueue::cpumask::{self, CpuMask};
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
/// The CPUs whose scheduler runs (bit n = CPU n); bits are only ever set.
static ONLINE: AtomicU64 = AtomicU64::new(0);
/// Set by a CPU's `schedule` when the task it switches away from must move
/// to another CPU (its mask no longer allows this one): `finish_switch`
/// queues it elsewhere once this CPU is off its stack. Own CPU only.
static DEFERRED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// Queues an idle CPU tries before giving up a steal.
const STEAL_TRIES: usize = 3;

/// Record that `cpu`'s scheduler runs (once, as it adopts its boot context).
pub fn mark_online(cpu: usize) {
    ONLINE.fetch_or(CpuMask::single(cpu).0, Ordering::Release);
}

/// The CPUs whose scheduler runs.
pub fn online_mask() -> CpuMask {
    CpuMask(ONLINE.load(Ordering::Acquire))
}

/// Ask `cpu`'s `finish_switch` to queue the task it switched away from on
/// an allowed CPU.
pub fn defer_migration(cpu: usize) {
    DEFERRED[cpu].store(true, Ordering::Relaxed);
}

/// Whether a migration was deferred on `cpu` (and clear the request).
pub fn take_deferred(cpu: usize) -> bool {
    DEFERRED[cpu].load(Ordering::Relaxed) && DEFERRED[cpu].swap(false, Ordering::Relaxed)
}

/// Record whether `cpu` now runs a real task (called by `schedule`).
pub fn set_busy(cpu: usize, busy: bool) {
    BUSY[cpu].store(busy, Ordering::Relaxed);
}

/// Count `task` into `cpu`'s queue (call with the task being pushed).
fn counted_in(cpu: usize, task: &Task) {
    LOAD[cpu].fetch_add(1, Ordering::Relaxed);
    let stealable = task.spread.load(Ordering::Relaxed);
    task.stealable.store(stealable, Ordering::Relaxed);
    if stealable {
        UNPINNED[cpu].fetch_add(1, Ordering::Relaxed);
    }
}

/// Count `task` out of `cpu`'s queue (call with the task just taken), as
/// it was counted in.
fn counted_out(cpu: usize, task: &Task) {
    LOAD[cpu].fetch_sub(1, Ordering::Relaxed);
    if task.stealable.load(Ordering::Relaxed) {
        UNPINNED[cpu].fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runnable tasks on `cpu`: queued plus the running one.
fn load(cpu: usize) -> usize {
    LOAD[cpu].load(Ordering::Relaxed) + BUSY[cpu].load(Ordering::Relaxed) as usize
}

fn online(cpu: usize) -> bool {
    online_mask().contains(cpu)
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

/// Where a new task starts: the allowed online CPU with the least work
/// (ties: this CPU, then the lowest id).
pub fn place(task: &Task) -> usize {
    let allowed = task.affinity().and(online_mask());
    cpumask::least_loaded(allowed, load, percpu::cpu_id()).unwrap_or_else(|| fallback(task))
}

/// Some online CPU, for a mask that has none (cannot happen: masks are
/// checked against the online CPUs when set, and CPUs never go offline).
#[cold]
fn fallback(task: &Task) -> usize {
    crate::klog!("SCHED", "task {} has no online CPU in its mask {:#x}", task.id, task.affinity().0);
    online_mask().lowest().unwrap_or(0)
}

/// Where a woken task should run: its last CPU if its mask allows it (the
/// hot path: one bit test), else the least-loaded allowed CPU. A task
/// still switching away goes back to the CPU it is on, whatever its mask
/// (module invariant); that CPU's `pick_next` moves it on if need be.
pub fn wake_target(task: &Task) -> usize {
    let last = task.cpu.load(Ordering::Relaxed);
    if task.on_cpu.load(Ordering::Acquire) {
        return last;
    }
    let allowed = task.affinity().and(online_mask());
    cpumask::wake_cpu(last, allowed, load, percpu::cpu_id()).unwrap_or_else(|| fallback(task))
}

/// Choose the next task for `cpu` (its mask is checked once the CPU
/// claims it: `sched::schedule`, which refuses a task whose mask changed
/// while it waited here). `prev`, if given, is the still-running
/// current task (never the idle task): it is queued behind its peers first
/// (round-robin), or simply keeps the CPU if nothing else is queued here.
/// Otherwise, with nothing queued here, steal from another CPU.
/// Returns `None` if nothing is runnable (and `prev` was not given).
#[inline(always)]
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

/// Take `task` out of its queue and queue it on an allowed CPU if its mask
/// does not allow the queue's CPU (after `sched::affinity::set`). Not a
/// task still switching away: the CPU it is on moves it when it pops it.
pub fn move_if_disallowed(task: &Arc<Task>) {
    let q = task.cpu.load(Ordering::Acquire);
    if task.allowed(q) {
        return;
    }
    let taken = RQS[q].lock().remove(|t| Arc::ptr_eq(t, task) && !t.on_cpu.load(Ordering::Acquire));
    if let Some(t) = taken {
        counted_out(q, &t);
        crate::metrics::METRICS.migrations.fetch_add(1, Ordering::Relaxed);
        let to = wake_target(&t);
        enqueue(t, to);
    }
}

/// Ask `cpu` to reschedule (so that a task running there outside its mask
/// leaves it).
pub fn kick(cpu: usize) {
    if cpu == percpu::cpu_id() {
        percpu::cpu(cpu).set_need_resched(true);
    } else {
        apic::send_ipi(cpu, apic::RESCHEDULE_IPI);
    }
}

/// Whether a queued task may move to CPU `to`: only if its mask allows
/// `to`, and not while the CPU it last ran on is still switching away from
/// it (a task woken before it finished blocking). Taking such a task makes
/// the taker spin, interrupts off, until that CPU finishes its switch; two
/// CPUs that each took the other's outgoing task would wait for each other
/// forever. (Checked under the victim's queue lock: a queued task's
/// `on_cpu` can only go from true to false.)
fn movable(task: &Arc<Task>, to: usize) -> bool {
    task.allowed(to) && !task.on_cpu.load(Ordering::Acquire)
}

/// Take one task for `cpu` from the other CPUs with the most stealable
/// queued tasks (busiest first, at most `STEAL_TRIES` queues).
fn steal_for(cpu: usize) -> Option<Arc<Task>> {
    let mut tried = CpuMask::single(cpu);
    for _ in 0..STEAL_TRIES {
        let victim = cpumask::busiest(online_mask(), tried, |c| UNPINNED[c].load(Ordering::Relaxed))?;
        tried = tried.with(victim);
        let Some((task, _)) = RQS[victim].lock().steal_where(|t| movable(t, cpu)) else { continue };
        counted_out(victim, &task);
        task.cpu.store(cpu, Ordering::Relaxed);
        crate::metrics::METRICS.migrations.fetch_add(1, Ordering::Relaxed);
        crate::metrics::METRICS.steals.fetch_add(1, Ordering::Relaxed);
        return Some(task);
    }
    None
}

/// Move one task from the busiest to the idlest CPU if they differ by 2+
/// (a task the idlest CPU may run).
pub fn balance() {
    let cpus = || (0..MAX_CPUS).filter(|&c| online(c));
    let (Some(busiest), Some(idlest)) = (cpus().max_by_key(|&c| load(c)), cpus().min_by_key(|&c| load(c))) else {
        return;
    };
    if load(busiest) < load(idlest) + 2 || UNPINNED[busiest].load(Ordering::Relaxed) == 0 {
        return;
    }
    let Some((task, _)) = RQS[busiest].lock().steal_where(|t| movable(t, idlest)) else { return };
    counted_out(busiest, &task);
    crate::metrics::METRICS.migrations.fetch_add(1, Ordering::Relaxed);
    enqueue(task, idlest);
}
