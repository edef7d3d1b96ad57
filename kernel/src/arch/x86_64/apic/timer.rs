//! The Local APIC timer: calibration against the PIT and the per-CPU
//! periodic scheduler tick.
//!
//! The BSP measures the timer's count rate once ([`calibrate`]): divide by
//! 16, count down from the maximum over a PIT-timed window. All CPUs share
//! the bus clock, so every CPU uses the same reload value:
//! `rate / SCHED_HZ` counts per tick, periodic mode, vector
//! [`TIMER_VECTOR`]. The logged "LAPIC timer frequency" is the undivided
//! input frequency (rate × 16), which is 1 GHz in QEMU.
//!
//! [`configure_this_cpu`] prepares this CPU's timer masked (and logs it);
//! [`start_this_cpu`] arms it. The interrupt handler acknowledges the
//! interrupt (EOI) first, then calls `sched::timer_tick` (which counts the
//! tick in the per-CPU statistics).
//!
//! State: the reload value is a write-once atomic; `CONFIGURED`/`RUNNING`
//! are per-CPU bits, each CPU setting only its own.

use super::lapic::{self, LVT_MASKED, REG_LVT_TIMER, REG_TIMER_CURRENT, REG_TIMER_DIVIDE, REG_TIMER_INIT};
use crate::arch::{percpu, time, trap::TrapFrame};
use crate::config::SCHED_HZ;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Vector of the per-CPU scheduler tick.
pub const TIMER_VECTOR: u8 = 0x20;
/// Divide configuration value for "divide by 16".
const DIVIDE_BY_16: u32 = 0b0011;
const DIVISOR: u64 = 16;
const PERIODIC: u32 = 1 << 17;
/// PIT window used for calibration (five are measured).
const CALIBRATION_US: u64 = 5_000;

/// Timer counts (after the divider) per scheduler tick.
static COUNT_PER_TICK: AtomicU64 = AtomicU64::new(0);
/// Bit `cpu`: that CPU's timer is configured / running.
static CONFIGURED: AtomicU32 = AtomicU32::new(0);
static RUNNING: AtomicU32 = AtomicU32::new(0);

/// Measure the timer rate against the PIT (BSP, once, interrupts off).
pub fn calibrate() {
    lapic::write(REG_LVT_TIMER, LVT_MASKED | TIMER_VECTOR as u32);
    lapic::write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    lapic::write(REG_TIMER_INIT, u32::MAX);
    let rate = time::counter_hz(CALIBRATION_US, || (u32::MAX - lapic::read(REG_TIMER_CURRENT)) as u64);
    lapic::write(REG_TIMER_INIT, 0);
    let rate = rate.max(SCHED_HZ);
    COUNT_PER_TICK.store((rate / SCHED_HZ).min(u32::MAX as u64), Ordering::Release);
    crate::klog!("APIC", "LAPIC timer frequency: {} Hz", rate * DIVISOR);
}

/// Program this CPU's timer (masked) and log it. Idempotent.
pub fn configure_this_cpu() {
    let cpu = percpu::cpu_id();
    if CONFIGURED.load(Ordering::Relaxed) & (1 << cpu) != 0 {
        return;
    }
    lapic::write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    lapic::write(REG_LVT_TIMER, LVT_MASKED | PERIODIC | TIMER_VECTOR as u32);
    CONFIGURED.fetch_or(1 << cpu, Ordering::Relaxed);
    crate::klog!("APIC", "core{} timer @{}Hz", cpu, SCHED_HZ);
}

/// Start this CPU's periodic tick (configuring it first if needed).
/// Idempotent; ticks arrive once interrupts are enabled.
pub fn start_this_cpu() {
    configure_this_cpu();
    let cpu = percpu::cpu_id();
    if RUNNING.fetch_or(1 << cpu, Ordering::Relaxed) & (1 << cpu) != 0 {
        return;
    }
    lapic::write(REG_LVT_TIMER, PERIODIC | TIMER_VECTOR as u32);
    lapic::write(REG_TIMER_INIT, COUNT_PER_TICK.load(Ordering::Acquire) as u32);
}

/// Timer interrupt: acknowledge, then let the scheduler account the tick.
pub fn handler(_frame: &mut TrapFrame) {
    lapic::eoi();
    crate::sched::timer_tick();
}
