//! Scenario tests for the buddy allocator: construction checks, exhaustion,
//! coalescing, fragmentation, alignment, odd sizes and every kind of bad
//! free. Regions are real host memory (1 MiB-aligned, leaked on purpose so
//! the `'static` metadata and region outlive the allocator).

use buddy::{meta_words, BuddyAllocator, BuddyError, MAX_BLOCK, MIN_BLOCK};
use std::alloc::Layout;

/// An allocator over a fresh, leaked region of `mib` MiB.
fn make(mib: usize) -> BuddyAllocator {
    let size = mib * MAX_BLOCK;
    let layout = Layout::from_size_align(size, MAX_BLOCK).unwrap();
    // SAFETY: the layout has non-zero size.
    let base = unsafe { std::alloc::alloc(layout) } as usize;
    assert_ne!(base, 0, "host allocation failed");
    let meta = Box::leak(vec![0u64; meta_words(size)].into_boxed_slice());
    // SAFETY: the region is freshly allocated, leaked, and used only here.
    unsafe { BuddyAllocator::new(base, size, meta) }.unwrap()
}

/// Deterministic Fisher-Yates shuffle driven by xorshift64.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

#[test]
fn new_validates_region_and_metadata() {
    let meta = || Box::leak(vec![0u64; meta_words(2 * MAX_BLOCK)].into_boxed_slice());
    // These all fail validation before any memory is touched.
    let cases = [
        (MAX_BLOCK + 4096, MAX_BLOCK, BuddyError::MisalignedBase),
        (MAX_BLOCK, 0, BuddyError::BadRegionSize),
        (MAX_BLOCK, MAX_BLOCK + MIN_BLOCK, BuddyError::BadRegionSize),
        (
            usize::MAX - MAX_BLOCK + 1,
            2 * MAX_BLOCK,
            BuddyError::BadRegionSize,
        ),
    ];
    for (base, size, want) in cases {
        // SAFETY: construction fails before the region is used.
        let got = unsafe { BuddyAllocator::new(base, size, meta()) };
        assert_eq!(got.err(), Some(want), "base {base:#x} size {size:#x}");
    }
    let short = Box::leak(vec![0u64; meta_words(2 * MAX_BLOCK) - 1].into_boxed_slice());
    // SAFETY: construction fails before the region is used.
    let got = unsafe { BuddyAllocator::new(MAX_BLOCK, 2 * MAX_BLOCK, short) };
    assert_eq!(got.err(), Some(BuddyError::MetaTooSmall));
}

#[test]
fn fresh_allocator_is_all_free() {
    let a = make(3);
    assert_eq!(a.total_bytes(), 3 * MAX_BLOCK);
    assert_eq!(a.free_bytes(), 3 * MAX_BLOCK);
    assert_eq!(a.largest_free_block(), MAX_BLOCK);
    assert!(a.contains(a.base()) && !a.contains(a.base() + 3 * MAX_BLOCK));
}

#[test]
fn exhaustion_of_min_blocks_then_full_recovery() {
    let mut a = make(1);
    let mut blocks = Vec::new();
    while let Some(addr) = a.alloc(MIN_BLOCK, 1) {
        assert!(a.contains(addr) && addr % MIN_BLOCK == 0);
        blocks.push(addr);
    }
    assert_eq!(blocks.len(), MAX_BLOCK / MIN_BLOCK);
    assert_eq!(a.free_bytes(), 0);
    assert_eq!(a.alloc(1, 1), None);
    blocks.sort_unstable();
    blocks.dedup();
    assert_eq!(
        blocks.len(),
        MAX_BLOCK / MIN_BLOCK,
        "duplicate addresses handed out"
    );
    shuffle(&mut blocks, 0x1234_5678);
    for addr in blocks {
        a.free(addr, MIN_BLOCK).unwrap();
    }
    assert_eq!(a.free_bytes(), MAX_BLOCK);
    assert_eq!(a.alloc(MAX_BLOCK, 1), Some(a.base()));
}

