//! The user heap: a first-fit free list over one static array (MelloOS has
//! no brk/mmap system call), installed as the `#[global_allocator]`.
//!
//! Invariants of [`FreeList`]:
//! * every block, free or allocated, starts on a `UNIT` (16-byte) boundary
//!   and its size is a multiple of `UNIT`, at least `MIN_BLOCK`;
//! * a free block starts with a [`FreeBlock`] header; the free list is
//!   sorted by address and no two free blocks touch (they are merged);
//! * an allocated block's payload is preceded by a [`Header`] holding the
//!   block's start and size; for alignments above 16 the payload lies
//!   further into the block and the header still leads back to its start.
//!
//! A spin flag (`Heap::busy`) guards the list: the threads of a process
//! (`thread`) share the heap. A thread that finds it taken spins a while,
//! then yields the CPU each round, so a holder preempted on the same CPU
//! gets to finish (on one CPU, pure spinning would waste a time slice).

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicBool, Ordering};

/// Bytes of heap per process.
pub const HEAP_SIZE: usize = 256 * 1024;
const UNIT: usize = 16;
const HEADER: usize = core::mem::size_of::<Header>();
const MIN_BLOCK: usize = 2 * UNIT;

struct FreeBlock {
    size: usize,
    next: *mut FreeBlock,
}

struct Header {
    start: usize,
    size: usize,
}

const _: () = assert!(HEADER == UNIT && core::mem::size_of::<FreeBlock>() <= MIN_BLOCK);

fn round_up(x: usize, align: usize) -> Option<usize> {
    Some(x.checked_add(align - 1)? & !(align - 1))
}

/// An address-ordered list of free blocks.
pub struct FreeList {
    head: *mut FreeBlock,
}

impl FreeList {
    pub const fn new() -> Self {
        FreeList { head: null_mut() }
    }

    /// Gives the list the memory `[start, start + size)`.
    ///
    /// # Safety
    /// The memory must be valid for reads and writes, used by nothing else
    /// and outlive the list.
    pub unsafe fn add_region(&mut self, start: *mut u8, size: usize) {
        let begin = round_up(start as usize, UNIT).expect("region wraps");
        let end = (start as usize + size) & !(UNIT - 1);
        if end >= begin + MIN_BLOCK {
            // SAFETY: an aligned, exclusively owned block inside the region.
            unsafe { self.insert(begin, end - begin) };
        }
    }

    /// Allocates `layout`, or returns null when no free block fits.
    pub fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let align = layout.align().max(UNIT);
        let Some(size) = round_up(layout.size().max(1), UNIT) else { return null_mut() };
        let mut link: *mut *mut FreeBlock = &mut self.head;
        // SAFETY: `link` always points at `head` or at the `next` field of a
        // free block of the list; free blocks are owned by the list.
        unsafe {
            while !(*link).is_null() {
                let block = *link;
                let start = block as usize;
                let avail = (*block).size;
                let payload = round_up(start + HEADER, align);
                let need = payload.and_then(|p| (p - start).checked_add(size));
                if let (Some(payload), Some(mut need)) = (payload, need)
                    && need <= avail {
                        if avail - need >= MIN_BLOCK {
                            let rest = (start + need) as *mut FreeBlock;
                            rest.write(FreeBlock { size: avail - need, next: (*block).next });
                            *link = rest;
                        } else {
                            need = avail;
                            *link = (*block).next;
                        }
                        ((payload - HEADER) as *mut Header).write(Header { start, size: need });
                        return payload as *mut u8;
                    }
                link = &mut (*block).next;
            }
        }
        null_mut()
    }

    /// Returns the block of `ptr` to the list.
    ///
    /// # Safety
    /// `ptr` must come from [`FreeList::alloc`] on this list and not have
    /// been freed since.
    pub unsafe fn dealloc(&mut self, ptr: *mut u8) {
        // SAFETY: `alloc` wrote a header just below every payload.
        let Header { start, size } = unsafe { ((ptr as usize - HEADER) as *const Header).read() };
        // SAFETY: the block is ours again and aligned.
        unsafe { self.insert(start, size) };
    }

    /// Bytes currently free (walks the list).
    #[cfg(test)]
    pub fn free_bytes(&self) -> usize {
        let mut total = 0;
        let mut block = self.head;
        while !block.is_null() {
            // SAFETY: list blocks are valid free blocks.
            unsafe {
                total += (*block).size;
                block = (*block).next;
            }
        }
        total
    }

    /// Inserts the free block `[start, start + size)` in address order,
    /// merging it with the neighbours it touches.
    ///
    /// # Safety
    /// The block must be aligned, owned by the caller, and not overlap any
    /// free block.
    unsafe fn insert(&mut self, start: usize, size: usize) {
        let mut prev: *mut FreeBlock = null_mut();
        let mut next = self.head;
        // SAFETY: walking and relinking free blocks owned by the list; the
        // new block is owned by the caller (contract).
        unsafe {
            while !next.is_null() && (next as usize) < start {
                prev = next;
                next = (*next).next;
            }
            let block = start as *mut FreeBlock;
            block.write(FreeBlock { size, next });
            if !next.is_null() && start + size == next as usize {
                (*block).size += (*next).size;
                (*block).next = (*next).next;
            }
            if prev.is_null() {
                self.head = block;
            } else if prev as usize + (*prev).size == start {
                (*prev).size += (*block).size;
                (*prev).next = (*block).next;
            } else {
                (*prev).next = block;
            }
        }
    }
}

