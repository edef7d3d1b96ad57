//! Per-CPU data, reached through GS.BASE.
//!
//! Each CPU owns one [`PerCpu`] in the static array `CPUS`. While the CPU runs
//! kernel code, GS.BASE points at its entry (user code has its own GS.BASE;
//! every entry from user space executes `swapgs`, see `trap.rs` and
//! `syscall.rs`). The first fields are at fixed offsets because assembly
//! reads them: `gs:0` self pointer, `gs:8` kernel stack top for `syscall`,
//! `gs:16` scratch slot for the user stack pointer.
//!
//! Invariant: the `Cell` fields are touched only by the owning CPU, with
//! interrupts off or preemption disabled, so they need no lock; fields other
//! CPUs read are atomics. [`this_cpu`] hands out the current CPU's entry
//! inside a [`PreemptGuard`] so the caller cannot migrate while using it.

use crate::config::MAX_CPUS;
use crate::sync::lock_ordering::LEVELS;
use crate::sync::preempt::PreemptGuard;
use core::cell::Cell;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};

/// Offsets used by assembly.
pub const OFF_KERNEL_RSP: usize = 8;
pub const OFF_USER_RSP: usize = 16;
pub const OFF_CURRENT: usize = 24;
const OFF_NEED_RESCHED: usize = 32;
const OFF_PREEMPT_COUNT: usize = 36;

#[repr(C, align(64))]
pub struct PerCpu {
    self_ptr: AtomicPtr<PerCpu>,
    /// Top of the current task's kernel stack (mirrors TSS.RSP0).
    kernel_rsp: AtomicU64,
    /// Scratch: the user RSP on `syscall` entry.
    user_rsp: AtomicU64,
    /// The running task (an `Arc<Task>` turned raw; owned by `sched`).
    pub current: AtomicPtr<()>,
    /// A task switch is due (0 or 1; checked on every return from a trap).
    /// 32 bits wide and right below `preempt_count`, so one 64-bit load
    /// reads both (`preemption_due`).
    need_resched: AtomicU32,
    preempt_count: Cell<u32>,
    /// Dense CPU index (0 = bootstrap processor).
    pub cpu_id: usize,
    /// Local APIC id.
    pub apic_id: AtomicU32,
    /// Set once the CPU runs its scheduler.
    pub online: AtomicBool,
    held_locks: [Cell<u8>; LEVELS],
    last_lock: Cell<&'static str>,
    /// Counters (read by anyone).
    pub stats: CpuStats,
}

/// Per-CPU counters.
#[derive(Default)]
pub struct CpuStats {
    pub timer_ticks: AtomicU64,
    pub context_switches: AtomicU64,
}

// SAFETY: `Cell` fields are only accessed by the owning CPU (module
// invariant); everything else is atomic.
unsafe impl Sync for PerCpu {}

impl PerCpu {
    const fn new(cpu_id: usize) -> Self {
        PerCpu {
            self_ptr: AtomicPtr::new(core::ptr::null_mut()),
            kernel_rsp: AtomicU64::new(0),
            user_rsp: AtomicU64::new(0),
            current: AtomicPtr::new(core::ptr::null_mut()),
            cpu_id,
            apic_id: AtomicU32::new(0),
            online: AtomicBool::new(false),
            preempt_count: Cell::new(0),
            need_resched: AtomicU32::new(0),
            held_locks: [const { Cell::new(0) }; LEVELS],
            last_lock: Cell::new(""),
            stats: CpuStats {
                timer_ticks: AtomicU64::new(0),
                context_switches: AtomicU64::new(0),
            },
        }
    }

    pub fn preempt_inc(&self) {
        self.preempt_count.set(self.preempt_count.get() + 1);
    }

    /// Decrement and return the new count.
    pub fn preempt_dec(&self) -> u32 {
        let n = self.preempt_count.get();
        debug_assert!(n > 0, "preempt_enable without preempt_disable");
        self.preempt_count.set(n.saturating_sub(1));
        n.saturating_sub(1)
    }

    pub fn preempt_count(&self) -> u32 {
        self.preempt_count.get()
    }

    pub fn need_resched(&self) -> bool {
        self.need_resched.load(Ordering::Relaxed) != 0
    }

    pub fn set_need_resched(&self, v: bool) {
        self.need_resched.store(v as u32, Ordering::Relaxed);
    }

    pub fn held_locks(&self) -> &[Cell<u8>; LEVELS] {
        &self.held_locks
    }

