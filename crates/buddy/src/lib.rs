//! A buddy allocator over one contiguous region of memory.
//!
//! The region `[base, base + size)` is carved into power-of-two blocks from
//! [`MIN_BLOCK`] (64 B, order 0) to [`MAX_BLOCK`] (1 MiB, order 14). A request
//! is rounded up to the smallest block that fits its size *and* alignment;
//! larger free blocks are split in halves ("buddies") to make one. On free, a
//! block is merged with its buddy whenever the buddy is free too, except
//! that merging small blocks is deferred: below [`LAZY_ORDERS`] a freed block
//! stays unmerged while its order's free list is shorter than [`LAZY_KEEP`],
//! so a loop that allocates and frees the same sizes pops and pushes one
//! list instead of splitting and merging all the way from 1 MiB each time
//! (at most `LAZY_KEEP` blocks of each small order, under 64 KiB, wait
//! unmerged). When a request finds no block, [`BuddyAllocator::coalesce`]
//! merges every free pair and the search is retried; after it, freeing
//! everything has restored whole 1 MiB blocks.
//!
//! Data structures:
//! * free lists are intrusive and doubly linked (see `list.rs`): they live
//!   inside the free blocks themselves, so the allocator needs no heap;
//! * per-block state bits (see `meta.rs`) live in caller-provided storage of
//!   [`meta_words`] `u64`s (about `size / 128` bytes). They make buddy lookup
//!   O(1) and let [`BuddyAllocator::free`] reject double frees, frees of
//!   addresses that were never allocated, and frees with the wrong size,
//!   *before* touching any memory.
//!
//! Invariants: `base` is aligned to `MAX_BLOCK`, `size` is a non-zero
//! multiple of it; a block of order `k` starts at a multiple of its size
//! from `base` (hence its address is aligned to its size); every byte of the
//! region belongs to exactly one free or allocated block; `free_bytes` is
//! the sum of the sizes of the free blocks.
//!
//! Not detected: writes into memory after freeing it (use after free) can
//! corrupt the free lists, as in any allocator with in-band links.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(test)]
extern crate std;

mod list;
mod meta;

use list::FreeLists;
use meta::{Meta, Set};

/// Smallest block, in bytes (order 0).
pub const MIN_BLOCK: usize = 64;
/// Largest block, in bytes (order [`MAX_ORDER`]).
pub const MAX_BLOCK: usize = 1 << 20;
/// Highest order: `MIN_BLOCK << MAX_ORDER == MAX_BLOCK`.
pub const MAX_ORDER: usize = 14;
/// Orders below this defer merging (see the crate doc): up to 4 KiB blocks.
pub const LAZY_ORDERS: usize = 7;
/// A freed block of a lazy order is merged only when its order's free list
/// already holds this many blocks.
pub const LAZY_KEEP: usize = 8;
/// Number of orders, `0..=MAX_ORDER`.
const ORDERS: usize = MAX_ORDER + 1;
/// `log2(MIN_BLOCK)`: shift from a byte offset to an order-0 block index.
const MIN_SHIFT: u32 = MIN_BLOCK.trailing_zeros();

/// Why construction or a free was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuddyError {
    /// `new`: `base` is not aligned to `MAX_BLOCK`.
    MisalignedBase,
    /// `new`: `size` is zero or not a multiple of `MAX_BLOCK`, or the region
    /// would wrap around the end of the address space.
    BadRegionSize,
    /// `new`: the metadata slice is shorter than `meta_words(size)`.
    MetaTooSmall,
    /// `free`: the size or alignment could never have been allocated
    /// (zero or non-power-of-two alignment, or larger than `MAX_BLOCK`).
    InvalidLayout,
    /// `free`: the address is outside the managed region.
    OutOfRange,
    /// `free`: the address lies in memory that is already free (a double
    /// free, or an address that was never handed out).
    DoubleFree,
    /// `free`: a block starts at the address, but it was allocated with a
    /// different (rounded) size.
    WrongSize,
    /// `free`: the address points into an allocated block but is not the
    /// address `alloc` returned for it.
    NotAllocated,
}

/// Number of `u64` words of metadata a region of `size` bytes needs.
///
/// Roughly `size / 1024` words (`size / 128` bytes); at most 1034 words
/// per MiB of region.
pub const fn meta_words(size: usize) -> usize {
    2 * meta::words_per_set(size)
}

/// Size in bytes of a block of `order`.
pub const fn block_size(order: usize) -> usize {
    MIN_BLOCK << order
}

/// The order of the block `alloc(size, align)` uses: the smallest power of
/// two `>= max(size, align, MIN_BLOCK)`. `None` when `align` is not a power
/// of two or the block would exceed `MAX_BLOCK`.
pub fn order_for(size: usize, align: usize) -> Option<usize> {
    if !align.is_power_of_two() || size > MAX_BLOCK || align > MAX_BLOCK {
        return None;
    }
    let block = size.max(align).max(MIN_BLOCK).next_power_of_two();
    Some((block.trailing_zeros() - MIN_SHIFT) as usize)
}

