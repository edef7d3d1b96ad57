//! Per-block state bitmaps, stored in caller-provided `u64` words.
//!
//! The buddy system is an implicit binary tree: at order `k` the region is
//! cut into blocks of `MIN_BLOCK << k` bytes, numbered from the region's
//! base. For every order we keep two bits per block:
//!
//! * **free bit**: the block is whole, unused, and linked into the free list
//!   of that order;
//! * **alloc bit**: the block was handed out by `alloc` at exactly that order.
//!
//! Invariant (maintained by the allocator): every byte of the region lies in
//! exactly one block whose free bit or alloc bit is set. Blocks that are split
//! into halves, or that are part of a larger block, have neither bit set.
//!
//! Layout in the storage slice: all free bitmaps first (order 0, then 1, ...),
//! each starting on a fresh word, then the alloc bitmaps in the same layout.

use crate::{MAX_ORDER, MIN_BLOCK, ORDERS};

/// Words one set of per-order bitmaps (free *or* alloc) needs for `size` bytes.
pub(crate) const fn words_per_set(size: usize) -> usize {
    let mut words = 0;
    let mut order = 0;
    while order <= MAX_ORDER {
        words += blocks_at(size, order).div_ceil(64);
        order += 1;
    }
    words
}

/// Number of blocks of order `order` in a region of `size` bytes.
const fn blocks_at(size: usize, order: usize) -> usize {
    size / (MIN_BLOCK << order)
}

/// Which of the two bitmap sets an operation addresses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Set {
    Free,
    Alloc,
}

/// The two bitmap sets, laid out over a borrowed word slice.
pub(crate) struct Meta {
    words: &'static mut [u64],
    /// Word offset of each order's bitmap inside one set.
    order_start: [usize; ORDERS],
    /// Word offset of the alloc set (the free set starts at 0).
    alloc_start: usize,
}

impl Meta {
    /// Lays the bitmaps out over `words` for a region of `size` bytes and
    /// clears them. The caller has checked `words.len() >= 2 * words_per_set`.
    pub(crate) fn new(words: &'static mut [u64], size: usize) -> Self {
        let mut order_start = [0; ORDERS];
        let mut next = 0;
        for (order, start) in order_start.iter_mut().enumerate() {
            *start = next;
            next += blocks_at(size, order).div_ceil(64);
        }
        words[..2 * next].fill(0);
        Meta {
            words,
            order_start,
            alloc_start: next,
        }
    }

    /// Word index and bit mask of block `index` at `order` in `set`.
    fn locate(&self, set: Set, order: usize, index: usize) -> (usize, u64) {
        let base = match set {
            Set::Free => 0,
            Set::Alloc => self.alloc_start,
        };
        (
            base + self.order_start[order] + index / 64,
            1 << (index % 64),
        )
    }

    /// Whether block `index` of `order` has its bit set in `set`.
    pub(crate) fn get(&self, set: Set, order: usize, index: usize) -> bool {
        let (word, mask) = self.locate(set, order, index);
        self.words[word] & mask != 0
    }

    /// Sets the bit of block `index` of `order` in `set`.
    pub(crate) fn set(&mut self, set: Set, order: usize, index: usize) {
        let (word, mask) = self.locate(set, order, index);
        self.words[word] |= mask;
    }

    /// Clears the bit of block `index` of `order` in `set`.
    pub(crate) fn clear(&mut self, set: Set, order: usize, index: usize) {
        let (word, mask) = self.locate(set, order, index);
        self.words[word] &= !mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_BLOCK;

    #[test]
    fn one_mib_needs_517_words_per_set() {
        // 256 + 128 + 64 + 32 + 16 + 8 + 4 + 2 + 1, then 6 orders of 1 word.
        assert_eq!(words_per_set(MAX_BLOCK), 517);
    }

    #[test]
    fn bits_are_independent() {
        let words: &'static mut [u64] =
            std::boxed::Box::leak(std::vec![u64::MAX; 2 * words_per_set(MAX_BLOCK)].into());
        let mut meta = Meta::new(words, MAX_BLOCK);
        assert!(!meta.get(Set::Free, 0, 16383));
        meta.set(Set::Free, 0, 16383);
        meta.set(Set::Alloc, MAX_ORDER, 0);
        assert!(meta.get(Set::Free, 0, 16383));
        assert!(!meta.get(Set::Alloc, 0, 16383));
        assert!(!meta.get(Set::Free, MAX_ORDER, 0));
        assert!(meta.get(Set::Alloc, MAX_ORDER, 0));
        meta.clear(Set::Free, 0, 16383);
        assert!(!meta.get(Set::Free, 0, 16383));
    }
}
