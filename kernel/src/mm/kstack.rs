//! Kernel stacks with guard pages.
//!
//! Stacks live in their own region at `KSTACK_BASE`, one fixed-size slot
//! each: an unmapped guard page at the bottom, then `KERNEL_STACK_SIZE`
//! mapped bytes. Overflowing a stack hits the guard page and page-faults
//! (reported as a kernel stack overflow) instead of silently corrupting the
//! neighbour. A [`KernelStack`] owns its slot and frames; dropping it unmaps
//! them, shoots down the TLB entries on every CPU and frees the frames.
//!
//! Freed stacks are kept mapped in a small cache (`CACHE`, up to
//! `CACHE_SIZE`) and handed out again first: creating a task then costs no
//! page-table work and no TLB shootdown.
//!
//! Locking: `SLOTS` guards the slot bitmap, `CACHE` the cached slots; neither
//! is held while mapping.

use super::kernel_space;
use super::layout::{KSTACK_BASE, PAGE_SIZE};
use super::pmm::{self, OutOfMemory};
use crate::config::KERNEL_STACK_SIZE;
use crate::sync::{IrqSpinLock, LockLevel};

const SLOT_SIZE: u64 = 64 * 1024;
const MAX_SLOTS: usize = 4096;
const GUARD: u64 = PAGE_SIZE;
const _: () = assert!(KERNEL_STACK_SIZE as u64 + GUARD <= SLOT_SIZE);

static SLOTS: IrqSpinLock<[u64; MAX_SLOTS / 64]> =
    IrqSpinLock::new(LockLevel::WaitQueue, "kstack-slots", [0; MAX_SLOTS / 64]);

const CACHE_SIZE: usize = 32;
/// Slots of freed stacks that are still mapped: (slots, count).
static CACHE: IrqSpinLock<([usize; CACHE_SIZE], usize)> =
    IrqSpinLock::new(LockLevel::WaitQueue, "kstack-cache", ([0; CACHE_SIZE], 0));

/// A mapped kernel stack with a guard page below it.
pub struct KernelStack {
    slot: usize,
}

impl KernelStack {
    /// A stack from the cache, or a newly allocated and mapped one.
    pub fn new() -> Result<Self, OutOfMemory> {
        {
            let mut cache = CACHE.lock();
            if cache.1 > 0 {
                cache.1 -= 1;
                return Ok(KernelStack { slot: cache.0[cache.1] });
            }
        }
        let slot = {
            let mut bits = SLOTS.lock();
            let (w, word) = bits.iter_mut().enumerate().find(|(_, w)| **w != u64::MAX).ok_or(OutOfMemory)?;
            let b = word.trailing_ones() as usize;
            *word |= 1 << b;
            w * 64 + b
        };
        let stack = KernelStack { slot };
        let mut va = stack.bottom();
        while va < stack.top() {
            let mapped = pmm::alloc_frame().and_then(|pa| {
                kernel_space::map_kernel_page(va, pa).map_err(|_| {
                    pmm::free_frame(pa);
                    OutOfMemory
                })
            });
            if let Err(e) = mapped {
                destroy(slot); // unmaps what was mapped so far
                core::mem::forget(stack);
                return Err(e);
            }
            va += PAGE_SIZE;
        }
        Ok(stack)
    }

    fn base(&self) -> u64 {
        KSTACK_BASE + self.slot as u64 * SLOT_SIZE
    }

    /// Lowest mapped address.
    pub fn bottom(&self) -> u64 {
        self.base() + GUARD
    }

    /// One past the highest address (initial stack pointer).
    pub fn top(&self) -> u64 {
        self.bottom() + KERNEL_STACK_SIZE as u64
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        {
            let mut cache = CACHE.lock();
            if cache.1 < CACHE_SIZE {
                let n = cache.1;
                cache.0[n] = self.slot;
                cache.1 += 1;
                return;
            }
        }
        destroy(self.slot);
    }
}

/// Unmap and free whatever is mapped in `slot`, then free the slot.
fn destroy(slot: usize) {
    let stack = core::mem::ManuallyDrop::new(KernelStack { slot });
    let (bottom, top) = (stack.bottom(), stack.top());
    let mut frames = [0u64; KERNEL_STACK_SIZE / PAGE_SIZE as usize];
    let mut n = 0;
    for va in (bottom..top).step_by(PAGE_SIZE as usize) {
        if let Some(pa) = kernel_space::unmap_kernel_page(va) {
            frames[n] = pa;
            n += 1;
        }
    }
    super::tlb::flush_kernel_range(bottom, top);
    for &pa in &frames[..n] {
        pmm::free_frame(pa);
    }
    let mut bits = SLOTS.lock();
    bits[slot / 64] &= !(1 << (slot % 64));
}

/// Frames held by cached (free but still mapped) stacks.
pub fn cached_frames() -> usize {
    CACHE.lock().1 * (KERNEL_STACK_SIZE / PAGE_SIZE as usize)
}

/// If `addr` is a stack guard page, the slot's stack range (for reports).
pub fn guard_page_hit(addr: u64) -> bool {
    addr >= KSTACK_BASE
        && addr < KSTACK_BASE + MAX_SLOTS as u64 * SLOT_SIZE
        && (addr - KSTACK_BASE) % SLOT_SIZE < GUARD
}