/// A buddy allocator owning the memory `[base, base + size)`.
pub struct BuddyAllocator {
    base: usize,
    size: usize,
    free_bytes: usize,
    lists: FreeLists,
    meta: Meta,
}

impl BuddyAllocator {
    /// Takes ownership of `[base, base + size)` and makes it all free.
    ///
    /// `base` must be aligned to `MAX_BLOCK`, `size` a non-zero multiple of
    /// `MAX_BLOCK`, and `meta` at least [`meta_words(size)`](meta_words)
    /// words long (its contents are overwritten).
    ///
    /// # Safety
    /// The region must be valid, writable memory that nothing else uses for
    /// as long as the allocator exists: the allocator writes its free-list
    /// links into free blocks.
    pub unsafe fn new(
        base: usize,
        size: usize,
        meta: &'static mut [u64],
    ) -> Result<Self, BuddyError> {
        if !base.is_multiple_of(MAX_BLOCK) {
            return Err(BuddyError::MisalignedBase);
        }
        if size == 0 || !size.is_multiple_of(MAX_BLOCK) || base.checked_add(size).is_none() {
            return Err(BuddyError::BadRegionSize);
        }
        if meta.len() < meta_words(size) {
            return Err(BuddyError::MetaTooSmall);
        }
        let mut allocator = BuddyAllocator {
            base,
            size,
            free_bytes: size,
            lists: FreeLists::new(),
            meta: Meta::new(meta, size),
        };
        // Push in reverse so that the lowest block ends up first in the list.
        for index in (0..size / MAX_BLOCK).rev() {
            // SAFETY: the block lies inside the region the caller gave us,
            // is 1 MiB-aligned, and is not yet in any list.
            unsafe { allocator.push_free(MAX_ORDER, index) };
        }
        Ok(allocator)
    }

    /// Allocates a block of at least `size` bytes aligned to `align` (a power
    /// of two). Returns its address, or `None` if the request exceeds
    /// `MAX_BLOCK` or no block large enough is free.
    ///
    /// A `size` of zero allocates a `MIN_BLOCK`.
    pub fn alloc(&mut self, size: usize, align: usize) -> Option<usize> {
        let order = order_for(size, align)?;
        let mut current = match self.lists.first_nonempty_from(order) {
            Some(current) => current,
            None => {
                self.coalesce();
                self.lists.first_nonempty_from(order)?
            }
        };
        let addr = self.pop_free(current)?;
        // Split down to the wanted order, freeing the upper half each time.
        while current > order {
            current -= 1;
            let upper = self.index_of(addr + block_size(current), current);
            // SAFETY: the upper half of a block we just took out of the
            // free lists is owned by us and in no list.
            unsafe { self.push_free(current, upper) };
        }
        let index = self.index_of(addr, order);
        self.meta.set(Set::Alloc, order, index);
        self.free_bytes -= block_size(order);
        Some(addr)
    }

    /// Frees a block obtained from `alloc(size, 1)`; same as
    /// [`free_aligned`](Self::free_aligned) with `align = 1`.
    pub fn free(&mut self, addr: usize, size: usize) -> Result<(), BuddyError> {
        self.free_aligned(addr, size, 1)
    }

    /// Frees the block `alloc(size, align)` returned at `addr`, merging it
    /// with free buddies. Any `size`/`align` that round to the same block
    /// size are accepted. On error nothing is changed.
    pub fn free_aligned(
        &mut self,
        addr: usize,
        size: usize,
        align: usize,
    ) -> Result<(), BuddyError> {
        let mut order = order_for(size, align).ok_or(BuddyError::InvalidLayout)?;
        if !self.contains(addr) {
            return Err(BuddyError::OutOfRange);
        }
        let offset = addr - self.base;
        let mut index = offset >> (MIN_SHIFT as usize + order);
        if !offset.is_multiple_of(block_size(order)) || !self.meta.get(Set::Alloc, order, index) {
            return Err(self.diagnose(offset));
        }
        self.meta.clear(Set::Alloc, order, index);
        self.free_bytes += block_size(order);
        // Merge upwards while the buddy is free too (small orders only once
        // their list is long: see the crate doc).
        while order < MAX_ORDER && (order >= LAZY_ORDERS || self.lists.len(order) >= LAZY_KEEP) {
            let buddy = index ^ 1;
            if !self.meta.get(Set::Free, order, buddy) {
                break;
            }
            self.meta.clear(Set::Free, order, buddy);
            // SAFETY: the buddy's free bit was set, so it is in list `order`.
            unsafe { self.lists.remove(order, self.addr_of(order, buddy)) };
            index /= 2;
            order += 1;
        }
        // SAFETY: the merged block consists of the block being freed (which
        // was allocated, so in no list) and buddies we just unlinked.
        unsafe { self.push_free(order, index) };
        Ok(())
    }

