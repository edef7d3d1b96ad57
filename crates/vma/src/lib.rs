//! The region map of an address space: which page ranges a program owns and
//! with what attributes (the kernel's protection and "filled on demand"
//! bit), as Linux's VMAs, without the page tables.
//!
//! A [`RegionMap`] holds [`Area`]s sorted by start, never overlapping, never
//! empty. Every operation keeps that invariant and merges neighbours that
//! touch and have equal attributes, so a region grown piece by piece (the
//! program break) stays one area. Operations that split areas need room for
//! more entries: they reserve it first and fail with [`NoMemory`] before
//! changing anything, so a failed call leaves the map as it was.
//!
//! * [`RegionMap::insert`]: add a range that overlaps nothing (`mmap`).
//! * [`RegionMap::remove`]: cut a range out wherever it overlaps areas
//!   (`munmap`, `MAP_FIXED` replacing, shrinking `brk`); returns the pieces
//!   that were removed, which are the only places pages can be mapped.
//! * [`RegionMap::set_attr`]: give a range that is entirely covered by areas
//!   new attributes (`mprotect`); returns the covered pieces.
//! * [`RegionMap::find_free`]: the highest gap of a given length in a window
//!   (top-down placement, as Linux's default mmap layout).
//!
//! Addresses are plain `u64`s; the map does not require page alignment
//! (the kernel only passes page-aligned ranges).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::ops::Range;

/// One region: `range` (non-empty) with attributes `attr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area<A> {
    pub range: Range<u64>,
    pub attr: A,
}

/// An allocation for the map's entries failed; nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoMemory;

/// Why an operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The range is empty or reversed.
    Empty,
    /// `insert`: the range overlaps an existing area.
    Overlap,
    /// `set_attr`: part of the range is not covered by any area.
    Hole,
    NoMemory,
}

impl From<NoMemory> for MapError {
    fn from(_: NoMemory) -> Self {
        MapError::NoMemory
    }
}

/// Sorted, non-overlapping areas (see the crate doc).
#[derive(Clone, Debug)]
pub struct RegionMap<A> {
    areas: Vec<Area<A>>,
}

impl<A> Default for RegionMap<A> {
    fn default() -> Self {
        RegionMap { areas: Vec::new() }
    }
}

fn overlaps(a: &Range<u64>, b: &Range<u64>) -> bool {
    a.start < b.end && b.start < a.end
}

impl<A: Copy + PartialEq> RegionMap<A> {
    pub const fn new() -> Self {
        RegionMap { areas: Vec::new() }
    }

    /// The areas in address order.
    pub fn areas(&self) -> &[Area<A>] {
        &self.areas
    }

    /// A copy of the map (fallible, for fork).
    pub fn try_clone(&self) -> Result<Self, NoMemory> {
        let mut areas = Vec::new();
        areas.try_reserve_exact(self.areas.len()).map_err(|_| NoMemory)?;
        areas.extend(self.areas.iter().cloned());
        Ok(RegionMap { areas })
    }