    pub fn last_lock_name(&self) -> &'static str {
        self.last_lock.get()
    }

    pub fn set_last_lock_name(&self, name: &'static str) {
        self.last_lock.set(name);
    }

    /// Set the stack `syscall` entry switches to (the current task's).
    pub fn set_kernel_rsp(&self, top: u64) {
        self.kernel_rsp.store(top, Ordering::Relaxed);
    }
}

static CPUS: [PerCpu; MAX_CPUS] = {
    let mut cpus = [const { PerCpu::new(0) }; MAX_CPUS];
    let mut i = 0;
    while i < MAX_CPUS {
        cpus[i].cpu_id = i;
        i += 1;
    }
    cpus
};
static CPU_IDS_SET: AtomicBool = AtomicBool::new(false);

/// The per-CPU entry of CPU `id` (for cross-CPU reads of atomics).
pub fn cpu(id: usize) -> &'static PerCpu {
    &CPUS[id]
}

/// Point GS.BASE at CPU `id`'s entry. Called once per CPU, first thing.
pub fn init_this_cpu(id: usize, apic_id: u32) {
    let entry = &CPUS[id];
    entry.self_ptr.store(entry as *const _ as *mut _, Ordering::Relaxed);
    entry.apic_id.store(apic_id, Ordering::Relaxed);
    super::cpu::write_gs_base(entry as *const _ as u64);
    super::cpu::write_kernel_gs_base(0);
    CPU_IDS_SET.store(true, Ordering::Release);
}

/// This CPU's entry, without preventing migration. Only for code that is
/// already pinned (interrupts off, preemption disabled or a lock held), and
/// `None` before per-CPU data is set up.
#[inline]
pub fn try_this_cpu() -> Option<&'static PerCpu> {
    if !CPU_IDS_SET.load(Ordering::Relaxed) {
        return None;
    }
    let p: *const PerCpu;
    // SAFETY: GS.BASE points at this CPU's `PerCpu` whose first field is a
    // pointer to itself (set in `init_this_cpu`, before CPU_IDS_SET on this
    // CPU; APs set GS before taking any lock).
    unsafe { core::arch::asm!("mov {}, gs:[0]", out(reg) p, options(nostack, readonly, preserves_flags)) };
    // SAFETY: `CPUS` is static, so the reference lives forever.
    unsafe { p.as_ref() }
}

/// This CPU's entry, pinned: the guard keeps the task on this CPU.
pub fn this_cpu() -> (PreemptGuard, &'static PerCpu) {
    let guard = PreemptGuard::new();
    (guard, try_this_cpu().expect("per-CPU data not initialised"))
}

/// The running task's pointer as stored by the scheduler, read with one
/// `gs`-relative load (null before the scheduler runs on this CPU). Only
/// after `init_this_cpu` on this CPU.
#[inline]
pub fn current_task_ptr() -> *mut () {
    debug_assert!(CPU_IDS_SET.load(Ordering::Relaxed), "per-CPU data not set up");
    let p: *mut ();
    // SAFETY: GS.BASE points at this CPU's `PerCpu`: every CPU sets it first
    // thing, before it can take a trap or run a task; a single load cannot be
    // split by a migration.
    unsafe { core::arch::asm!("mov {}, gs:[{off}]", out(reg) p, off = const OFF_CURRENT, options(nostack, readonly, preserves_flags)) };
    p
}

const _: () = assert!(core::mem::offset_of!(PerCpu, current) == OFF_CURRENT);
const _: () = assert!(core::mem::offset_of!(PerCpu, need_resched) == OFF_NEED_RESCHED);
const _: () = assert!(core::mem::offset_of!(PerCpu, preempt_count) == OFF_PREEMPT_COUNT);
const _: () = assert!(OFF_PREEMPT_COUNT == OFF_NEED_RESCHED + 4);

/// Whether this CPU should switch tasks now: a switch is due and
/// preemption is enabled. One `gs`-relative load of `need_resched` (low
/// half) and `preempt_count` (high half) compared with 1: this runs on
/// every return from a trap or system call. Only valid once this CPU's
/// GS.BASE is set (true for any trap: the IDT is loaded after
/// `init_this_cpu`).
#[inline(always)]
pub fn preemption_due() -> bool {
    let both: u64;
    // SAFETY: GS.BASE points at this CPU's `PerCpu`; the two adjacent u32
    // fields are checked against the layout below.
    unsafe {
        core::arch::asm!("mov {}, gs:[{off}]", out(reg) both, off = const OFF_NEED_RESCHED,
            options(nostack, readonly, preserves_flags))
    };
    both == 1
}

/// Id of the CPU this code runs on (may be stale once preemption is back on).
pub fn cpu_id() -> usize {
    try_this_cpu().map_or(0, |c| c.cpu_id)
}
