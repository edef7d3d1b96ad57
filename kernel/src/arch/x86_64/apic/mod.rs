//! Local APIC (placeholder until the SMP work lands).
pub fn stop_other_cpus() {}
pub fn tlb_shootdown(_start: u64, _end: u64) {}
