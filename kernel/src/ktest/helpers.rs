//! Helpers shared by the scheduler, preemption, IPC and SMP tests: bounded
//! waits (`wait_until`), timer detection, pinned task creation
//! (`spawn_on`, `place_on`), a gate that holds tasks until opened, error
//! collection across tasks, and `Defer` for clean-up on every exit path.

use crate::arch::percpu;
use crate::config::{MAX_CPUS, SCHED_HZ};
use crate::sched::sleep::{now, sleep};
use crate::sched::task::Task;
use crate::sched::wait::WaitQueue;
use crate::sched::{self, Priority};
use crate::sync::{LockLevel, SpinLock};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering::*};

/// Ticks of lateness tolerated where a wake-up or preemption is due. A
/// correct kernel is at most a tick late, but QEMU's vCPU threads share two
/// host cores with other runs, and a descheduled vCPU sees several ticks
/// at once. The failures these tests look for are "never" (or "early").
pub(super) const LATE: u64 = 10;

struct GateState {
    /// Whether the gate is open, and the tasks blocked at it.
    open: SpinLock<(bool, WaitQueue)>,
    started: AtomicUsize,
    done: AtomicUsize,
}

/// Tasks that start, block until the gate opens, and exit. Blocked tasks
/// cost nothing (no polling), and opening wakes them all at once. The gate
/// opens when dropped at the latest.
pub(super) struct Gate(Arc<GateState>);

impl Gate {
    /// How many tasks have reached the gate.
    pub(super) fn started(&self) -> usize {
        self.0.started.load(Relaxed)
    }

    pub(super) fn new() -> Gate {
        Gate(Arc::new(GateState {
            // Outermost level: the waker then takes run-queue locks.
            open: SpinLock::new(LockLevel::ProcessTable, "ktest-gate", (false, WaitQueue::new())),
            started: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
        }))
    }

    pub(super) fn body(&self) -> impl FnOnce() + Send + 'static {
        let g = self.0.clone();
        move || {
            g.started.fetch_add(1, Relaxed);
            loop {
                let mut gate = g.open.lock();
                if gate.0 {
                    break;
                }
                gate.1.enqueue_current();
                drop(gate);
                sched::wait::block();
            }
            g.done.fetch_add(1, Release);
        }
    }

    pub(super) fn open(&self) {
        let mut gate = self.0.open.lock();
        gate.0 = true;
        gate.1.wake_all();
    }

    pub(super) fn open_and_wait(&self, n: usize) -> Result<(), String> {
        self.open();
        wait_until(100, "all gated tasks to exit", || self.0.done.load(Acquire) == n)
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.open();
    }
}

// ---- helpers (shared with ipc_tests and smp_tests) -------------------------

/// Generous bound on TSC cycles per scheduler tick (a TSC of up to 6 GHz),
/// for watchdogs that must not rely on the tick.
pub(super) const TSC_PER_TICK_MAX: u64 = 6_000_000_000 / SCHED_HZ;

pub(super) fn tsc() -> u64 {
    crate::arch::cpu::rdtsc()
}

/// TSC cycles since `start` (0 if this CPU's TSC is behind the one that read `start`).
pub(super) fn since(start: u64) -> u64 {
    tsc().saturating_sub(start)
}

static TIMER: AtomicU8 = AtomicU8::new(0);

/// Whether the scheduler tick advances (checked once, within about a second).
pub(super) fn timer_ticking() -> bool {
    match TIMER.load(Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let (t0, s) = (now(), tsc());
            let ok = loop {
                if now() != t0 {
                    break true;
                }
                if since(s) > 10 * TSC_PER_TICK_MAX {
                    break false;
                }
                sched::yield_now();
            };
            TIMER.store(if ok { 1 } else { 2 }, Relaxed);
            ok
        }
    }
}

pub(super) fn need_timer() -> Result<(), String> {
    if timer_ticking() { Ok(()) } else { Err(String::from("needs the scheduler tick, which is not running")) }
}

/// Let others run for a while: one tick if the timer runs, else a yield.
pub(super) fn pause() {
    if timer_ticking() {
        sleep(1);
    } else {
        sched::yield_now();
    }
}

/// Poll `cond` until it holds; fail after `ticks` ticks, or a few times
/// their TSC equivalent if the tick is absent or stops. (Under a host
/// overloaded with vCPUs, ticks get coalesced and fall behind the TSC.)
pub(super) fn wait_until(ticks: u64, what: &str, mut cond: impl FnMut() -> bool) -> Result<(), String> {
    let (t0, s) = (now(), tsc());
    loop {
        if cond() {
            return Ok(());
        }
        if now() - t0 > ticks || since(s) > (ticks + 1) * 3 * TSC_PER_TICK_MAX {
            return Err(format!("timed out after {} ticks waiting for {}", now() - t0, what));
        }
        pause();
    }
}

