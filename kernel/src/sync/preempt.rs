//! Nestable preemption control.
//!
//! `preempt_disable()` increments this CPU's preemption count; while it is
//! non-zero the timer interrupt only sets `need_resched` and the switch
//! happens at the matching `preempt_enable()` that brings the count back to
//! zero. [`PreemptGuard`] does both in RAII style and is what code holding
//! per-CPU data should use: the task cannot migrate while the guard lives.

use crate::arch::percpu;

/// Disable preemption on this CPU (nestable).
///
/// Interrupts are off between finding this CPU's entry and incrementing its
/// count: while the count is still 0 an interrupt may switch tasks, and the
/// task could resume on another CPU and increment the first CPU's count
/// (leaving that CPU unpreemptible and this one's count unbalanced).
#[inline]
pub fn preempt_disable() {
    crate::arch::irq::without(|| {
        if let Some(cpu) = percpu::try_this_cpu() {
            cpu.preempt_inc();
        }
    });
}

/// Re-enable preemption; reschedules if a switch became due meanwhile.
#[inline]
pub fn preempt_enable() {
    if let Some(cpu) = percpu::try_this_cpu() {
        if cpu.preempt_dec() == 0 && cpu.need_resched() && crate::arch::interrupts_enabled() {
            crate::sched::schedule_if_needed();
        }
    }
}

/// Keeps the current task on this CPU for its lifetime.
pub struct PreemptGuard(());

impl PreemptGuard {
    pub fn new() -> Self {
        preempt_disable();
        PreemptGuard(())
    }
}

impl Default for PreemptGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PreemptGuard {
    fn drop(&mut self) {
        preempt_enable();
    }
}
