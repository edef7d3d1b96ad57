//! Scheduler (placeholder).
use crate::arch::trap::TrapFrame;
pub fn on_trap_exit(_frame: &mut TrapFrame) {}
pub fn schedule_if_needed() {}