    /// Merge every pair of free buddies, order by order from the smallest,
    /// undoing the merges that frees deferred.
    pub fn coalesce(&mut self) {
        for order in 0..MAX_ORDER {
            let mut cur = self.lists.first(order);
            while let Some(addr) = cur {
                // SAFETY: `addr` is in list `order` (we walk it).
                let mut next = unsafe { self.lists.next_of(addr) };
                let index = self.index_of(addr, order);
                if self.meta.get(Set::Free, order, index ^ 1) {
                    let buddy = self.addr_of(order, index ^ 1);
                    if next == Some(buddy) {
                        // SAFETY: `buddy` is in list `order` (its free bit).
                        next = unsafe { self.lists.next_of(buddy) };
                    }
                    for (i, a) in [(index, addr), (index ^ 1, buddy)] {
                        self.meta.clear(Set::Free, order, i);
                        // SAFETY: both blocks are free, hence in list `order`.
                        unsafe { self.lists.remove(order, a) };
                    }
                    // SAFETY: the two halves were just unlinked: the merged
                    // block is owned by us and in no list.
                    unsafe { self.push_free(order + 1, index / 2) };
                }
                cur = next;
            }
        }
    }

    /// Bytes currently free (the sum of all free block sizes).
    pub fn free_bytes(&self) -> usize {
        self.free_bytes
    }

    /// Size of the managed region in bytes.
    pub fn total_bytes(&self) -> usize {
        self.size
    }

    /// First address of the managed region.
    pub fn base(&self) -> usize {
        self.base
    }

    /// Whether `addr` lies inside the managed region.
    pub fn contains(&self, addr: usize) -> bool {
        addr >= self.base && addr - self.base < self.size
    }

    /// Size of the largest block that is currently free (0 if none).
    pub fn largest_free_block(&self) -> usize {
        self.lists.highest_nonempty().map_or(0, block_size)
    }

    /// Explains why a free of the block at `offset` was refused, by looking
    /// at which block (free or allocated) contains that offset.
    fn diagnose(&self, offset: usize) -> BuddyError {
        for order in 0..ORDERS {
            let index = offset >> (MIN_SHIFT as usize + order);
            if self.meta.get(Set::Free, order, index) {
                return BuddyError::DoubleFree;
            }
            if self.meta.get(Set::Alloc, order, index) {
                return if offset.is_multiple_of(block_size(order)) {
                    BuddyError::WrongSize
                } else {
                    BuddyError::NotAllocated
                };
            }
        }
        // Unreachable while the partition invariant holds; refuse anyway.
        BuddyError::NotAllocated
    }

    /// Address of block `index` of `order`.
    fn addr_of(&self, order: usize, index: usize) -> usize {
        self.base + index * block_size(order)
    }

    /// Index at `order` of the block starting at `addr`.
    fn index_of(&self, addr: usize, order: usize) -> usize {
        (addr - self.base) >> (MIN_SHIFT as usize + order)
    }

    /// Marks block `index` of `order` free and links it into its list.
    ///
    /// # Safety
    /// The block must lie in the region, be owned by the allocator and not
    /// be linked into any list.
    unsafe fn push_free(&mut self, order: usize, index: usize) {
        self.meta.set(Set::Free, order, index);
        // SAFETY: forwarded from the caller; blocks are >= 64 bytes and
        // aligned to their size, so a `Node` fits and is aligned.
        unsafe { self.lists.push(order, self.addr_of(order, index)) };
    }

    /// Unlinks the first free block of `order` and clears its free bit.
    fn pop_free(&mut self, order: usize) -> Option<usize> {
        let addr = self.lists.pop(order)?;
        let index = self.index_of(addr, order);
        self.meta.clear(Set::Free, order, index);
        Some(addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_rounding() {
        assert_eq!(order_for(0, 1), Some(0));
        assert_eq!(order_for(64, 1), Some(0));
        assert_eq!(order_for(65, 1), Some(1));
        assert_eq!(order_for(1000, 8), Some(4));
        assert_eq!(order_for(4097, 1), Some(7));
        assert_eq!(order_for(1, 4096), Some(6));
        assert_eq!(order_for(MAX_BLOCK, 1), Some(MAX_ORDER));
        assert_eq!(order_for(MAX_BLOCK + 1, 1), None);
        assert_eq!(order_for(8, 3), None);
        assert_eq!(order_for(8, 0), None);
        assert_eq!(order_for(8, MAX_BLOCK * 2), None);
    }

    #[test]
    fn meta_words_scales_with_size() {
        assert_eq!(meta_words(MAX_BLOCK), 1034);
        assert!(meta_words(8 * MAX_BLOCK) <= 8 * 1034);
        assert!(meta_words(8 * MAX_BLOCK) >= 8 * MAX_BLOCK / 1024);
        assert_eq!(block_size(MAX_ORDER), MAX_BLOCK);
    }
}
