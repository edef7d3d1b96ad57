//! TLB maintenance.
//!
//! User mappings: an address space is loaded on every CPU running one of
//! its process's threads (every switch to a user task reloads CR3, so no
//! other CPU caches its entries). Each CPU records the root it has loaded
//! ([`note_loaded`], by the scheduler just before each CR3 write), and a
//! change to a space's mappings flushes this CPU and shoots down the others
//! that have that root loaded, and only those ([`flush_user_range`]). The
//! record is written before CR3 and read after the page-table change (both
//! sequentially consistent): a CPU the flush misses loads CR3 after the
//! change, so it cannot cache the old entry. Frames an unmapping frees are
//! released only after the flush (`mm::address_space`).
//!
//! Kernel mappings are global and cached by every CPU, so removing one
//! needs a shootdown: this CPU flushes the range, then asks every other
//! online CPU to do the same by IPI and waits until all have acknowledged
//! ([`flush_kernel_range`]).

use crate::arch::cpu;
use crate::config::MAX_CPUS;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};

/// The page-table root each CPU has loaded (module doc).
static LOADED: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// CPU `cpu` is about to load `root` (the scheduler, interrupts off).
pub fn note_loaded(cpu: usize, root: u64) {
    LOADED[cpu].store(root, SeqCst);
}

/// Invalidate user range `[start, end)` of the space rooted at `root` on
/// this CPU and on every other CPU that has it loaded; returns when all
/// have. Callable with the space's lock held.
pub fn flush_user_range(root: u64, start: u64, end: u64) {
    if end <= start {
        return;
    }
    crate::arch::apic::flush_local(start, end);
    core::sync::atomic::fence(SeqCst);
    let mut cpus = 0u32;
    for (cpu, loaded) in LOADED.iter().enumerate() {
        if loaded.load(SeqCst) == root {
            cpus |= 1 << cpu;
        }
    }
    if cpus != 0 {
        // This CPU is left out by the callee.
        crate::arch::apic::tlb_shootdown_to(cpus, start, end);
    }
}

/// Invalidate one page on this CPU.
pub fn flush_local(va: u64) {
    cpu::invlpg(va);
}

/// Invalidate `[start, end)` on every CPU (kernel mappings).
pub fn flush_kernel_range(start: u64, end: u64) {
    // Page by page, or the whole TLB when the range is large.
    crate::arch::apic::flush_local(start, end);
    crate::arch::apic::tlb_shootdown(start, end);
}
