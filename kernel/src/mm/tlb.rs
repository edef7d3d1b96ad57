//! TLB maintenance.
//!
//! User mappings: an address space is live only on the CPU running its
//! (single) task, because every switch reloads CR3; so changes to user
//! mappings flush this CPU alone ([`flush_local`]).
//!
//! Kernel mappings are global and cached by every CPU, so removing one
//! needs a shootdown: this CPU flushes the range, then asks every other
//! online CPU to do the same by IPI and waits until all have acknowledged
//! ([`flush_kernel_range`]).

use crate::arch::cpu;

/// Invalidate one page on this CPU.
pub fn flush_local(va: u64) {
    cpu::invlpg(va);
}

/// Invalidate every non-global entry on this CPU (reloads CR3).
pub fn flush_all_local() {
    cpu::flush_tlb_local();
}

/// Invalidate `[start, end)` on every CPU (kernel mappings).
pub fn flush_kernel_range(start: u64, end: u64) {
    // Page by page, or the whole TLB when the range is large.
    crate::arch::apic::flush_local(start, end);
    crate::arch::apic::tlb_shootdown(start, end);
}
