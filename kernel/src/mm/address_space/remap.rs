//! Filling, moving and discarding the pages of an address space: what a
//! private file `mmap`, `mremap` and `madvise(MADV_DONTNEED)` need.
//!
//! * [`AddressSpace::populate`] maps the pages of a fresh region at once and
//!   copies bytes into them (a private file mapping's contents, read when
//!   it is mapped); the pages after the bytes stay on demand.
//! * [`Cursor::map_filled`] maps one fresh page holding given bytes and
//!   zeros around them (the loader's file-backed pages: each byte written
//!   once).
//! * [`AddressSpace::discard`] drops the pages of lazy (anonymous) regions:
//!   their frames are released and the next touch maps a zeroed page, as
//!   Linux does for private anonymous memory. Regions filled at load time
//!   (an ELF segment, a file mapping) would lose their contents for good,
//!   so they are refused (`RegionError::NotLazy`).
//! * [`AddressSpace::resize`] shrinks a region in place, grows it in place
//!   when the pages after it are free, or (if allowed) moves it: the page
//!   table entries themselves move, frames and their copy-on-write state
//!   included, so nothing is copied and no reference count changes.
//!
//! Pages taken away are flushed from every CPU that has the space loaded
//! (`tlb::flush_user_range`) before their frames are released, as `unmap`
//! does; the caller holds the process's `AddressSpace` lock.

use super::{holds_frame, AddressSpace, Attr, Cursor, Prot, RegionError};
use crate::mm::addr::{Frame, VirtAddr};
use crate::mm::layout::PAGE_SIZE;
use crate::mm::paging::{MapError, Pte, PteFlags};
use crate::mm::pmm;
use crate::mm::tlb;
use alloc::vec::Vec;
use core::ops::Range;

/// Where a resized region ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resized {
    InPlace,
    Moved(VirtAddr),
}

impl Cursor<'_> {
    /// Map a fresh frame at page `va` with `flags`, holding `data` from
    /// byte `at` of the page and zeros around it (the loader's file-backed
    /// pages: each byte written once, instead of zeroed and then copied).
    pub fn map_filled(&mut self, va: VirtAddr, flags: PteFlags, at: usize, data: &[u8]) -> Result<Frame, MapError> {
        let page = PAGE_SIZE as usize;
        assert!(at <= page && data.len() <= page - at, "map_filled: {} bytes at {at} overflow the page", data.len());
        let frame = Frame::new(pmm::alloc_frame()?);
        let dst = frame.start().to_direct_map().as_u64() as *mut u8;
        // SAFETY: `frame` was just allocated (ours alone) and the direct map
        // covers it; the three writes fill exactly its `PAGE_SIZE` bytes
        // (`at + data.len() <= PAGE_SIZE`, checked above).
        unsafe {
            core::ptr::write_bytes(dst, 0, at);
            core::ptr::copy_nonoverlapping(data.as_ptr(), dst.add(at), data.len());
            core::ptr::write_bytes(dst.add(at + data.len()), 0, page - at - data.len());
        }
        pmm::init_user_frame(frame.as_u64());
        self.install(va, frame, flags).inspect_err(|_| pmm::release(frame.as_u64()))?;
        Ok(frame)
    }
}

impl AddressSpace {
    /// The regions covering `range`, cut to it: `Hole` unless every page of
    /// `range` is in one.
    fn pieces(&self, range: &Range<u64>) -> Result<Vec<(Range<u64>, Attr)>, RegionError> {
        if !self.regions.covers(range) {
            return Err(RegionError::Hole);
        }
        let mut out = Vec::new();
        for a in self.regions.areas() {
            let (start, end) = (a.range.start.max(range.start), a.range.end.min(range.end));
            if start < end {
                fallible::in_scope(|| out.try_reserve(1)).map_err(|_| RegionError::NoMemory)?;
                out.push((start..end, a.attr));
            }
        }
        Ok(out)
    }

