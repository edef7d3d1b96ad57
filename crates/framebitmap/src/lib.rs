//! Physical frame allocator: one bit per 4 KiB frame, in caller storage.
//!
//! Bit `i` of the bitmap describes frame `i` (physical address
//! `i * FRAME_SIZE`): **1 = used, 0 = free**. A new bitmap is all used; the
//! kernel then calls [`FrameBitmap::mark_free`] for every usable range the
//! [`usable_ranges`] planner reports, and [`FrameBitmap::mark_used`] for
//! anything it wants to keep for itself.
//!
//! Invariants:
//! * `free` equals the number of 0 bits among frames `0..nframes`;
//! * the padding bits after `nframes` in the last word are always 1, so a
//!   word that is not `u64::MAX` always holds a free frame *in range*;
//! * `hint` is a valid word index; single-frame allocation starts scanning
//!   there (next fit) and skips full words 64 frames at a time;
//! * no frame below `low` is free (every call that frees lowers it), so a
//!   contiguous search (lowest address first) starts at `low` instead of
//!   scanning the kernel's own used frames at the bottom each time.
//!
//! `free` detects double frees (the frame is already free) and frames out of
//! range. It cannot tell a frame the kernel reserved with `mark_used` from
//! one it allocated: both are simply "used".
#![no_std]
#![forbid(unsafe_code)]

mod plan;

use core::ops::Range;
pub use plan::{usable_ranges, MemRegion, RegionKind, UsableRanges, FIRST_MIB};

/// Size of a frame in bytes.
pub const FRAME_SIZE: u64 = 4096;

/// Why a frame operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The storage slice has fewer than `words_for(nframes)` words.
    StorageTooSmall,
    /// The frame (or part of the range) is `>= nframes`.
    OutOfRange,
    /// The frame (or one in the range) is already free.
    DoubleFree,
}

/// A bitmap of `nframes` physical frames.
pub struct FrameBitmap<'a> {
    words: &'a mut [u64],
    nframes: usize,
    free: usize,
    usable: usize,
    hint: usize,
    low: usize,
}

impl<'a> FrameBitmap<'a> {
    /// Number of `u64` words needed to track `nframes` frames.
    pub const fn words_for(nframes: usize) -> usize {
        nframes.div_ceil(64)
    }

    /// A bitmap over `storage` for frames `0..nframes`, all marked used.
    ///
    /// # Panics
    /// If `storage` is shorter than [`words_for(nframes)`](Self::words_for);
    /// use [`try_new`](Self::try_new) to get an error instead.
    pub fn new(storage: &'a mut [u64], nframes: usize) -> Self {
        match Self::try_new(storage, nframes) {
            Ok(bitmap) => bitmap,
            Err(_) => panic!("FrameBitmap storage too small for {nframes} frames"),
        }
    }

    /// Like [`new`](Self::new), but reports short storage as an error.
    pub fn try_new(storage: &'a mut [u64], nframes: usize) -> Result<Self, FrameError> {
        let needed = Self::words_for(nframes);
        let words = storage
            .get_mut(..needed)
            .ok_or(FrameError::StorageTooSmall)?;
        words.fill(u64::MAX);
        Ok(FrameBitmap {
            words,
            nframes,
            free: 0,
            usable: 0,
            hint: 0,
            low: nframes,
        })
    }

    /// Number of frames the bitmap covers.
    pub fn total_frames(&self) -> usize {
        self.nframes
    }

    /// Number of frames currently free.
    pub fn free_count(&self) -> usize {
        self.free
    }

    /// Number of frames handed to the allocator: frames made free by
    /// `mark_free` minus those taken back by `mark_used`. Allocation and
    /// `free` do not change it, so `usable_count() - free_count()` is the
    /// number of frames allocated (if `mark_used` is only used at boot).
    pub fn usable_count(&self) -> usize {
        self.usable
    }

    /// Whether `frame` is in range and free.
    pub fn is_free(&self, frame: usize) -> bool {
        frame < self.nframes && self.words[frame / 64] & (1 << (frame % 64)) == 0
    }

    /// Marks frames `first..first + count` free (whatever their state).
    pub fn mark_free(&mut self, first: usize, count: usize) -> Result<(), FrameError> {
        let range = self.checked_range(first, count)?;
        for (word, mask) in chunks(range) {
            let newly_free = (self.words[word] & mask).count_ones() as usize;
            self.words[word] &= !mask;
            self.free += newly_free;
            self.usable += newly_free;
        }
        self.low = self.low.min(first);
        Ok(())
    }

