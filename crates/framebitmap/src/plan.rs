//! Boot-time planner: which physical frames may the allocator use?
//!
//! Input: the firmware/bootloader memory map (regions that may overlap, be
//! unsorted, unaligned, leave holes, or lie above 4 GiB) and a list of
//! physical ranges the kernel must keep (its image, boot modules, boot
//! information, the first MiB, ...). Output, via an iterator and without
//! allocating: the page-aligned byte ranges that are usable.
//!
//! The rule, page by page: a 4 KiB page is usable exactly when
//! * every byte of it is covered by `Available` regions (possibly several
//!   overlapping or adjacent ones), so available memory is rounded *inward*;
//! * no byte of it is covered by a non-`Available` region or a reserved
//!   range, so those are rounded *outward*. Where `Available` and another
//!   kind overlap, the other kind wins.
//!
//! The implementation subtracts the blockers from the available bytes
//! exactly, then keeps the whole pages of each remaining stretch; that is
//! the same as rounding available memory inward and blockers outward.
//!
//! Invariants of the output: ranges are page-aligned, non-empty, sorted by
//! address, disjoint and never adjacent (maximal). Region ends that would
//! pass `u64::MAX` are clamped to it, so the very last page of the 64-bit
//! space is never reported.

use crate::FRAME_SIZE;
use core::ops::Range;

/// The kind of a memory-map region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// RAM the kernel may use freely.
    Available,
    /// Anything else: firmware, ACPI, MMIO, bad memory, ...
    Other,
}

/// One entry of the memory map: `len` bytes starting at `base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemRegion {
    pub base: u64,
    pub len: u64,
    pub kind: RegionKind,
}

impl MemRegion {
    /// The region's bytes as a range, clamped at `u64::MAX`.
    pub fn range(&self) -> Range<u64> {
        self.base..self.base.saturating_add(self.len)
    }
}

/// The first MiB of physical memory (real-mode IVT, BIOS data, EBDA, VGA,
/// option ROMs); kernels conventionally pass it as a reserved range.
pub const FIRST_MIB: Range<u64> = 0..0x10_0000;

/// The usable page-aligned ranges of `regions` minus `reserved`, in
/// ascending order. See the module documentation for the exact rule.
pub fn usable_ranges<'a>(regions: &'a [MemRegion], reserved: &'a [Range<u64>]) -> UsableRanges<'a> {
    UsableRanges {
        regions,
        reserved,
        pos: Some(0),
    }
}

/// Iterator returned by [`usable_ranges`]. Each step costs
/// O(regions × (regions + reserved)), which is fine for boot-time maps.
#[derive(Clone, Debug)]
pub struct UsableRanges<'a> {
    regions: &'a [MemRegion],
    reserved: &'a [Range<u64>],
    /// Where the search for the next range starts; `None` when finished.
    pos: Option<u64>,
}

impl UsableRanges<'_> {
    /// Available regions as (unrounded) byte ranges.
    fn available(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        self.regions
            .iter()
            .filter(|r| r.kind == RegionKind::Available)
            .map(MemRegion::range)
            .filter(|r| !r.is_empty())
    }

    /// Everything that forbids use: non-`Available` regions and reserved
    /// ranges, as (unrounded) byte ranges.
    fn blockers(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        let others = self
            .regions
            .iter()
            .filter(|r| r.kind != RegionKind::Available);
        others
            .map(MemRegion::range)
            .chain(self.reserved.iter().cloned())
            .filter(|r| !r.is_empty())
    }

    /// The smallest address `>= pos` that is available and not blocked.
    fn next_start(&self, mut pos: u64) -> Option<u64> {
        loop {
            if let Some(blocker) = self.blockers().find(|b| b.contains(&pos)) {
                pos = blocker.end; // Strictly greater than `pos`.
            } else if self.available().any(|a| a.contains(&pos)) {
                return Some(pos);
            } else {
                pos = self
                    .available()
                    .map(|a| a.start)
                    .filter(|&s| s > pos)
                    .min()?;
            }
        }
    }

    /// The end of the maximal usable stretch that begins at `start`.
    fn stretch_end(&self, start: u64) -> u64 {
        // Follow overlapping or touching available regions as far as they go.
        let mut end = start;
        while let Some(next) = self
            .available()
            .filter(|a| a.contains(&end))
            .map(|a| a.end)
            .max()
        {
            end = next;
        }
        // Then stop at the first blocker inside the stretch.
        let cut = self
            .blockers()
            .map(|b| b.start)
            .filter(|&s| s > start && s < end)
            .min();
        cut.unwrap_or(end)
    }
}

impl Iterator for UsableRanges<'_> {
    type Item = Range<u64>;

    fn next(&mut self) -> Option<Range<u64>> {
        while let Some(pos) = self.pos {
            self.pos = None; // Finished, unless another stretch turns up.
            let start = self.next_start(pos)?;
            let end = self.stretch_end(start);
            self.pos = Some(end);
            // Keep only the whole pages inside the stretch.
            let pages = align_up(start).unwrap_or(u64::MAX)..align_down(end);
            if !pages.is_empty() {
                return Some(pages);
            }
        }
        None
    }
}

fn align_down(addr: u64) -> u64 {
    addr & !(FRAME_SIZE - 1)
}

fn align_up(addr: u64) -> Option<u64> {
    Some(addr.checked_add(FRAME_SIZE - 1)? & !(FRAME_SIZE - 1))
}