    /// Map every page of `[va, va + data.len())` (inside one region, page
    /// aligned `va`, none mapped yet) and copy `data` there; a region
    /// without access (`PROT_NONE`) keeps the bytes in held pages.
    pub fn populate(&mut self, va: VirtAddr, data: &[u8]) -> Result<(), RegionError> {
        let range = va.as_u64()..va.as_u64() + (data.len() as u64).next_multiple_of(PAGE_SIZE);
        let attr = match self.pieces(&range)?.as_slice() {
            [(_, attr)] => *attr,
            _ => return Err(RegionError::Hole),
        };
        let prot = if attr.prot.accessible() { attr.prot } else { Prot::from_bits(1) };
        for page in range.clone().step_by(PAGE_SIZE as usize) {
            match self.cursor().map_new(VirtAddr::new(page), prot.pte_flags(false) - crate::mm::paging::PteFlags::PRESENT - crate::mm::paging::PteFlags::USER) {
                Ok(_) => {}
                Err(MapError::OutOfMemory) => return Err(RegionError::NoMemory),
                Err(_) => return Err(RegionError::Overlap),
            }
        }
        self.write_bytes(va, data).map_err(|_| RegionError::Hole)?;
        if !attr.prot.accessible() {
            self.protect(VirtAddr::new(range.start)..VirtAddr::new(range.end), attr.prot)?;
        }
        Ok(())
    }

    /// `madvise(MADV_DONTNEED)` on `range` (page-aligned): release its pages
    /// so that the next touch sees zeroes (module doc).
    pub fn discard(&mut self, range: Range<VirtAddr>) -> Result<(), RegionError> {
        let r = range.start.as_u64()..range.end.as_u64();
        let pieces = self.pieces(&r)?;
        if pieces.iter().any(|(_, a)| !a.lazy) {
            return Err(RegionError::NotLazy);
        }
        for (piece, _) in pieces {
            self.release_pages(piece);
        }
        Ok(())
    }

    /// `mremap(old, new_len)` for a range inside one region: shrink or grow
    /// it in place, else move it below `top` if `may_move` (module doc).
    /// `Hole` if `old` is not inside one region, `Overlap` if it can grow
    /// neither in place nor elsewhere.
    pub fn resize(&mut self, old: Range<VirtAddr>, new_len: u64, may_move: bool, top: VirtAddr) -> Result<Resized, RegionError> {
        let (start, end) = (old.start.as_u64(), old.end.as_u64());
        let attr = match self.pieces(&(start..end))?.as_slice() {
            [(_, attr)] => *attr,
            _ => return Err(RegionError::Hole),
        };
        let new_end = start.checked_add(new_len).ok_or(RegionError::Overlap)?;
        if new_end <= end {
            if new_end < end {
                self.unmap(VirtAddr::new(new_end)..old.end)?;
            }
            return Ok(Resized::InPlace);
        }
        let tail = VirtAddr::new(end)..VirtAddr::new(new_end);
        if new_end <= top.as_u64() && self.is_free(tail.clone()) {
            self.add_region(tail, attr.prot, true)?;
            return Ok(Resized::InPlace);
        }
        if !may_move {
            return Err(RegionError::Overlap);
        }
        let window = VirtAddr::new(mello_abi::limits::USER_START as u64)..top;
        let to = self.find_free(new_len, window).ok_or(RegionError::Overlap)?;
        let dest = to..VirtAddr::new(to.as_u64() + new_len);
        self.add_region(dest.clone(), attr.prot, true)?;
        // Every page table the move needs first (for the pages that hold a
        // frame), so that it cannot fail half-way with pages on both sides.
        let mut next = start;
        while let Some((from, pte)) = self.cursor().next_entry(next, end) {
            next = from.as_u64() + PAGE_SIZE;
            if holds_frame(pte) && self.cursor().entry(VirtAddr::new(to.as_u64() + (from.as_u64() - start)), true).is_err() {
                self.unmap(dest)?;
                return Err(RegionError::NoMemory);
            }
        }
        let mut next = start;
        while let Some((from, pte)) = self.cursor().next_entry(next, end) {
            next = from.as_u64() + PAGE_SIZE;
            let off = from.as_u64() - start;
            if !holds_frame(pte) {
                continue;
            }
            let moved = core::mem::replace(pte, Pte(0));
            match self.cursor().entry(VirtAddr::new(to.as_u64() + off), false) {
                Ok(Some(slot)) => *slot = moved,
                _ => unreachable!("the destination's page tables were made above"),
            }
        }
        // Every CPU running this space forgets the old addresses.
        tlb::flush_user_range(self.root.as_u64(), start, end);
        // The old range's frames are gone from it: only the region remains.
        self.regions.remove(start..end)?;
        Ok(Resized::Moved(to))
    }
}
