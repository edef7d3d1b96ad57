//! The fuzzer's random source: SplitMix64, seeded from the printed seed
//! (and the worker's number), so a run replays from its seed line.
//!
//! Invariant: the same seed gives the same sequence on every machine; no
//! state is shared between processes (a forked child continues its own
//! copy, re-seeded with [`Rng::fork`] so parent and child diverge).

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    /// One element of `items` (non-empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// A new generator for a forked child, derived from this one.
    pub fn fork(&mut self) -> Rng {
        Rng::new(self.next())
    }
}

/// Mix a worker index into the run's seed.
pub fn derive(seed: u64, index: u64) -> u64 {
    let mut r = Rng::new(seed.wrapping_add(index.wrapping_mul(0xD6E8_FEB8_6659_FD93)));
    r.next()
}
