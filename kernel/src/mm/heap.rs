//! The kernel heap, Rust's global allocator: small objects from a buddy
//! allocator (64 B .. 1 MiB blocks) over the 16 MiB region at `HEAP_BASE`,
//! requests of a page or more straight from the frame allocator.
//!
//! The buddy region is backed by frames at boot, so allocation never
//! touches the page tables. A request of at least [`LARGE`] bytes gets
//! physically consecutive frames, addressed through the direct map (as
//! Linux's `kmalloc` hands large sizes to the page allocator): file pages
//! and big buffers (an executable being loaded) are limited by RAM, not by
//! the heap's 16 MiB, and never split its blocks. When user pages have
//! taken every free frame, a large request falls back to the buddy heap
//! (up to its 1 MiB blocks): the kernel's own objects (a process record is
//! over a page) keep a reserve that user memory cannot exhaust. Which path
//! a block took follows from its address, which `dealloc` gets again. When
//! both are exhausted the result is a null pointer (`alloc` callers see
//! `AllocError`/`try_reserve` errors; infallible collections panic, as in
//! any Rust program).
//!
//! `failslab=N` (`fault_inject`) makes every Nth allocation fail.
//!
//! Locking: `HEAP` (level `Heap`, IRQ-safe); the large path takes only the
//! frame allocator's lock.

use super::kernel_space;
use super::layout::{phys_to_virt, virt_to_phys, HEAP_BASE, HEAP_SIZE, PAGE_SIZE};
use super::pmm;
use crate::sync::{IrqSpinLock, LockLevel};
use buddy::BuddyAllocator;
use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};

const META_WORDS: usize = buddy::meta_words(HEAP_SIZE);
static HEAP: IrqSpinLock<Option<BuddyAllocator>> = IrqSpinLock::new(LockLevel::Heap, "heap", None);

struct KernelHeap;

/// Frames held by large allocations (the leak checks' `res.large_frames`).
static LARGE_FRAMES: AtomicUsize = AtomicUsize::new(0);

/// Requests of this many bytes or more bypass the buddy heap (see the
/// module doc).
pub const LARGE: usize = PAGE_SIZE as usize;

/// Frames, and their alignment in frames, for a large `layout`.
fn frames_for(layout: &Layout) -> (usize, usize) {
    (layout.size().div_ceil(PAGE_SIZE as usize), (layout.align() / PAGE_SIZE as usize).max(1))
}

#[global_allocator]
static GLOBAL: KernelHeap = KernelHeap;

/// Back the heap region with frames and start the allocator.
pub fn init() {
    let mut va = HEAP_BASE;
    while va < HEAP_BASE + HEAP_SIZE as u64 {
        let pa = pmm::alloc_frame().expect("out of memory backing the kernel heap");
        kernel_space::map_kernel_page(va, pa).expect("heap mapping");
        va += PAGE_SIZE;
    }
    static mut META: [u64; META_WORDS] = [0; META_WORDS];
    // SAFETY: the region was just mapped and belongs to the heap alone; META
    // is referenced only here, once.
    let heap = unsafe {
        BuddyAllocator::new(HEAP_BASE as usize, HEAP_SIZE, &mut *core::ptr::addr_of_mut!(META))
    }
    .expect("heap region");
    *HEAP.lock() = Some(heap);
}

// SAFETY: the buddy allocator hands out disjoint blocks of at least the
// requested size and alignment, under the HEAP lock.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if super::fault_inject::fail_slab() {
            return core::ptr::null_mut();
        }
        if layout.size() >= LARGE {
            let (count, align) = frames_for(&layout);
            if let Ok(pa) = pmm::alloc_contiguous(count, align) {
                LARGE_FRAMES.fetch_add(count, Ordering::Relaxed);
                return phys_to_virt(pa) as *mut u8;
            }
        }
        HEAP.lock()
            .as_mut()
            .and_then(|h| h.alloc(layout.size(), layout.align()))
            .map_or(core::ptr::null_mut(), |a| a as *mut u8)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !(HEAP_BASE..HEAP_BASE + HEAP_SIZE as u64).contains(&(ptr as u64)) {
            let count = frames_for(&layout).0;
            LARGE_FRAMES.fetch_sub(count, Ordering::Relaxed);
            return pmm::free_contiguous(virt_to_phys(ptr as u64), count);
        }
        let result = HEAP.lock().as_mut().expect("heap").free_aligned(ptr as usize, layout.size(), layout.align());
        if let Err(e) = result {
            panic!("heap free of {ptr:p} ({} bytes): {e:?}", layout.size());
        }
    }
}

/// Allocate `size` zeroed bytes (the spec's `kmalloc`). Null on failure.
pub fn kmalloc(size: usize) -> *mut u8 {
    let Ok(layout) = Layout::from_size_align(size.max(1), 16) else { return core::ptr::null_mut() };
    // SAFETY: layout has non-zero size.
    unsafe { alloc::alloc::alloc_zeroed(layout) }
}

/// Free memory from [`kmalloc`] of the same `size`.
///
/// # Safety
/// `ptr` came from `kmalloc(size)` and is not used afterwards.
pub unsafe fn kfree(ptr: *mut u8, size: usize) {
    let layout = Layout::from_size_align(size.max(1), 16).expect("kfree layout");
    // SAFETY: the caller's contract.
    unsafe { alloc::alloc::dealloc(ptr, layout) };
}

/// Frames that large allocations hold now.
pub fn large_frames() -> usize {
    LARGE_FRAMES.load(Ordering::Relaxed)
}

/// (free bytes, total bytes) of the heap.
pub fn stats() -> (usize, usize) {
    HEAP.lock().as_ref().map_or((0, 0), |h| (h.free_bytes(), h.total_bytes()))
}
