//! Intrusive, doubly linked free lists, one per order.
//!
//! A free block stores its own list node in its first 16 bytes: the
//! addresses of the next and previous free blocks of the same order
//! (`NIL` ends the list). Because the list is doubly linked, any block can
//! be unlinked in O(1) given only its address, which is what coalescing
//! needs when it finds that a block's buddy is free.
//!
//! Invariants:
//! * every address linked into list `k` is a free block of order `k` that
//!   the allocator owns, at least 16 bytes long and 16-byte aligned;
//! * bit `k` of `nonempty` is set exactly when list `k` is non-empty, and
//!   `lens[k]` is its length.
//!
//! These functions trust their callers (the allocator) to uphold the first
//! invariant, which is why the ones that touch memory are `unsafe`.

use crate::ORDERS;

/// "No block": ends a list. No real block can start at `usize::MAX`.
const NIL: usize = usize::MAX;

/// The link node written into the first bytes of every free block.
#[repr(C)]
struct Node {
    next: usize,
    prev: usize,
}

/// Heads of the per-order free lists.
pub(crate) struct FreeLists {
    heads: [usize; ORDERS],
    /// Bit `k` set when list `k` has at least one block.
    nonempty: u16,
    /// Blocks in each list.
    lens: [u32; ORDERS],
}

/// The node stored at `addr`.
fn node(addr: usize) -> *mut Node {
    addr as *mut Node
}

impl FreeLists {
    /// All lists empty.
    pub(crate) const fn new() -> Self {
        FreeLists {
            heads: [NIL; ORDERS],
            nonempty: 0,
            lens: [0; ORDERS],
        }
    }

    /// Blocks in list `order`.
    pub(crate) fn len(&self, order: usize) -> usize {
        self.lens[order] as usize
    }

    /// The first block of list `order`, if any.
    pub(crate) fn first(&self, order: usize) -> Option<usize> {
        Some(self.heads[order]).filter(|&a| a != NIL)
    }

    /// The block after `addr` in its list, if any.
    ///
    /// # Safety
    /// `addr` must currently be linked into a list.
    pub(crate) unsafe fn next_of(&self, addr: usize) -> Option<usize> {
        // SAFETY: `addr` is in a list (caller), so it holds a valid node.
        Some(unsafe { (*node(addr)).next }).filter(|&a| a != NIL)
    }

    /// The smallest order `>= order` whose list is non-empty.
    pub(crate) fn first_nonempty_from(&self, order: usize) -> Option<usize> {
        let candidates = self.nonempty >> order;
        if candidates == 0 {
            None
        } else {
            Some(order + candidates.trailing_zeros() as usize)
        }
    }

    /// The largest order whose list is non-empty.
    pub(crate) fn highest_nonempty(&self) -> Option<usize> {
        self.nonempty.checked_ilog2().map(|order| order as usize)
    }

    /// Links the block at `addr` at the front of list `order`.
    ///
    /// # Safety
    /// `addr` must be a free block of `order` owned by the allocator, valid
    /// for writes of a `Node`, suitably aligned, and not already in a list.
    pub(crate) unsafe fn push(&mut self, order: usize, addr: usize) {
        let head = self.heads[order];
        // SAFETY: the caller guarantees `addr` is a writable, aligned free
        // block that nobody else uses.
        unsafe {
            node(addr).write(Node {
                next: head,
                prev: NIL,
            })
        };
        if head != NIL {
            // SAFETY: `head` is in list `order`, so by the list invariant it
            // is a valid free block holding a node.
            unsafe { (*node(head)).prev = addr };
        }
        self.heads[order] = addr;
        self.nonempty |= 1 << order;
        self.lens[order] += 1;
    }

    /// Unlinks the block at `addr` from list `order`.
    ///
    /// # Safety
    /// `addr` must currently be linked into list `order`.
    pub(crate) unsafe fn remove(&mut self, order: usize, addr: usize) {
        // SAFETY: `addr` is in the list (caller), so it holds a valid node.
        let Node { next, prev } = unsafe { node(addr).read() };
        if prev == NIL {
            self.heads[order] = next;
        } else {
            // SAFETY: `prev` is a neighbour in the same list, hence valid.
            unsafe { (*node(prev)).next = next };
        }
        if next != NIL {
            // SAFETY: `next` is a neighbour in the same list, hence valid.
            unsafe { (*node(next)).prev = prev };
        }
        if self.heads[order] == NIL {
            self.nonempty &= !(1 << order);
        }
        self.lens[order] -= 1;
    }

    /// Unlinks and returns the first block of list `order`, if any.
    pub(crate) fn pop(&mut self, order: usize) -> Option<usize> {
        let head = self.heads[order];
        if head == NIL {
            return None;
        }
        // SAFETY: `head` is the first element of list `order`.
        unsafe { self.remove(order, head) };
        Some(head)
    }
}
