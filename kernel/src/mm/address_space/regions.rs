//! The regions of an address space and the calls that edit them: what
//! `mmap` (anonymous), `munmap`, `mprotect` and `brk` need.
//!
//! * [`AddressSpace::add_region`] / [`AddressSpace::map_lazy`] declare a
//!   page-aligned free range; [`AddressSpace::unmap`] removes one, splitting
//!   the regions it cuts and releasing every page in it.
//! * [`AddressSpace::protect`] changes a range's protection and rewrites its
//!   pages: a shared (forked) frame stays copy-on-write, and under
//!   `PROT_NONE` a page keeps its frame in a not-present entry tagged
//!   [`HELD`].
//! * [`AddressSpace::set_brk`] moves the program break inside the layout
//!   the loader recorded (break start, mmap top, stack).
//!
//! Pages taken away are flushed from every CPU that has the space loaded
//! (`tlb::flush_user_range`) before their frames are released, so no CPU
//! can still reach a frame that has a new owner; the caller holds the
//! process's `AddressSpace` lock.

use super::{holds_frame, AddressSpace, Attr, Prot, RegionError, HELD};
use crate::mm::addr::VirtAddr;
use crate::mm::layout::PAGE_SIZE;
use crate::mm::paging::{Pte, PteFlags};
use crate::mm::{pmm, tlb};
use core::ops::Range;
use mello_abi::limits::USER_END;

impl AddressSpace {
    /// Declare `range` (page-aligned, free) part of the program with
    /// protection `prot`; `lazy` regions are filled on first touch.
    pub fn add_region(&mut self, range: Range<VirtAddr>, prot: Prot, lazy: bool) -> Result<(), RegionError> {
        let range = range.start.as_u64()..range.end.as_u64();
        debug_assert!(range.end <= USER_END as u64 && range.start % PAGE_SIZE == 0);
        Ok(self.regions.insert(range, Attr { prot, lazy })?)
    }

    /// Declare a fresh lazy region (`mmap` of anonymous memory): `range`
    /// must be page-aligned and free (see [`Self::is_free`]).
    pub fn map_lazy(&mut self, range: Range<VirtAddr>, prot: Prot) -> Result<(), RegionError> {
        self.add_region(range, prot, true)
    }

    /// Whether every page of `range` is in a region.
    pub fn covers(&self, range: Range<VirtAddr>) -> bool {
        self.regions.covers(&(range.start.as_u64()..range.end.as_u64()))
    }

    /// Whether no region overlaps `range`.
    pub fn is_free(&self, range: Range<VirtAddr>) -> bool {
        !self.regions.overlaps(&(range.start.as_u64()..range.end.as_u64()))
    }

    /// The highest page-aligned free range of `len` bytes inside `window`.
    pub fn find_free(&self, len: u64, window: Range<VirtAddr>) -> Option<VirtAddr> {
        self.regions.find_free(len, window.start.as_u64()..window.end.as_u64(), PAGE_SIZE).map(VirtAddr::new)
    }

    /// Remove `range` (page-aligned) from the program: split the regions it
    /// cuts, release every page in it and flush them from this CPU's TLB
    /// (the space is the current one, or not loaded anywhere).
    pub fn unmap(&mut self, range: Range<VirtAddr>) -> Result<(), RegionError> {
        let removed = self.regions.remove(range.start.as_u64()..range.end.as_u64())?;
        for piece in removed {
            self.release_pages(piece);
        }
        Ok(())
    }

    /// Clear every page of `range` that holds a frame and release the
    /// frames, in batches, each after its pages' flush (no allocation on
    /// the way; missing page tables are skipped whole).
    pub(super) fn release_pages(&mut self, range: Range<u64>) {
        const BATCH: usize = 32;
        let mut frames = [0u64; BATCH];
        let (mut n, mut lo, mut hi) = (0, u64::MAX, 0);
        let mut next = range.start;
        while let Some((at, pte)) = self.cursor().next_entry(next, range.end) {
            let va = at.as_u64();
            next = va + PAGE_SIZE;
            if holds_frame(pte) {
                frames[n] = pte.addr();
                n += 1;
                *pte = Pte(0);
                (lo, hi) = (lo.min(va), hi.max(va + PAGE_SIZE));
            }
            if n == BATCH {
                self.flush_and_release(lo..hi, &frames[..n]);
                (n, lo, hi) = (0, u64::MAX, 0);
            }
        }
        self.flush_and_release(lo..hi, &frames[..n]);
    }