#[test]
fn random_order_frees_coalesce_to_whole_mebibytes() {
    for seed in [1u64, 7, 0xdead_beef, 0x9e37_79b9_7f4a_7c15] {
        let mut a = make(2);
        let sizes = [64, 100, 4096, 200, 64 * 1024, 8, 3000, 128 * 1024];
        let mut live = Vec::new();
        // Fill with mixed sizes; when a size no longer fits, use 1 byte,
        // until even that fails.
        for i in 0.. {
            let wanted = sizes[i % sizes.len()];
            match a.alloc(wanted, 1) {
                Some(addr) => live.push((addr, wanted)),
                None => match a.alloc(1, 1) {
                    Some(addr) => live.push((addr, 1)),
                    None => break,
                },
            }
        }
        assert_eq!(a.free_bytes(), 0);
        shuffle(&mut live, seed);
        for (addr, size) in live {
            assert_eq!(a.free(addr, size), Ok(()), "free {addr:#x} size {size}");
        }
        assert_eq!(a.free_bytes(), 2 * MAX_BLOCK);
        assert!(a.alloc(MAX_BLOCK, MAX_BLOCK).is_some());
        assert!(a.alloc(MAX_BLOCK, MAX_BLOCK).is_some());
        assert_eq!(a.alloc(MIN_BLOCK, 1), None);
    }
}

#[test]
fn fragmentation_blocks_large_requests_until_neighbours_return() {
    let mut a = make(1);
    let pages: Vec<usize> = (0..256).map(|_| a.alloc(4096, 4096).unwrap()).collect();
    assert_eq!(a.alloc(4096, 1), None);
    for &p in pages.iter().step_by(2) {
        a.free(p, 4096).unwrap();
    }
    // Half the memory is free, but only in isolated 4 KiB holes.
    assert_eq!(a.free_bytes(), MAX_BLOCK / 2);
    assert_eq!(a.largest_free_block(), 4096);
    assert_eq!(a.alloc(8192, 1), None);
    // Small requests still fit in the holes.
    let small = a.alloc(64, 1).unwrap();
    a.free(small, 64).unwrap();
    for &p in pages.iter().skip(1).step_by(2) {
        a.free(p, 4096).unwrap();
    }
    // Some 4 KiB merges were deferred; the request that needs them merges.
    assert_eq!(a.alloc(MAX_BLOCK, 1), Some(a.base()));
}

#[test]
fn small_frees_defer_merging_and_coalesce_restores_whole_blocks() {
    let mut a = make(1);
    // The first 64 B allocation splits 1 MiB down; freeing it does not
    // merge back (its list is short), so the next one reuses it at once.
    let x = a.alloc(64, 1).unwrap();
    a.free(x, 64).unwrap();
    assert!(a.largest_free_block() < MAX_BLOCK);
    for _ in 0..1000 {
        assert_eq!(a.alloc(64, 1), Some(x));
        a.free(x, 64).unwrap();
    }
    assert_eq!(a.free_bytes(), MAX_BLOCK);
    a.coalesce();
    assert_eq!(a.largest_free_block(), MAX_BLOCK);
    // Many small blocks freed: the long list merges as it goes.
    let blocks: Vec<usize> = (0..64).map(|_| a.alloc(64, 1).unwrap()).collect();
    for &b in &blocks {
        a.free(b, 64).unwrap();
    }
    assert_eq!(a.free_bytes(), MAX_BLOCK);
    a.coalesce();
    assert_eq!(a.largest_free_block(), MAX_BLOCK);
    assert_eq!(a.alloc(MAX_BLOCK, 1), Some(a.base()));
}

#[test]
fn double_free_is_detected_and_harmless() {
    let mut a = make(1);
    let x = a.alloc(100, 1).unwrap();
    let y = a.alloc(100, 1).unwrap();
    a.free(x, 100).unwrap();
    let before = a.free_bytes();
    assert_eq!(a.free(x, 100), Err(BuddyError::DoubleFree));
    assert_eq!(a.free_bytes(), before);
    a.free(y, 100).unwrap();
    // After everything coalesced, both are still recognised as free.
    assert_eq!(a.free(x, 100), Err(BuddyError::DoubleFree));
    assert_eq!(a.free(y, 100), Err(BuddyError::DoubleFree));
    assert_eq!(a.free_bytes(), MAX_BLOCK);
    // A never-allocated address in a fresh allocator is free memory too.
    let mut fresh = make(1);
    assert_eq!(
        fresh.free(fresh.base() + 4096, 64),
        Err(BuddyError::DoubleFree)
    );
    assert_eq!(fresh.alloc(MAX_BLOCK, 1), Some(fresh.base()));
}

