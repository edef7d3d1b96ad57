//! Tests of the frame bitmap: construction, marking, next-fit allocation,
//! exhaustion, double-free detection, contiguous aligned allocation, and a
//! randomized comparison against a `Vec<bool>` model.

use framebitmap::{FrameBitmap, FrameError};
use std::ops::Range;

fn storage(nframes: usize) -> Vec<u64> {
    vec![0; FrameBitmap::words_for(nframes)]
}

#[test]
fn words_for_rounds_up() {
    assert_eq!(FrameBitmap::words_for(0), 0);
    assert_eq!(FrameBitmap::words_for(1), 1);
    assert_eq!(FrameBitmap::words_for(64), 1);
    assert_eq!(FrameBitmap::words_for(65), 2);
}

#[test]
fn new_bitmap_is_all_used() {
    let mut words = storage(100);
    let mut bm = FrameBitmap::new(&mut words, 100);
    assert_eq!(bm.total_frames(), 100);
    assert_eq!(bm.free_count(), 0);
    assert!((0..110).all(|f| !bm.is_free(f)));
    assert_eq!(bm.alloc(), None);
    assert_eq!(bm.alloc_contiguous(1, 1), None);
}

#[test]
fn short_storage_is_an_error() {
    let mut words = vec![0; 1];
    assert_eq!(
        FrameBitmap::try_new(&mut words, 65).err(),
        Some(FrameError::StorageTooSmall)
    );
    assert!(FrameBitmap::try_new(&mut words, 64).is_ok());
}

#[test]
#[should_panic(expected = "too small")]
fn new_panics_on_short_storage() {
    let mut words = vec![0; 1];
    let _ = FrameBitmap::new(&mut words, 65);
}

#[test]
fn marking_counts_each_frame_once() {
    let mut words = storage(300);
    let mut bm = FrameBitmap::new(&mut words, 300);
    bm.mark_free(10, 100).unwrap();
    bm.mark_free(50, 100).unwrap(); // Overlaps: only 40 new frames.
    assert_eq!(bm.free_count(), 140);
    assert_eq!(bm.usable_count(), 140);
    assert!(!bm.is_free(9) && bm.is_free(10) && bm.is_free(149) && !bm.is_free(150));
    bm.mark_used(0, 20).unwrap(); // Only 10..20 were free.
    assert_eq!(bm.free_count(), 130);
    assert_eq!(bm.usable_count(), 130);
    assert_eq!(bm.mark_free(299, 2), Err(FrameError::OutOfRange));
    assert_eq!(bm.mark_used(usize::MAX, 2), Err(FrameError::OutOfRange));
    assert_eq!(bm.free_count(), 130, "failed marks change nothing");
    bm.mark_free(0, 300).unwrap();
    assert_eq!(bm.free_count(), 300);
    bm.mark_free(0, 0).unwrap();
}

#[test]
fn exhaustion_returns_every_frame_once_and_never_padding() {
    let mut words = storage(130);
    let mut bm = FrameBitmap::new(&mut words, 130);
    bm.mark_free(0, 130).unwrap();
    let mut got: Vec<usize> = std::iter::from_fn(|| bm.alloc()).collect();
    assert_eq!(got.len(), 130);
    assert_eq!(bm.free_count(), 0);
    assert_eq!(bm.alloc(), None);
    got.sort_unstable();
    assert_eq!(got, (0..130).collect::<Vec<_>>());
    assert_eq!(bm.usable_count() - bm.free_count(), 130);
}

#[test]
fn alloc_is_next_fit_and_wraps_around() {
    let mut words = storage(256);
    let mut bm = FrameBitmap::new(&mut words, 256);
    bm.mark_free(0, 256).unwrap();
    for expected in 0..70 {
        assert_eq!(bm.alloc(), Some(expected));
    }
    bm.free(3).unwrap();
    // The scan continues where it left off instead of going back to 3...
    assert_eq!(bm.alloc(), Some(70));
    for _ in 71..256 {
        bm.alloc().unwrap();
    }
    // ...and wraps around to find it once the end is full.
    assert_eq!(bm.alloc(), Some(3));
    assert_eq!(bm.alloc(), None);
}

#[test]
fn double_free_and_out_of_range_are_detected() {
    let mut words = storage(64);
    let mut bm = FrameBitmap::new(&mut words, 64);
    bm.mark_free(0, 64).unwrap();
    let f = bm.alloc().unwrap();
    bm.free(f).unwrap();
    assert_eq!(bm.free(f), Err(FrameError::DoubleFree));
    assert_eq!(bm.free(64), Err(FrameError::OutOfRange));
    assert_eq!(bm.free(usize::MAX), Err(FrameError::OutOfRange));
    assert_eq!(bm.free_count(), 64);
    // A range with one free frame inside is refused as a whole.
    let start = bm.alloc_contiguous(8, 1).unwrap();
    bm.free(start + 5).unwrap();
    assert_eq!(bm.free_contiguous(start, 8), Err(FrameError::DoubleFree));
    assert!(!bm.is_free(start) && bm.is_free(start + 5));
    assert_eq!(bm.free_count(), 64 - 7);
    assert_eq!(bm.free_contiguous(60, 8), Err(FrameError::OutOfRange));
}

