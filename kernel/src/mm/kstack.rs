//! Kernel stacks with guard pages.
//!
//! Stacks live in their own region at `KSTACK_BASE`, one fixed-size slot
//! each: an unmapped guard page at the bottom, then `KERNEL_STACK_SIZE`
//! mapped bytes. Overflowing a stack hits the guard page and page-faults
//! (reported as a kernel stack overflow) instead of silently corrupting the
//! neighbour. A [`KernelStack`] owns its slot and frames.
//!
//! Dropping a stack never unmaps it: the slot goes to a cache of free but
//! still-mapped stacks, which `new` hands out first (creating a task then
//! costs no page-table work and no TLB shootdown). A stack can be dropped
//! anywhere, including under a spinlock with interrupts off (the last
//! reference to a task may go in `ipc_send`), where a shootdown could
//! deadlock: a CPU spinning for that lock with interrupts off would never
//! acknowledge it. So unmapping happens only in [`trim_cache`], which the
//! idle loop calls holding no lock; it shrinks the cache to `CACHE_SIZE`.
//!
//! Locking: `SLOTS` guards the slot bitmaps. Its level, `KernelPageTable`,
//! is above every lock a task's last reference can be dropped under (up to
//! `RunQueue`); it is never held while mapping or unmapping, so it never
//! meets the page-table lock itself.

use super::kernel_space;
use super::layout::{KSTACK_BASE, PAGE_SIZE};
use super::pmm::{self, OutOfMemory};
use crate::config::KERNEL_STACK_SIZE;
use crate::sync::{IrqSpinLock, LockLevel};
use core::sync::atomic::{AtomicUsize, Ordering};

const SLOT_SIZE: u64 = 64 * 1024;
const MAX_SLOTS: usize = 4096;
const WORDS: usize = MAX_SLOTS / 64;
const GUARD: u64 = PAGE_SIZE;
const _: () = assert!(KERNEL_STACK_SIZE as u64 + GUARD <= SLOT_SIZE);
/// Frames one stack maps.
pub const STACK_FRAMES: usize = KERNEL_STACK_SIZE / PAGE_SIZE as usize;

/// Cached stacks kept after a trim.
pub const CACHE_SIZE: usize = 32;

/// Slot bookkeeping: `used` marks slots owned by a stack or by the cache,
/// `cached` the subset that is free but still mapped.
struct Slots {
    used: [u64; WORDS],
    cached: [u64; WORDS],
}

impl Slots {
    fn take_first(bits: &mut [u64; WORDS]) -> Option<usize> {
        let (w, word) = bits.iter_mut().enumerate().find(|(_, w)| **w != 0)?;
        let b = word.trailing_zeros() as usize;
        *word &= !(1 << b);
        Some(w * 64 + b)
    }

    fn take_cached(&mut self) -> Option<usize> {
        let slot = Self::take_first(&mut self.cached)?;
        CACHED.fetch_sub(1, Ordering::Relaxed);
        Some(slot)
    }

    fn put_cached(&mut self, slot: usize) {
        self.cached[slot / 64] |= 1 << (slot % 64);
        CACHED.fetch_add(1, Ordering::Relaxed);
    }

    fn alloc(&mut self) -> Option<usize> {
        let (w, word) = self.used.iter_mut().enumerate().find(|(_, w)| **w != u64::MAX)?;
        let b = word.trailing_ones() as usize;
        *word |= 1 << b;
        Some(w * 64 + b)
    }
}

static SLOTS: IrqSpinLock<Slots> =
    IrqSpinLock::new(LockLevel::KernelPageTable, "kstack-slots", Slots { used: [0; WORDS], cached: [0; WORDS] });
/// Number of cached stacks (mirrors `Slots::cached` for a lock-free check).
static CACHED: AtomicUsize = AtomicUsize::new(0);
/// Frames of cached stacks that `trim_cache` has taken and not yet freed.
/// Counted with the cache (`cached_frames`), so that free + cached frames
/// stay constant while a trim runs: otherwise a trim in flight (up to
/// `TRIM_BATCH` stacks per CPU, its shootdown waiting for every vCPU) makes
/// frames look lost, which is what the exit test's count saw.
static TRIMMING: AtomicUsize = AtomicUsize::new(0);

/// A mapped kernel stack with a guard page below it.
pub struct KernelStack {
    slot: usize,
}

