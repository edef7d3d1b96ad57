//! Randomized stress test: thousands of random allocs and frees (plus
//! deliberate bad frees) checked against a shadow model of live blocks.
//!
//! The model checks that every returned block lies in the region, is
//! aligned, does not overlap any live block, keeps the bytes written into
//! it, that `free_bytes` always equals `total - live`, and that `alloc`
//! only fails when no aligned window of the needed size is entirely free
//! (which, thanks to coalescing, is exactly when no free block fits).

use buddy::{meta_words, order_for, BuddyAllocator, BuddyError, MAX_BLOCK};
use std::alloc::Layout;
use std::collections::BTreeMap;

/// xorshift64: a tiny deterministic PRNG, good enough for tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A live allocation in the model.
struct Live {
    size: usize,
    align: usize,
    block: usize,
    tag: u8,
}

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

/// The bytes of a live allocation (only the requested `size`).
fn bytes(addr: usize, size: usize) -> &'static mut [u8] {
    // SAFETY: only called on blocks the allocator handed out and the model
    // still holds; the region is leaked, so it lives forever.
    unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, size) }
}

/// Writes a tag at the start and end of a block's requested bytes.
fn stamp(addr: usize, size: usize, tag: u8) {
    let b = bytes(addr, size);
    let n = size.min(32);
    b[..n].fill(tag);
    b[size - n..].fill(tag);
}

fn check_stamp(addr: usize, size: usize, tag: u8) {
    let b = bytes(addr, size);
    let n = size.min(32);
    assert!(
        b[..n].iter().chain(&b[size - n..]).all(|&x| x == tag),
        "block {addr:#x} corrupted"
    );
}

/// Whether some `block`-aligned window of `block` bytes overlaps nothing live.
fn window_free(a: &BuddyAllocator, live: &BTreeMap<usize, Live>, block: usize) -> bool {
    (0..a.total_bytes() / block).any(|i| {
        let start = a.base() + i * block;
        let end = start + block;
        // The last live block starting before `end` is the only candidate
        // overlap, since live blocks never overlap each other.
        live.range(..end)
            .next_back()
            .is_none_or(|(&s, l)| s + l.block <= start)
    })
}

fn run(seed: u64, ops: usize) {
    let mut rng = Rng(seed);
    let mut a = make(4);
    let mut live: BTreeMap<usize, Live> = BTreeMap::new();
    let mut live_bytes = 0;
    for step in 0..ops {
        let choice = rng.below(100);
        if choice < 55 || live.is_empty() {
            // Small blocks are more common than large ones.
            let order = rng.below(15).min(rng.below(15)) as u32;
            let block = 64usize << order;
            let size = if rng.below(8) == 0 {
                0
            } else {
                block / 2 + 1 + rng.below(block as u64 / 2) as usize
            };
            let align = 1usize << rng.below(u64::from(order) + 8).min(20);
            let want = 64usize << order_for(size, align).unwrap();
            match a.alloc(size, align) {
                Some(addr) => {
                    assert!(a.contains(addr) && a.contains(addr + want - 1));
                    assert_eq!(addr % want, 0, "step {step}: block not aligned to its size");
                    assert_eq!(addr % align, 0);
                    assert!(live
                        .range(..addr + want)
                        .next_back()
                        .is_none_or(|(&s, l)| s + l.block <= addr));
                    let tag = rng.next() as u8;
                    if size > 0 {
                        stamp(addr, size, tag);
                    }
                    live.insert(
                        addr,
                        Live {
                            size,
                            align,
                            block: want,
                            tag,
                        },
                    );
                    live_bytes += want;
                }
                None => assert!(
                    !window_free(&a, &live, want),
                    "step {step}: alloc({size}, {align}) failed spuriously"
                ),
            }
        } else if choice < 95 {
            let pick = rng.below(live.len() as u64) as usize;
            let addr = *live.keys().nth(pick).unwrap();
            let l = live.remove(&addr).unwrap();
            if l.size > 0 {
                check_stamp(addr, l.size, l.tag);
            }
            assert_eq!(a.free_aligned(addr, l.size, l.align), Ok(()));
            live_bytes -= l.block;
            // Freeing it again must be refused while it is still free.
            assert_eq!(
                a.free_aligned(addr, l.size, l.align),
                Err(BuddyError::DoubleFree)
            );
        } else {
            // An interior pointer of a live block bigger than 64 bytes.
            if let Some((&addr, l)) = live.iter().find(|(_, l)| l.block > 64) {
                assert_eq!(a.free(addr + 64, 64), Err(BuddyError::NotAllocated));
                assert_eq!(a.free(addr, l.block * 2), Err(BuddyError::WrongSize));
            }
        }
        assert_eq!(a.free_bytes(), a.total_bytes() - live_bytes, "step {step}");
    }
    // Free whatever is left, in random order; everything must coalesce.
    let mut rest: Vec<usize> = live.keys().copied().collect();
    while !rest.is_empty() {
        let addr = rest.swap_remove(rng.below(rest.len() as u64) as usize);
        let l = &live[&addr];
        if l.size > 0 {
            check_stamp(addr, l.size, l.tag);
        }
        a.free_aligned(addr, l.size, l.align).unwrap();
    }
    assert_eq!(a.free_bytes(), a.total_bytes());
    assert_eq!(a.largest_free_block(), MAX_BLOCK);
    for _ in 0..4 {
        assert!(a.alloc(MAX_BLOCK, 1).is_some());
    }
    assert_eq!(a.alloc(1, 1), None);
}

#[test]
fn stress_against_model_seed_a() {
    run(0x0123_4567_89ab_cdef, 20_000);
}

#[test]
fn stress_against_model_seed_b() {
    run(0xfeed_face_cafe_f00d, 20_000);
}

#[test]
fn stress_against_model_many_short_runs() {
    for seed in 1u64..40 {
        run(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 500);
    }
}
