//! The scheduler: per-CPU run queues, preemptive priority scheduling,
//! sleeping and blocking.
//!
//! * Three priorities (High, Normal, Low), O(1) selection from a bitmap of
//!   non-empty levels, round-robin within a level (the `runqueue` crate).
//!   Starvation: after 8 consecutive picks from higher levels while a lower
//!   level waits, the lower level is served once (aging, see `runqueue`).
//! * Preemption: every timer tick (SCHED_HZ) ends the running task's time
//!   slice by setting `need_resched`; the switch happens on the way out of
//!   the interrupt, unless preemption is disabled, in which case it happens
//!   at the `preempt_enable` that re-enables it.
//! * Each CPU runs its own queue; new tasks go to the least-loaded CPU, idle
//!   CPUs steal (from their idle loop, at least every tick), and CPU 0
//!   rebalances every 100 ms (`runq`).
//! * CPU affinity: every task carries a mask of the CPUs it may run on, and
//!   placement, stealing, balancing and each pick honour it (`runq`);
//!   `affinity::set` changes it and moves the task (`affinity`). Right
//!   after a CPU claims a task (`on_cpu`) it re-reads the mask, so a mask
//!   changed between the choice and the claim is never overrun.
//!
//! Per-CPU state (the running slot, `SWITCHED_FROM`) is written only by its own CPU
//! with interrupts disabled. A task's `on_cpu` flag keeps two CPUs from
//! running it at once: a CPU that picked a task still switching out
//! elsewhere waits for the flag to clear (`schedule`).

pub mod context;
pub mod affinity;
mod current;
mod resume;
mod runq;
pub mod pollee;
pub mod sleep;
pub mod task;
mod task_data;
pub mod wait;

use crate::arch::{irq, percpu, trap::TrapFrame};
use crate::config::MAX_CPUS;
use crate::metrics::METRICS;
use crate::mm::pmm::OutOfMemory;
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicPtr, Ordering};
use task::{Task, TaskState};

pub use task::{Priority, TaskId};
pub use task_data::TaskData;
pub use current::{current, current_fpu_copy, current_fs_base, set_current_fpu, set_current_fs_base, try_current_name, with_current, with_user_frame};
pub(crate) use current::set_current_root;
pub use resume::{end_interruptible_wait, on_trap_exit, set_current_user_work, schedule_if_needed, set_resume_hook, set_user_work};
use current::{running, set_running};
use resume::run_resume_hook;

/// The task a CPU just switched away from, until `finish_switch` releases it.
static SWITCHED_FROM: [AtomicPtr<Task>; MAX_CPUS] = [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_CPUS];
/// Each CPU's idle task (never freed).
static IDLE: [AtomicPtr<Task>; MAX_CPUS] = [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_CPUS];

/// The boot log shows each CPU's first few switches and the first few
/// cross-CPU wake-ups (as in the spec's sample output); then it goes quiet.
const TRACED_SWITCHES_PER_CPU: u64 = 2;
static TRACE_BUDGET: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(4);

/// Whether one more cross-CPU scheduling event may be logged.
fn trace_budget() -> bool {
    TRACE_BUDGET.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(1)).is_ok()
}

/// Set up the scheduler on the BSP: the boot context becomes CPU 0's idle task.
pub fn init() {
    crate::sched_info!("Initializing scheduler...");
    adopt_boot_context(0);
}

fn adopt_boot_context(cpu: usize) {
    let idle = Arc::into_raw(Task::new_idle(cpu)) as *mut Task;
    IDLE[cpu].store(idle, Ordering::Release);
    // SAFETY: `idle` came from Arc::into_raw; the running slot gets its own reference.
    unsafe { Arc::increment_strong_count(idle) };
    set_running(cpu, idle);
    percpu::cpu(cpu).online.store(true, Ordering::Release);
    runq::mark_online(cpu);
}

/// Become this CPU's idle loop. The BSP calls it at the end of boot; each
/// AP calls it once its hardware is set up.
pub fn enter_idle(cpu: usize) -> ! {
    if IDLE[cpu].load(Ordering::Acquire).is_null() {
        adopt_boot_context(cpu);
    }
    loop {
        // Deferred work that must not run under a lock (see `mm::kstack`).
        crate::mm::kstack::trim_cache();
        irq::disable();
        if runq::work_for_idle(cpu) {
            schedule();
        }
        // `sti; hlt` is atomic: a wake-up IPI cannot slip in between.
        irq::enable_and_halt();
    }
}