    /// Flush `range` wherever this space is loaded, then release `frames`.
    pub(super) fn flush_and_release(&self, range: Range<u64>, frames: &[u64]) {
        tlb::flush_user_range(self.root.as_u64(), range.start, range.end);
        for &f in frames {
            pmm::release(f);
        }
    }

    /// Flush all of user space wherever this space is loaded (after
    /// [`Self::fork_cow`] made its writable pages read-only).
    pub fn flush_everywhere(&self) {
        tlb::flush_user_range(self.root.as_u64(), 0, USER_END as u64);
    }

    /// Give `range` (page-aligned, entirely inside regions: else
    /// `RegionError::Hole`) protection `prot`, rewriting its present pages
    /// and flushing them from this CPU's TLB.
    pub fn protect(&mut self, range: Range<VirtAddr>, prot: Prot) -> Result<(), RegionError> {
        let pieces = self.regions.set_attr(range.start.as_u64()..range.end.as_u64(), |a| Attr { prot, ..a })?;
        let (mut lo, mut hi) = (u64::MAX, 0);
        for piece in pieces {
            let mut next = piece.range.start;
            while let Some((at, pte)) = self.cursor().next_entry(next, piece.range.end) {
                let va = at.as_u64();
                next = va + PAGE_SIZE;
                if !holds_frame(pte) {
                    continue;
                }
                let frame = pte.addr();
                *pte = if prot.accessible() {
                    // A shared frame (after fork) stays copy-on-write.
                    let cow = pte.flags().contains(PteFlags::COW) || pmm::ref_count(frame) > 1;
                    Pte::new(frame, prot.pte_flags(cow))
                } else {
                    Pte(frame | HELD)
                };
                (lo, hi) = (lo.min(va), hi.max(va + PAGE_SIZE));
            }
        }
        self.flush_and_release(lo..hi, &[]);
        Ok(())
    }

    /// Where the program break starts (page aligned, just above the image).
    pub fn set_brk_base(&mut self, start: VirtAddr) {
        self.brk_start = start.as_u64();
        self.brk = start.as_u64();
    }

    /// Top of the mmap area (see the field).
    pub fn mmap_top(&self) -> u64 {
        self.mmap_top
    }

    pub fn set_mmap_top(&mut self, top: VirtAddr) {
        self.mmap_top = top.as_u64();
    }

    /// The stack region `[bottom, top)` the loader declared.
    pub fn stack(&self) -> Range<u64> {
        self.stack.0..self.stack.1
    }

    pub fn set_stack(&mut self, stack: Range<VirtAddr>) {
        self.stack = (stack.start.as_u64(), stack.end.as_u64());
    }

    /// Move the break to `new` (Linux's `brk`): below the start, or into
    /// another region, or above `limit`, it stays; growing declares a lazy
    /// RW region up to the new end's page, shrinking unmaps the pages above
    /// it. Returns the break afterwards.
    pub fn set_brk(&mut self, new: u64, limit: u64) -> u64 {
        if self.brk_start == 0 || new < self.brk_start || new > limit {
            return self.brk;
        }
        let old_end = self.brk.next_multiple_of(PAGE_SIZE);
        let new_end = new.next_multiple_of(PAGE_SIZE);
        let ok = if new_end > old_end {
            let grow = VirtAddr::new(old_end)..VirtAddr::new(new_end);
            self.is_free(grow.clone()) && self.add_region(grow, Prot::RW, true).is_ok()
        } else {
            self.unmap(VirtAddr::new(new_end)..VirtAddr::new(old_end)).is_ok()
        };
        if ok {
            self.brk = new;
        }
        self.brk
    }
}