/// A kernel task running `body`, not yet runnable; pinned to `pinned` if given.
pub(super) fn new_task(
    name: &'static str,
    prio: Priority,
    pinned: Option<usize>,
    body: impl FnOnce() + Send + 'static,
) -> Result<Arc<Task>, String> {
    Task::new_kernel(name, prio, pinned, Box::new(body)).map_err(|_| format!("out of memory creating task {name}"))
}

/// Make a new task runnable: a pinned task on its CPU, another one on
/// `cpu`'s queue (bypassing placement; balancing may move it later).
pub(super) fn start_on(task: &Arc<Task>, cpu: usize) {
    sched::start_on(task.clone(), cpu);
}

/// Spawn a task pinned to `cpu`. The handle lets the caller watch its state.
pub(super) fn spawn_on(cpu: usize, name: &'static str, prio: Priority, body: impl FnOnce() + Send + 'static) -> Result<Arc<Task>, String> {
    let task = new_task(name, prio, Some(cpu), body)?;
    start_on(&task, cpu);
    Ok(task)
}

/// Spawn an unpinned task that starts in `cpu`'s queue.
pub(super) fn place_on(cpu: usize, name: &'static str, prio: Priority, body: impl FnOnce() + Send + 'static) -> Result<Arc<Task>, String> {
    let task = new_task(name, prio, None, body)?;
    start_on(&task, cpu);
    Ok(task)
}

/// Spawn a task through the normal placement (least-loaded CPU).
pub(super) fn spawn(name: &'static str, prio: Priority, body: impl FnOnce() + Send + 'static) -> Result<(), String> {
    sched::spawn_task(name, body, prio).map(|_| ()).map_err(|_| format!("out of memory spawning {name}"))
}

/// The online CPUs, in id order.
pub(super) fn online_cpus() -> Vec<usize> {
    (0..MAX_CPUS).filter(|&c| percpu::cpu(c).online.load(Acquire)).collect()
}

/// Receive and drop whatever is queued on `port` (no receiver may be waiting).
pub(super) fn drain(port: usize) {
    while crate::sys::port::queued(port) > 0 {
        let _ = crate::sys::port::recv(port);
    }
}

/// After a failed exchange: send `filler` `rounds` times to each of
/// `ports` to unblock the tasks still waiting there, give them `ticks` to
/// leave (`gone`), then empty the ports.
pub(super) fn release_ports(ports: &[usize], filler: &[u8], rounds: usize, ticks: u64, gone: impl FnMut() -> bool) {
    for _ in 0..rounds {
        for &p in ports {
            let _ = crate::sys::port::send(p, filler.to_vec());
        }
    }
    let _ = wait_until(ticks, "the tasks to leave", gone);
    ports.iter().for_each(|&p| drain(p));
}

/// Frames free, held by the kernel-stack cache, or become kernel page
/// tables (those are never freed: the stack area's tables grow with the
/// most stacks ever live, as `res.kernel_tables` counts for user-space
/// leak checks). What leak checks compare.
pub(super) fn available_frames() -> usize {
    crate::mm::pmm::free_frames() + crate::mm::kstack::cached_frames() + crate::mm::kernel_space::runtime_tables()
}

/// Timer ticks CPU `cpu` has taken.
pub(super) fn cpu_ticks(cpu: usize) -> u64 {
    percpu::cpu(cpu).stats.timer_ticks.load(Relaxed)
}

/// Errors reported by tasks, checked by the test afterwards.
pub(super) type Errors = Arc<SpinLock<Vec<String>>>;

pub(super) fn errors() -> Errors {
    // Outermost level: a reporter holds no other lock.
    Arc::new(SpinLock::new(LockLevel::ProcessTable, "ktest-errors", Vec::new()))
}

pub(super) fn report(errs: &Errors, msg: String) {
    errs.lock().push(msg);
}

pub(super) fn check(errs: &Errors) -> Result<(), String> {
    let e = errs.lock();
    match e.first() {
        None => Ok(()),
        Some(first) => Err(format!("{} task error(s), first: {}", e.len(), first)),
    }
}

/// Runs its closure when dropped (cleanup on every exit path).
pub(super) struct Defer<F: FnMut()>(pub F);

impl<F: FnMut()> Drop for Defer<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// The CPU ids set in a bit mask.
pub(super) fn cpu_list(mask: u32) -> Vec<usize> {
    (0..32).filter(|c| mask & (1 << c) != 0).collect()
}
