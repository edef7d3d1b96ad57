//! [`Stack`]: a thread's stack, a heap block aligned as `thread_spawn`
//! wants its top (`mello_abi::thread::STACK_ALIGN`).
//!
//! Held as a raw block (not a `Box`), because another thread writes to it
//! all its life; the owner frees it once that thread has ended (the
//! [`JoinHandle`](super::JoinHandle) does, after its wait). There is no
//! guard page below it: an overflow runs into the heap.

use crate::Errno;
use alloc::alloc::{alloc, dealloc, Layout};
use core::ops::Range;
use core::ptr::NonNull;
use mello_abi::thread::STACK_ALIGN;

/// The stack a thread gets unless its `Builder` says otherwise (the heap
/// holds `HEAP_SIZE` = 256 KiB in all).
pub const DEFAULT_STACK: usize = 16 * 1024;

/// Smallest stack handed out (room for the start-up frames).
const MIN_STACK: usize = 1024;

/// An allocated stack of `layout.size()` bytes at `base`.
pub struct Stack {
    base: NonNull<u8>,
    layout: Layout,
}

// SAFETY: a `Stack` owns its block; nothing in it is tied to a thread.
unsafe impl Send for Stack {}

impl Stack {
    /// The block layout for a stack of `bytes`: at least `MIN_STACK`,
    /// rounded up to the alignment; `None` if that overflows.
    pub fn layout(bytes: usize) -> Option<Layout> {
        let size = bytes.max(MIN_STACK).checked_next_multiple_of(STACK_ALIGN)?;
        Layout::from_size_align(size, STACK_ALIGN).ok()
    }

    /// Allocates a stack of at least `bytes` (`ENOMEM` if the heap cannot).
    pub fn new(bytes: usize) -> Result<Self, Errno> {
        let layout = Self::layout(bytes).ok_or(Errno::ENOMEM)?;
        // SAFETY: `layout` has a non-zero size (at least MIN_STACK).
        let base = NonNull::new(unsafe { alloc(layout) }).ok_or(Errno::ENOMEM)?;
        Ok(Stack { base, layout })
    }

    /// One past the highest byte: the `stack_top` for `thread_spawn`
    /// (aligned, since base and size are).
    pub fn top(&self) -> usize {
        self.base.as_ptr() as usize + self.layout.size()
    }

    /// The stack's addresses.
    pub fn range(&self) -> Range<usize> {
        self.base.as_ptr() as usize..self.top()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: allocated by `new` with this layout, freed once (here).
        unsafe { dealloc(self.base.as_ptr(), self.layout) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_rounds_up_and_aligns() {
        assert_eq!(Stack::layout(0).unwrap().size(), MIN_STACK);
        assert_eq!(Stack::layout(16 * 1024 + 1).unwrap().size(), 16 * 1024 + 16);
        assert_eq!(Stack::layout(4096).unwrap().align(), STACK_ALIGN);
        assert!(Stack::layout(usize::MAX).is_none());
    }

    #[test]
    fn top_is_aligned_end() {
        let s = Stack::new(5000).unwrap();
        assert_eq!(s.top() % STACK_ALIGN, 0);
        assert_eq!(s.range().len(), 5008);
        assert_eq!(s.range().end, s.top());
    }
}