#[test]
fn contiguous_allocation_honours_alignment() {
    let mut words = storage(1024);
    let mut bm = FrameBitmap::new(&mut words, 1024);
    bm.mark_free(1, 1023).unwrap();
    assert_eq!(bm.alloc_contiguous(4, 8), Some(8));
    assert_eq!(bm.alloc_contiguous(16, 16), Some(16));
    assert_eq!(bm.alloc_contiguous(3, 1), Some(1));
    assert_eq!(bm.alloc_contiguous(100, 1), Some(32), "spans two words");
    assert_eq!(bm.alloc_contiguous(512, 512), Some(512));
    assert_eq!(bm.alloc_contiguous(512, 512), None);
    assert_eq!(bm.free_count(), 1023 - 4 - 16 - 3 - 100 - 512);
    // Exact fit at the end of a hole: frames 4..8 are still free.
    assert_eq!(bm.alloc_contiguous(4, 4), Some(4));
    assert_eq!(bm.alloc_contiguous(0, 1), None);
    assert_eq!(bm.alloc_contiguous(1, 3), None);
    assert_eq!(bm.alloc_contiguous(2000, 1), None);
    assert_eq!(bm.alloc_contiguous(usize::MAX, 1), None);
}

#[test]
fn contiguous_allocation_within_a_window() {
    let mut words = storage(4096);
    let mut bm = FrameBitmap::new(&mut words, 4096);
    bm.mark_free(0, 4096).unwrap();
    assert_eq!(bm.alloc_contiguous_in(1000..1100, 64, 64), Some(1024));
    assert_eq!(bm.alloc_contiguous_in(1000..1100, 64, 64), None);
    assert_eq!(bm.alloc_contiguous_in(4000..9000, 96, 1), Some(4000));
    assert_eq!(bm.alloc_contiguous_in(4000..9000, 1, 1), None);
    assert_eq!(
        bm.alloc_contiguous_in(Range { start: 10, end: 5 }, 1, 1),
        None
    );
}

/// xorshift64: a tiny deterministic PRNG.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn random_operations_match_a_model() {
    const N: usize = 700;
    for seed in 1..20u64 {
        let mut rng = Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut words = storage(N);
        let mut bm = FrameBitmap::new(&mut words, N);
        let mut free = vec![false; N]; // The model.
        for _ in 0..2000 {
            let first = rng.below(N);
            let count = rng.below(N - first + 1);
            match rng.below(6) {
                0 => {
                    bm.mark_free(first, count).unwrap();
                    free[first..first + count].fill(true);
                }
                1 => {
                    bm.mark_used(first, count.min(8)).unwrap();
                    free[first..first + count.min(8)].fill(false);
                }
                2 => match bm.alloc() {
                    Some(f) => {
                        assert!(free[f], "allocated a used frame");
                        free[f] = false;
                    }
                    None => assert!(free.iter().all(|&f| !f)),
                },
                3 => {
                    let (count, align) = (1 + rng.below(40), 1 << rng.below(6));
                    let expected = (0..N)
                        .step_by(align)
                        .find(|&s| s + count <= N && free[s..s + count].iter().all(|&f| f));
                    assert_eq!(bm.alloc_contiguous(count, align), expected);
                    if let Some(s) = expected {
                        free[s..s + count].fill(false);
                    }
                }
                _ => {
                    let expected = if free[first] {
                        Err(FrameError::DoubleFree)
                    } else {
                        Ok(())
                    };
                    assert_eq!(bm.free(first), expected);
                    free[first] = true;
                }
            }
            assert_eq!(bm.free_count(), free.iter().filter(|&&f| f).count());
        }
        assert!((0..N).all(|f| bm.is_free(f) == free[f]));
    }
}

#[test]
fn contiguous_search_sees_frames_freed_below_its_start() {
    let mut words = storage(256);
    let mut bm = FrameBitmap::new(&mut words, 256);
    bm.mark_free(0, 256).unwrap();
    assert_eq!(bm.alloc_contiguous(100, 1), Some(0));
    assert_eq!(bm.alloc_contiguous(1, 1), Some(100), "the search starts above the used bottom");
    bm.free_contiguous(10, 2).unwrap();
    assert_eq!(bm.alloc_contiguous(2, 1), Some(10), "a frame freed below is found again");
    bm.free(5).unwrap();
    assert_eq!(bm.alloc_contiguous(1, 1), Some(5));
    bm.mark_free(0, 1).unwrap();
    assert_eq!(bm.alloc_contiguous(1, 1), Some(0));
}