/// Create a kernel task running `body` at `priority` and make it runnable
/// on the least-loaded CPU.
pub fn spawn_task(name: &'static str, body: impl FnOnce() + Send + 'static, priority: Priority) -> Result<TaskId, OutOfMemory> {
    let task = Task::new_kernel(name, priority, None, Box::new(body))?;
    let id = task.id;
    let cpu = runq::place(&task);
    runq::enqueue(task, cpu);
    Ok(id)
}

/// Make a new (user) task runnable on the least-loaded CPU its mask allows.
pub fn start(task: Arc<Task>) {
    let cpu = runq::place(&task);
    runq::enqueue(task, cpu);
}

/// Make a new task runnable in `cpu`'s queue, bypassing placement, if its
/// mask allows `cpu` (else where placement puts it: a pinned task always
/// goes to its own CPU).
pub fn start_on(task: Arc<Task>, cpu: usize) {
    let cpu = if task.allowed(cpu) && runq::online_mask().contains(cpu) { cpu } else { runq::place(&task) };
    runq::enqueue(task, cpu);
}

/// Tasks waiting in `cpu`'s run queue, not counting the one running there
/// (a snapshot: with interrupts off on `cpu`, only other CPUs' wake-ups
/// can add to it).
pub fn queued(cpu: usize) -> usize {
    runq::queued(cpu)
}

/// Give up the CPU; the caller stays runnable.
pub fn yield_now() {
    schedule();
}

/// Terminate the current task. Its resources go when the last reference
/// does (for user tasks: when the parent reaps the process).
pub fn exit_current() -> ! {
    with_current(|t| t.set_state(TaskState::Terminated));
    schedule();
    unreachable!("a terminated task was scheduled again");
}

/// Make a sleeping or blocked task runnable. Returns false if it was not
/// waiting (someone else woke it first).
pub fn wake(task: &Arc<Task>) -> bool {
    if task.transition(TaskState::Blocked, TaskState::Ready)
        || task.transition(TaskState::Sleeping, TaskState::Ready)
    {
        METRICS.wake_count.fetch_add(1, Ordering::Relaxed);
        runq::enqueue(task.clone(), runq::wake_target(task));
        true
    } else {
        false
    }
}