    /// The area containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Area<A>> {
        let i = self.areas.partition_point(|a| a.range.end <= addr);
        self.areas.get(i).filter(|a| a.range.start <= addr)
    }

    /// Whether any area overlaps `range`.
    pub fn overlaps(&self, range: &Range<u64>) -> bool {
        let i = self.areas.partition_point(|a| a.range.end <= range.start);
        self.areas.get(i).is_some_and(|a| overlaps(&a.range, range))
    }

    /// Whether `range` (non-empty) is covered by areas without a hole.
    pub fn covers(&self, range: &Range<u64>) -> bool {
        let mut at = range.start;
        let i = self.areas.partition_point(|a| a.range.end <= at);
        for a in &self.areas[i..] {
            if a.range.start > at {
                return false;
            }
            at = a.range.end;
            if at >= range.end {
                return true;
            }
        }
        false
    }

    /// Add `range` with `attr`; it must overlap no area.
    pub fn insert(&mut self, range: Range<u64>, attr: A) -> Result<(), MapError> {
        if range.start >= range.end {
            return Err(MapError::Empty);
        }
        if self.overlaps(&range) {
            return Err(MapError::Overlap);
        }
        self.areas.try_reserve(1).map_err(|_| NoMemory)?;
        let i = self.areas.partition_point(|a| a.range.end <= range.start);
        self.areas.insert(i, Area { range, attr });
        self.merge_around(i);
        Ok(())
    }

    /// Remove `range` from every area it overlaps (splitting one in two if
    /// the range is strictly inside it). Returns the removed pieces, in
    /// order; an empty range removes nothing.
    pub fn remove(&mut self, range: Range<u64>) -> Result<Vec<Range<u64>>, NoMemory> {
        let mut removed = Vec::new();
        if range.start >= range.end {
            return Ok(removed);
        }
        let first = self.areas.partition_point(|a| a.range.end <= range.start);
        let last = self.areas.partition_point(|a| a.range.start < range.end);
        if first >= last {
            return Ok(removed);
        }
        removed.try_reserve_exact(last - first).map_err(|_| NoMemory)?;
        let split = last - first == 1
            && self.areas[first].range.start < range.start
            && range.end < self.areas[first].range.end;
        if split {
            self.areas.try_reserve(1).map_err(|_| NoMemory)?;
            let a = &mut self.areas[first];
            let tail = Area { range: range.end..a.range.end, attr: a.attr };
            a.range.end = range.start;
            self.areas.insert(first + 1, tail);
            removed.push(range);
            return Ok(removed);
        }
        // Trim the partly covered ends; drop the wholly covered middle.
        let mut keep_from = first;
        let mut keep_to = last;
        for (i, a) in self.areas[first..last].iter_mut().enumerate() {
            let cut = a.range.start.max(range.start)..a.range.end.min(range.end);
            removed.push(cut.clone());
            if a.range.start < cut.start {
                a.range.end = cut.start; // keeps its head
                keep_from = first + i + 1;
            } else if cut.end < a.range.end {
                a.range.start = cut.end; // keeps its tail
                keep_to = first + i;
            }
        }
        if keep_from < keep_to {
            self.areas.drain(keep_from..keep_to);
        }
        Ok(removed)
    }

    /// Give `range`, which must be covered by areas with no hole, the
    /// attributes `f(old)`. Returns the covered pieces with their old
    /// attributes, in order.
    pub fn set_attr(&mut self, range: Range<u64>, f: impl Fn(A) -> A) -> Result<Vec<Area<A>>, MapError> {
        if range.start >= range.end {
            return Err(MapError::Empty);
        }
        if !self.covers(&range) {
            return Err(MapError::Hole);
        }
        let first = self.areas.partition_point(|a| a.range.end <= range.start);
        let last = self.areas.partition_point(|a| a.range.start < range.end);
        let mut pieces = Vec::new();
        pieces.try_reserve_exact(last - first).map_err(|_| NoMemory)?;
        self.areas.try_reserve(2).map_err(|_| NoMemory)?;
        // Split at range.end, then at range.start (indices stay valid).
        let tail_split = self.areas[last - 1].range.end > range.end;
        if tail_split {
            let a = &mut self.areas[last - 1];
            let tail = Area { range: range.end..a.range.end, attr: a.attr };
            a.range.end = range.end;
            self.areas.insert(last, tail);
        }
        let mut first_new = first;
        let mut last_new = last;
        if self.areas[first].range.start < range.start {
            let a = &mut self.areas[first];
            let head = Area { range: a.range.start..range.start, attr: a.attr };
            a.range.start = range.start;
            self.areas.insert(first, head);
            first_new += 1;
            last_new += 1;
        }
        for a in &mut self.areas[first_new..last_new] {
            pieces.push(a.clone());
            a.attr = f(a.attr);
        }
        // Merge from the right so earlier indices stay valid.
        let hi = (last_new + usize::from(tail_split)).min(self.areas.len() - 1);
        for i in (first_new.saturating_sub(1)..=hi).rev() {
            self.merge_with_next(i);
        }
        Ok(pieces)
    }

    /// The highest `start` with `start..start + len` free and inside
    /// `window`, aligned to `align` (a power of two), or `None`.
    pub fn find_free(&self, len: u64, window: Range<u64>, align: u64) -> Option<u64> {
        if len == 0 || window.end.checked_sub(window.start)? < len {
            return None;
        }
        let down = |v: u64| v & !(align - 1);
        // Walk the gaps from the top: above the last area, then between.
        let mut gap_end = window.end;
        for a in self.areas.iter().rev() {
            if a.range.start >= gap_end {
                continue;
            }
            let gap_start = a.range.end.max(window.start);
            if let Some(s) = gap_end.checked_sub(len).map(down) {
                if s >= gap_start && a.range.end <= s {
                    return Some(s);
                }
            }
            gap_end = a.range.start.min(gap_end);
            if gap_end <= window.start {
                return None;
            }
        }
        let s = down(gap_end.checked_sub(len)?);
        (s >= window.start).then_some(s)
    }

    /// Merge area `i` with its neighbours where they touch and match.
    fn merge_around(&mut self, i: usize) {
        self.merge_with_next(i);
        if i > 0 {
            self.merge_with_next(i - 1);
        }
    }

    fn merge_with_next(&mut self, i: usize) {
        if i + 1 < self.areas.len() {
            let (a, b) = (&self.areas[i], &self.areas[i + 1]);
            if a.range.end == b.range.start && a.attr == b.attr {
                self.areas[i].range.end = self.areas[i + 1].range.end;
                self.areas.remove(i + 1);
            }
        }
    }
}
