//! The lockup watchdog: a CPU that takes no timer tick for a long time
//! (spinning with interrupts off, or stuck in a loop in an interrupt
//! handler) is reported, with its registers and backtrace, by another CPU.
//!
//! Every CPU ticks at `SCHED_HZ`, idle or not. Each CPU watches its
//! successor in the ring of online CPUs (CPU i watches the next online CPU
//! after i), so every CPU is watched by one other. On each of its own
//! ticks the watcher compares the watched CPU's tick count with the one it
//! saw `LIMIT_TICKS` of *its own* ticks ago: unchanged means the watched
//! CPU has had interrupts off (or been stuck) for that long. The watcher
//! then marks the CPU and sends it an NMI, which cannot be masked; the
//! stuck CPU's NMI handler prints `[WATCHDOG] CPU n: no timer tick for S s`
//! with the interrupted RIP (symbolised) and a backtrace, and carries on.
//! The test harness treats a `[WATCHDOG]` line as a failure, so a hang in CI
//! says where it hung. A CPU is reported once per stall.
//!
//! Measured in the watcher's own ticks, so a host that deschedules the whole
//! VM (every vCPU at once) causes no report; 20 s is far beyond any
//! legitimate interrupts-off window in this kernel.
//!
//! All state is per-CPU atomics; no locks (this runs in the timer
//! interrupt and in NMI context).

use crate::arch::{apic, percpu, trap::TrapFrame};
use crate::config::{MAX_CPUS, SCHED_HZ};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};

/// Ticks of the watcher without a tick of the watched CPU before a report.
const LIMIT_TICKS: u64 = 20 * SCHED_HZ;

struct Watch {
    /// The watched CPU's tick count when last seen moving, and the
    /// watcher's tick count at that moment.
    seen_ticks: AtomicU64,
    seen_at: AtomicU64,
    /// Set by the watcher before it sends this CPU the report NMI.
    report_due: AtomicBool,
    /// This CPU has been reported in its current stall.
    reported: AtomicBool,
}

/// Reports made since boot (for the LOCKUP test).
static REPORTS: AtomicU64 = AtomicU64::new(0);

/// How many stalls the watchdog has reported.
pub fn reports() -> u64 {
    REPORTS.load(Acquire)
}

static WATCH: [Watch; MAX_CPUS] = [const {
    Watch { seen_ticks: AtomicU64::new(0), seen_at: AtomicU64::new(0), report_due: AtomicBool::new(false), reported: AtomicBool::new(false) }
}; MAX_CPUS];

fn ticks_of(cpu: usize) -> u64 {
    percpu::cpu(cpu).stats.timer_ticks.load(Relaxed)
}

/// The next online CPU after `cpu` (itself if it is alone).
fn successor(cpu: usize) -> usize {
    (1..MAX_CPUS).map(|d| (cpu + d) % MAX_CPUS).find(|&c| percpu::cpu(c).online.load(Acquire)).unwrap_or(cpu)
}

/// Called on every timer tick of `me` (after its own tick was counted).
pub fn tick(me: usize) {
    let watched = successor(me);
    if watched == me {
        return;
    }
    let now = ticks_of(me);
    let theirs = ticks_of(watched);
    let w = &WATCH[watched];
    if theirs != w.seen_ticks.load(Relaxed) || w.seen_at.load(Relaxed) == 0 {
        w.seen_ticks.store(theirs, Relaxed);
        w.seen_at.store(now, Relaxed);
        w.reported.store(false, Relaxed);
        return;
    }
    if now.saturating_sub(w.seen_at.load(Relaxed)) >= LIMIT_TICKS && !w.reported.swap(true, Relaxed) {
        crate::klog!("WATCHDOG", "CPU {} took no timer tick for {} s: asking it for a backtrace (NMI)", watched, LIMIT_TICKS / SCHED_HZ);
        w.report_due.store(true, Release);
        apic::send_nmi(watched);
    }
}

/// From the NMI handler: if a watcher asked for it, report where this CPU
/// is stuck. Returns whether this NMI was the watchdog's.
pub fn on_nmi(frame: &TrapFrame) -> bool {
    let me = percpu::cpu_id();
    if !WATCH[me].report_due.swap(false, Acquire) {
        return false;
    }
    crate::serial_println!("[WATCHDOG] CPU {}: no timer tick for {} s; interrupted at {}", me, LIMIT_TICKS / SCHED_HZ, crate::symbols::Addr(frame.rip));
    crate::panic::backtrace_tagged("WATCHDOG", frame.rbp);
    REPORTS.fetch_add(1, Release);
    true
}