/// Pick the next task and switch to it. The current task is re-queued if it
/// is still Running (preempted or yielding); a Blocked, Sleeping or
/// Terminated task is not.
pub fn schedule() {
    let was_enabled = irq::save_and_disable();
    let cpu = percpu::cpu_id();
    let me = percpu::cpu(cpu);
    debug_assert_eq!(me.preempt_count(), 0, "schedule() with preemption disabled");
    me.set_need_resched(false);
    let prev_ptr = running(cpu);
    // SAFETY: the running slot holds a strong reference to the running task.
    let prev = unsafe { &*prev_ptr };

    let keep_running = prev.state() == TaskState::Running;
    // The idle task is never queued: it runs when nothing else can. A task
    // whose mask no longer allows this CPU is queued elsewhere once we are
    // off its stack (`finish_switch`).
    let requeue = keep_running && !prev.is_idle();
    let leave = requeue && !prev.allowed(cpu);
    if leave {
        runq::defer_migration(cpu);
    }
    let next = runq::pick_next(cpu, (requeue && !leave).then_some(prev_ptr));
    let next_ptr = match next {
        Some(t) => Arc::into_raw(t) as *mut Task,
        None if keep_running && !leave => {
            irq::restore(was_enabled);
            return;
        }
        None => {
            let idle = IDLE[cpu].load(Ordering::Relaxed);
            // SAFETY: idle tasks are never freed; take a reference for the running slot.
            unsafe { Arc::increment_strong_count(idle) };
            idle
        }
    };
    let next_ptr = if next_ptr != prev_ptr {
        next_ptr
    } else {
        // We picked ourselves (re-queued, or woken while blocking, and
        // popped): drop the extra reference.
        // SAFETY: `next_ptr` carries the reference `pick_next` returned.
        unsafe { Arc::decrement_strong_count(next_ptr) };
        if prev.allowed(cpu) {
            prev.set_state(TaskState::Running);
            irq::restore(was_enabled);
            return;
        }
        // Our mask lost this CPU meanwhile: go, as `leave` does.
        leave_for_idle(cpu)
    };
    // SAFETY: `next_ptr` carries a strong reference, now owned by the running slot.
    let mut next = unsafe { &*next_ptr };
    while next.on_cpu.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    next.cpu.store(cpu, Ordering::Relaxed);
    // Claim, then re-read the mask (both SeqCst, paired with
    // `affinity::set`'s store-then-read of `on_cpu`): either we see a new
    // mask or the setter sees us on this CPU and makes us leave.
    next.on_cpu.store(true, Ordering::SeqCst);
    let next_ptr = if affinity::allows_now(next, cpu) {
        next_ptr
    } else {
        let idle = refuse(next_ptr, cpu);
        if idle == prev_ptr {
            // Refused our pick and we are the idle task: stay idle.
            // SAFETY: `refuse` took a reference for the running slot; we keep ours.
            unsafe { Arc::decrement_strong_count(idle) };
            irq::restore(was_enabled);
            return;
        }
        idle
    };
    // SAFETY: as above (the idle task, if `refuse` switched to it).
    next = unsafe { &*next_ptr };
    next.set_state(TaskState::Running);

    runq::set_busy(cpu, !next.is_idle());
    switch_mm_and_fpu(cpu, prev, next);
    set_running(cpu, next_ptr);
    SWITCHED_FROM[cpu].store(prev_ptr, Ordering::Release);
    METRICS.ctx_switches.fetch_add(1, Ordering::Relaxed);
    let n = me.stats.context_switches.fetch_add(1, Ordering::Relaxed) + 1;
    if n <= TRACED_SWITCHES_PER_CPU {
        trace_switch(cpu, n, next);
    }

    // SAFETY: `next` is not running anywhere (on_cpu was clear and is now
    // ours) and its saved stack pointer is valid; prev's slot stays valid
    // because SWITCHED_FROM keeps prev alive until `finish_switch`.
    unsafe { context::switch(prev.saved_rsp.get(), *next.saved_rsp.get()) };

    // Back in `prev`, maybe on another CPU.
    finish_switch();
    irq::restore(was_enabled);
}

/// The running task, just popped again by `cpu`, may no longer run here:
/// have `finish_switch` queue it elsewhere, and run the idle task (with a
/// reference for the running slot) meanwhile.
#[cold]
#[inline(never)]
fn leave_for_idle(cpu: usize) -> *mut Task {
    runq::defer_migration(cpu);
    let idle = IDLE[cpu].load(Ordering::Relaxed);
    // SAFETY: idle tasks are never freed; take a reference for the running slot.
    unsafe { Arc::increment_strong_count(idle) };
    idle
}

/// `next`, just claimed by `cpu`, turned out not allowed here (its mask
/// changed after the pick): release it, queue it on an allowed CPU, and
/// run this CPU's idle task instead (which looks for work at once).
/// Returns the idle task with a reference for the running slot.
#[cold]
#[inline(never)]
fn refuse(next_ptr: *mut Task, cpu: usize) -> *mut Task {
    // SAFETY: `next_ptr` carries the strong reference `pick_next` returned;
    // it goes back to a run queue.
    let next = unsafe { Arc::from_raw(next_ptr) };
    next.on_cpu.store(false, Ordering::Release);
    let to = runq::wake_target(&next);
    runq::enqueue(next, to);
    let idle = IDLE[cpu].load(Ordering::Relaxed);
    // SAFETY: idle tasks are never freed; take a reference for the running slot.
    unsafe { Arc::increment_strong_count(idle) };
    idle
}

#[cold]
#[inline(never)]
fn trace_switch(cpu: usize, n: u64, next: &Task) {
    if !next.is_idle() {
        crate::kmsg::log(crate::kmsg::level::DEBUG, format_args!("[SCHED][core{}] Switch #{} → Task {} ({})", cpu, n, next.id, next.name));
    }
}