#[test]
fn invalid_frees_are_rejected_without_side_effects() {
    let mut a = make(1);
    let base = a.base();
    let x = a.alloc(128, 1).unwrap();
    let free = a.free_bytes();
    assert_eq!(a.free(base - 64, 64), Err(BuddyError::OutOfRange));
    assert_eq!(a.free(base + MAX_BLOCK, 64), Err(BuddyError::OutOfRange));
    assert_eq!(a.free(0, 64), Err(BuddyError::OutOfRange));
    assert_eq!(a.free(x + 64, 64), Err(BuddyError::NotAllocated));
    assert_eq!(a.free(x + 1, 128), Err(BuddyError::NotAllocated));
    assert_eq!(a.free(x, 64), Err(BuddyError::WrongSize));
    assert_eq!(a.free(x, 129), Err(BuddyError::WrongSize));
    assert_eq!(a.free(x, MAX_BLOCK + 1), Err(BuddyError::InvalidLayout));
    assert_eq!(a.free_aligned(x, 128, 3), Err(BuddyError::InvalidLayout));
    assert_eq!(a.free_bytes(), free);
    // 100 rounds to the same 128-byte block, so it is accepted.
    assert_eq!(a.free(x, 100), Ok(()));
    assert_eq!(a.free_bytes(), MAX_BLOCK);
}

#[test]
fn alignment_is_honoured() {
    let mut a = make(2);
    // Split the first MiB so that aligned requests come from split blocks.
    let _small = a.alloc(64, 1).unwrap();
    let mut align = 1;
    while align <= MAX_BLOCK {
        let addr = a.alloc(1, align).unwrap();
        assert_eq!(addr % align, 0, "align {align}");
        if align <= MIN_BLOCK {
            assert_eq!(a.free(addr, 1), Ok(()));
        } else {
            // The block is `align` bytes, so `size` alone does not name it.
            assert_eq!(a.free(addr, 1), Err(BuddyError::WrongSize));
            assert_eq!(a.free_aligned(addr, 1, align), Ok(()));
        }
        align *= 2;
    }
    assert_eq!(a.alloc(1, 2 * MAX_BLOCK), None);
    assert_eq!(a.alloc(1, 48), None);
    assert_eq!(a.alloc(1, 0), None);
}

#[test]
fn odd_sizes_round_up_to_powers_of_two() {
    let mut a = make(1);
    for (size, block) in [
        (1, 64),
        (65, 128),
        (1000, 1024),
        (4097, 8192),
        (MAX_BLOCK / 2 + 1, MAX_BLOCK),
    ] {
        let before = a.free_bytes();
        let addr = a.alloc(size, 1).unwrap();
        assert_eq!(before - a.free_bytes(), block, "size {size}");
        assert_eq!(addr % block, 0);
        // The whole requested size is usable memory.
        // SAFETY: `addr..addr + size` was just allocated to us.
        let bytes = unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, size) };
        bytes.fill(0xA5);
        assert!(bytes.iter().all(|&b| b == 0xA5));
        a.free(addr, size).unwrap();
        assert_eq!(a.free_bytes(), before);
    }
    assert_eq!(a.alloc(MAX_BLOCK + 1, 1), None);
}

#[test]
fn region_of_several_mebibytes() {
    let mut a = make(5);
    let mut big: Vec<usize> = (0..5).map(|_| a.alloc(MAX_BLOCK, 1).unwrap()).collect();
    assert_eq!(a.alloc(64, 1), None);
    big.sort_unstable();
    let expected: Vec<usize> = (0..5).map(|i| a.base() + i * MAX_BLOCK).collect();
    assert_eq!(big, expected);
    for addr in big {
        a.free(addr, MAX_BLOCK).unwrap();
    }
    // A small allocation in the last MiB must not stop the others merging.
    let small: Vec<usize> = (0..5 * 16)
        .map(|_| a.alloc(64 * 1024, 1).unwrap())
        .collect();
    for &addr in &small[..small.len() - 1] {
        a.free(addr, 64 * 1024).unwrap();
    }
    assert_eq!(a.free_bytes(), 5 * MAX_BLOCK - 64 * 1024);
    for _ in 0..4 {
        assert!(a.alloc(MAX_BLOCK, 1).is_some());
    }
    assert_eq!(a.alloc(MAX_BLOCK, 1), None);
}