    /// Marks frames `first..first + count` used (whatever their state).
    pub fn mark_used(&mut self, first: usize, count: usize) -> Result<(), FrameError> {
        let range = self.checked_range(first, count)?;
        for (word, mask) in chunks(range) {
            let newly_used = (!self.words[word] & mask).count_ones() as usize;
            self.words[word] |= mask;
            self.free -= newly_used;
            self.usable -= newly_used;
        }
        Ok(())
    }

    /// Allocates one frame, scanning from where the last allocation ended.
    pub fn alloc(&mut self) -> Option<usize> {
        if self.free == 0 {
            return None;
        }
        let len = self.words.len();
        for step in 0..len {
            let word = (self.hint + step) % len;
            let bits = self.words[word];
            if bits != u64::MAX {
                let bit = (!bits).trailing_zeros() as usize;
                self.words[word] |= 1 << bit;
                self.free -= 1;
                self.hint = word;
                return Some(word * 64 + bit);
            }
        }
        None // Unreachable while `free` is accurate.
    }

    /// Allocates `count` consecutive frames whose first frame is a multiple
    /// of `align_frames` (a power of two), lowest address first.
    pub fn alloc_contiguous(&mut self, count: usize, align_frames: usize) -> Option<usize> {
        self.alloc_contiguous_in(0..self.nframes, count, align_frames)
    }

    /// Like [`alloc_contiguous`](Self::alloc_contiguous), but only within
    /// frames `within` (e.g. below 16 MiB for ISA DMA).
    pub fn alloc_contiguous_in(
        &mut self,
        within: Range<usize>,
        count: usize,
        align_frames: usize,
    ) -> Option<usize> {
        if count == 0 || !align_frames.is_power_of_two() {
            return None;
        }
        let end = within.end.min(self.nframes);
        // Raise `low` to the lowest free frame (none below it is free).
        self.low = self.first_with(self.low..self.nframes, false).unwrap_or(self.nframes);
        let mut start = align_up(within.start.max(self.low), align_frames)?;
        while start.checked_add(count)? <= end {
            match self.first_with(start..start + count, true) {
                None => {
                    self.mark_used_unchecked(start..start + count);
                    return Some(start);
                }
                // Skip past the used frame, then past any used run after it.
                Some(used) => {
                    let next_free = self.first_with(used + 1..end, false)?;
                    start = align_up(next_free, align_frames)?;
                }
            }
        }
        None
    }

    /// Frees one frame.
    pub fn free(&mut self, frame: usize) -> Result<(), FrameError> {
        self.free_contiguous(frame, 1)
    }

    /// Frees frames `first..first + count`. If any of them is out of range
    /// or already free, nothing is changed.
    pub fn free_contiguous(&mut self, first: usize, count: usize) -> Result<(), FrameError> {
        let range = self.checked_range(first, count)?;
        if self.first_with(range.clone(), false).is_some() {
            return Err(FrameError::DoubleFree);
        }
        for (word, mask) in chunks(range) {
            self.words[word] &= !mask;
        }
        self.free += count;
        self.low = self.low.min(first);
        Ok(())
    }

    /// `first..first + count` if it lies inside `0..nframes`.
    fn checked_range(&self, first: usize, count: usize) -> Result<Range<usize>, FrameError> {
        match first.checked_add(count) {
            Some(end) if end <= self.nframes => Ok(first..end),
            _ => Err(FrameError::OutOfRange),
        }
    }

    /// The first frame in `range` that is used (`used = true`) or free.
    fn first_with(&self, range: Range<usize>, used: bool) -> Option<usize> {
        chunks(range).find_map(|(word, mask)| {
            let bits = if used {
                self.words[word]
            } else {
                !self.words[word]
            };
            let hits = bits & mask;
            (hits != 0).then(|| word * 64 + hits.trailing_zeros() as usize)
        })
    }

    /// Marks an in-range, entirely free run used and accounts for it.
    fn mark_used_unchecked(&mut self, range: Range<usize>) {
        self.free -= range.len();
        for (word, mask) in chunks(range) {
            self.words[word] |= mask;
        }
    }
}

/// Splits a frame range into `(word index, bit mask)` pieces.
fn chunks(range: Range<usize>) -> impl Iterator<Item = (usize, u64)> {
    let mut pos = range.start;
    core::iter::from_fn(move || {
        if pos >= range.end {
            return None;
        }
        let bit = pos % 64;
        let n = (range.end - pos).min(64 - bit);
        let mask = if n == 64 {
            u64::MAX
        } else {
            ((1u64 << n) - 1) << bit
        };
        let word = pos / 64;
        pos += n;
        Some((word, mask))
    })
}

/// `value` rounded up to a multiple of `align` (a power of two).
fn align_up(value: usize, align: usize) -> Option<usize> {
    Some(value.checked_add(align - 1)? & !(align - 1))
}