/// Load `next`'s address space, kernel stack, FPU state and (user tasks)
/// FS base.
fn switch_mm_and_fpu(cpu: usize, prev: &Task, next: &Task) {
    let cr3 = next.cr3.load(Ordering::Relaxed);
    if crate::arch::cpu::read_cr3() != cr3 || next.is_user() {
        // Before the load: a flush of this space after it must reach us.
        crate::mm::tlb::note_loaded(cpu, cr3);
        // SAFETY: every address space shares the kernel half, so the kernel
        // keeps running after the switch. User tasks always reload CR3 so no
        // stale user TLB entries survive a migration.
        unsafe { crate::arch::cpu::write_cr3(cr3) };
    }
    let top = next.kernel_stack_top();
    if top != 0 {
        crate::arch::gdt::set_rsp0(cpu, top);
        percpu::cpu(cpu).set_kernel_rsp(top);
    }
    if let Some(fx) = &prev.fx {
        // SAFETY: prev is running on this CPU; its area is ours to write.
        unsafe { context::fxsave(&mut *fx.get()) };
    }
    if let Some(fx) = &next.fx {
        // SAFETY: next's on_cpu is ours; its area holds a saved state.
        unsafe { context::fxrstor(&*fx.get()) };
        // SAFETY: `fs_base` only ever holds a lower-half (canonical) address
        // (`set_current_fs_base`), and the kernel does not use FS.
        unsafe { crate::arch::cpu::write_msr(crate::arch::cpu::MSR_FS_BASE, next.fs_base.load(Ordering::Relaxed)) };
    }
}

/// Bookkeeping right after a switch, in the new task: release the task we
/// switched away from so other CPUs may run it (or free it).
fn finish_switch() {
    let cpu = percpu::cpu_id();
    let prev = SWITCHED_FROM[cpu].swap(core::ptr::null_mut(), Ordering::AcqRel);
    if !prev.is_null() {
        // SAFETY: SWITCHED_FROM holds the reference the running slot had.
        let prev = unsafe { Arc::from_raw(prev) };
        prev.on_cpu.store(false, Ordering::Release);
        if runq::take_deferred(cpu) {
            // Its mask no longer allows this CPU (`schedule`).
            let to = runq::wake_target(&prev);
            runq::enqueue(prev, to);
        } else {
            drop(prev);
        }
    }
}

/// First code a new task runs (from `task_trampoline`, interrupts off).
/// Kernel tasks (`frame == 0`) run their body and exit; user tasks return
/// to the trampoline, which enters ring 3 through their trap frame.
extern "C" fn first_run(frame: u64) {
    finish_switch();
    if frame != 0 {
        // A new user task: work left for its first way out (fork's
        // CLONE_CHILD_SETTID, a signal sent before it ran).
        if with_current(|t| t.user_work.load(Ordering::Relaxed)) {
            // SAFETY: `frame` is this task's own initial trap frame at the
            // top of its kernel stack (`prepare_user`), which the trampoline
            // pops right after we return; nothing else refers to it.
            run_resume_hook(unsafe { &mut *(frame as *mut TrapFrame) });
        }
        return;
    }
    let body = with_current(|t| {
        // SAFETY: only the task itself takes its body, once, on first run.
        unsafe { (*t.entry.get()).take() }
    });
    irq::enable();
    if let Some(body) = body {
        body();
    }
    exit_current();
}

/// Timer interrupt on this CPU (after EOI).
pub fn timer_tick() {
    let (_g, me) = percpu::this_cpu();
    me.stats.timer_ticks.fetch_add(1, Ordering::Relaxed);
    crate::watchdog::tick(me.cpu_id);
    METRICS.timer_ticks.fetch_add(1, Ordering::Relaxed);
    if me.cpu_id == 0 {
        let now = sleep::tick();
        crate::kmsg::tick();
        if now.is_multiple_of(runq::BALANCE_TICKS) {
            runq::balance();
        }
    }
    // The time slice is one tick: let the next ready task run.
    if runq::has_work(me.cpu_id) {
        me.set_need_resched(true);
        METRICS.preemptions.fetch_add(1, Ordering::Relaxed);
    }
}

/// RESCHEDULE_IPI: another CPU queued work for us.
pub fn resched_ipi() {
    if let Some(me) = percpu::try_this_cpu() {
        me.set_need_resched(true);
    }
}