impl KernelStack {
    /// A stack from the cache, or a newly allocated and mapped one.
    pub fn new() -> Result<Self, OutOfMemory> {
        let slot = {
            let mut slots = SLOTS.lock();
            if let Some(slot) = slots.take_cached() {
                return Ok(KernelStack { slot });
            }
            slots.alloc().ok_or(OutOfMemory)?
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
                core::mem::forget(stack);
                destroy(slot); // unmaps what was mapped so far
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
        SLOTS.lock().put_cached(self.slot);
    }
}

/// Unmap cached stacks beyond `CACHE_SIZE` and free their frames. Must be
/// called holding no lock (it shoots down TLB entries on every CPU).
///
/// Stacks go in batches of `TRIM_BATCH` with one shootdown per batch: on a
/// loaded host each shootdown waits for every vCPU to be scheduled, so one
/// per stack made trimming 70 stacks on 8 CPUs take seconds.
pub fn trim_cache() {
    loop {
        let excess = CACHED.load(Ordering::Relaxed).saturating_sub(CACHE_SIZE);
        let mut batch = [0usize; TRIM_BATCH];
        let mut n = 0;
        {
            let mut slots = SLOTS.lock();
            while n < excess.min(TRIM_BATCH) {
                let Some(slot) = slots.take_cached() else { break };
                TRIMMING.fetch_add(STACK_FRAMES, Ordering::Relaxed);
                batch[n] = slot;
                n += 1;
            }
        }
        if n == 0 {
            return;
        }
        destroy_all(&batch[..n], true);
    }
}

/// Stacks unmapped per TLB shootdown when trimming the cache.
const TRIM_BATCH: usize = 8;

/// Unmap and free whatever is mapped in `slot`, then free the slot.
fn destroy(slot: usize) {
    destroy_all(&[slot], false);
}

/// [`destroy`] for several slots, with one TLB shootdown for all of them.
/// `trimmed`: the slots come from `trim_cache`, whose frames `TRIMMING`
/// counts until they are free.
fn destroy_all(slots: &[usize], trimmed: bool) {
    assert!(slots.len() <= TRIM_BATCH);
    let mut frames = [0u64; TRIM_BATCH * STACK_FRAMES];
    let mut n = 0;
    let (mut lo, mut hi) = (u64::MAX, 0);
    for &slot in slots {
        let stack = core::mem::ManuallyDrop::new(KernelStack { slot });
        let (bottom, top) = (stack.bottom(), stack.top());
        (lo, hi) = (lo.min(bottom), hi.max(top));
        for va in (bottom..top).step_by(PAGE_SIZE as usize) {
            if let Some(pa) = kernel_space::unmap_kernel_page(va) {
                frames[n] = pa;
                n += 1;
            }
        }
    }
    // One flush covers every stack of the batch (and whatever lies between:
    // flushing more entries than needed is harmless).
    super::tlb::flush_kernel_range(lo, hi);
    for &pa in &frames[..n] {
        pmm::free_frame(pa);
        if trimmed {
            TRIMMING.fetch_sub(1, Ordering::Relaxed);
        }
    }
    let mut s = SLOTS.lock();
    for &slot in slots {
        s.used[slot / 64] &= !(1 << (slot % 64));
    }
}

/// Slots in use (stacks of live tasks, cached stacks and stacks being
/// trimmed), for diagnostics.
pub fn slots_in_use() -> usize {
    SLOTS.lock().used.iter().map(|w| w.count_ones() as usize).sum()
}

/// Stacks of live tasks: slots in use less the cached and trimming ones
/// (the fuzzer's leak check; racy by nature, exact once tasks are idle).
pub fn live_stacks() -> usize {
    let trimming = TRIMMING.load(Ordering::Relaxed).div_ceil(STACK_FRAMES);
    slots_in_use().saturating_sub(CACHED.load(Ordering::Relaxed) + trimming)
}

/// Frames held by cached (free but still mapped) stacks, including those
/// a trim is freeing right now.
pub fn cached_frames() -> usize {
    CACHED.load(Ordering::Relaxed) * STACK_FRAMES + TRIMMING.load(Ordering::Relaxed)
}

/// If `addr` is a stack guard page, the slot's stack range (for reports).
pub fn guard_page_hit(addr: u64) -> bool {
    addr >= KSTACK_BASE
        && addr < KSTACK_BASE + MAX_SLOTS as u64 * SLOT_SIZE
        && (addr - KSTACK_BASE) % SLOT_SIZE < GUARD
}