/// The global allocator: a [`FreeList`] over a static array, filled on
/// first use.
pub struct Heap {
    busy: AtomicBool,
    state: UnsafeCell<(bool, FreeList)>,
    memory: UnsafeCell<Memory>,
}

#[repr(C, align(16))]
struct Memory([u8; HEAP_SIZE]);

// SAFETY: all access to `state` and `memory` happens with `busy` held.
unsafe impl Sync for Heap {}

impl Heap {
    pub const fn new() -> Self {
        Heap {
            busy: AtomicBool::new(false),
            state: UnsafeCell::new((false, FreeList::new())),
            memory: UnsafeCell::new(Memory([0; HEAP_SIZE])),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut FreeList) -> R) -> R {
        let mut spins = 0u32;
        while self.busy.swap(true, Ordering::Acquire) {
            spins += 1;
            if spins < 100 {
                core::hint::spin_loop();
            } else {
                relax();
            }
        }
        // SAFETY: `busy` gives us exclusive access to `state` and `memory`.
        let (ready, list) = unsafe { &mut *self.state.get() };
        if !*ready {
            // SAFETY: the array is used by nothing else and lives forever.
            unsafe { list.add_region(self.memory.get().cast(), HEAP_SIZE) };
            *ready = true;
        }
        let r = f(list);
        self.busy.store(false, Ordering::Release);
        r
    }
}

/// Let the holder of the heap run (module doc).
#[cfg(all(target_os = "none", not(test)))]
fn relax() {
    let _ = crate::sys::yield_now();
}

#[cfg(not(all(target_os = "none", not(test))))]
fn relax() {
    core::hint::spin_loop();
}

// SAFETY: `FreeList` hands out disjoint, suitably aligned blocks and takes
// back only blocks it handed out (GlobalAlloc's contract for `dealloc`).
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.with(|list| list.alloc(layout))
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from `alloc` (GlobalAlloc contract).
        self.with(|list| unsafe { list.dealloc(ptr) })
    }
}

#[cfg(all(target_os = "none", not(test)))]
#[global_allocator]
static HEAP: Heap = Heap::new();

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn region(size: usize) -> (Vec<u128>, FreeList) {
        let mut mem = std::vec![0u128; size / 16];
        let mut list = FreeList::new();
        // SAFETY: the Vec outlives the list in every test (returned together).
        unsafe { list.add_region(mem.as_mut_ptr().cast(), size) };
        (mem, list)
    }

    #[test]
    fn alloc_free_restores_everything() {
        let (_mem, mut list) = region(4096);
        let total = list.free_bytes();
        let ptrs: Vec<_> = (1..20).map(|i| list.alloc(Layout::from_size_align(i * 7, 8).unwrap())).collect();
        assert!(ptrs.iter().all(|p| !p.is_null() && *p as usize % 16 == 0));
        for (i, p) in ptrs.iter().enumerate() {
            if i % 2 == 0 {
                // SAFETY: `p` came from `list.alloc` and is freed once.
                unsafe { list.dealloc(*p) };
            }
        }
        for (i, p) in ptrs.iter().enumerate() {
            if i % 2 == 1 {
                // SAFETY: `p` came from `list.alloc` and is freed once.
                unsafe { list.dealloc(*p) };
            }
        }
        assert_eq!(list.free_bytes(), total);
        // Fully merged: one block as big as the region can be allocated again.
        assert!(!list.alloc(Layout::from_size_align(total - HEADER, 16).unwrap()).is_null());
    }

    #[test]
    fn blocks_do_not_overlap() {
        let (_mem, mut list) = region(8192);
        let mut spans = Vec::new();
        loop {
            let p = list.alloc(Layout::from_size_align(40, 8).unwrap());
            if p.is_null() {
                break;
            }
            // SAFETY: `p` is a fresh 40-byte allocation.
            unsafe { p.write_bytes(0xAB, 40) };
            spans.push((p as usize, p as usize + 40));
        }
        spans.sort();
        assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0));
        assert!(spans.len() > 8192 / 64 - 2);
    }

    #[test]
    fn large_alignment() {
        let (_mem, mut list) = region(16384);
        let total = list.free_bytes();
        let a = list.alloc(Layout::from_size_align(10, 8).unwrap());
        let b = list.alloc(Layout::from_size_align(100, 1024).unwrap());
        assert_eq!(b as usize % 1024, 0);
        // SAFETY: both came from `list.alloc` and are freed once.
        unsafe {
            list.dealloc(b);
            list.dealloc(a);
        }
        assert_eq!(list.free_bytes(), total);
    }

    #[test]
    fn exhaustion_and_huge_requests_return_null() {
        let (_mem, mut list) = region(1024);
        assert!(list.alloc(Layout::from_size_align(4096, 8).unwrap()).is_null());
        assert!(list.alloc(Layout::from_size_align(usize::MAX / 4, 8).unwrap()).is_null());
        assert!(!list.alloc(Layout::from_size_align(512, 8).unwrap()).is_null());
    }
}
