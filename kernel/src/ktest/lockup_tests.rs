//! The lockup watchdog, provoked on purpose (`ktest=LOCKUP`, run only when
//! named: the harness must expect the report): a task on another CPU spins
//! with interrupts off for longer than the watchdog's limit; the CPU that
//! watches it must report it (log line, then the stuck CPU's own report
//! with a backtrace through this file) and the system must carry on.

use super::helpers::*;
use super::Test;
use crate::arch::{irq, percpu};
use crate::kassert;
use crate::sched::Priority;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering::*};

pub const TESTS: &[Test] = &[("lockup: a CPU spinning with interrupts off is reported by the watchdog", stuck_cpu_is_reported)];

/// Spin for `secs` seconds of TSC time with interrupts off.
#[inline(never)]
fn spin_irqs_off(secs: u64) {
    let hz = crate::arch::time::tsc_hz().max(1);
    irq::without(|| {
        let t0 = tsc();
        while since(t0) < secs * hz {
            core::hint::spin_loop();
        }
    });
}

fn stuck_cpu_is_reported() -> Result<(), String> {
    let cpus = online_cpus();
    kassert!(cpus.len() >= 2, "needs 2 CPUs (one to get stuck, one to watch)");
    let victim = cpus[1];
    let before = crate::watchdog::reports();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    crate::klog!("KTEST", "CPU {} spins with interrupts off for 25 s", victim);
    spawn_on(victim, "lockup", Priority::High, move || {
        spin_irqs_off(25);
        d.store(true, Release);
    })?;
    wait_until(40 * 20, "the spinning task to finish", || done.load(Acquire))?;
    let after = crate::watchdog::reports();
    kassert!(after == before + 1, "watchdog reports: {before} before, {after} after (want exactly one more)");
    kassert!(percpu::cpu(victim).online.load(Acquire), "CPU {victim} went offline");
    Ok(())
}
