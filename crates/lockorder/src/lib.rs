//! The lock-order rule as a plain record: which lock levels one CPU (or
//! one interrupt context) holds, and whether it may take another.
//!
//! Locks are ranked by a [`Level`] (rank 0 is outermost, taken first). The
//! rule: a CPU may take a lock only if its rank is strictly greater than
//! the rank of every lock it already holds. That also forbids holding two
//! locks of one level at once. [`Held::acquire`] checks the rule and
//! records the lock; on a violation it records nothing and returns an
//! [`Inversion`] naming both levels (the held one and the wanted one), so
//! the caller can panic with a message that points at both locks.
//! [`Held::release`] undoes an acquisition.
//!
//! This crate knows nothing of CPUs or interrupts: the kernel keeps one
//! record per CPU (and a fresh one per interrupt context) and calls these
//! methods with interrupts off. The record is `Copy` and tiny (`N` bytes),
//! so it can be loaded from and stored to per-CPU cells around each call.
//!
//! Invariants: `counts[r]` is the number of held locks of rank `r`; after
//! any sequence of successful `acquire`s and `release`s, every count is 0
//! or 1 and the held ranks are exactly those acquired and not released.
//! `N` must exceed every rank used (a larger rank is a programming error
//! and panics on indexing).
#![no_std]
#![forbid(unsafe_code)]

use core::fmt;
use core::marker::PhantomData;

/// A lock level: a rank in the order, and a way back from a rank (to name
/// the held level in an error). `Debug` prints the level's name.
pub trait Level: Copy + fmt::Debug {
    /// Position in the order; 0 is outermost.
    fn rank(self) -> usize;
    /// The level of a rank, if there is one.
    fn from_rank(rank: usize) -> Option<Self>;
}

/// The record of held locks, for levels of type `L` with ranks below `N`.
pub struct Held<L, const N: usize> {
    counts: [u8; N],
    level: PhantomData<L>,
}

/// Taking `wanted` while holding `held` breaks the order: `held`'s rank is
/// greater than or equal to `wanted`'s (equal: a second lock of one level).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inversion<L> {
    pub held: L,
    pub wanted: L,
}

/// Releasing a level that is not held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotHeld<L>(pub L);

impl<L: Level, const N: usize> Held<L, N> {
    /// Nothing held.
    pub const fn new() -> Self {
        Held { counts: [0; N], level: PhantomData }
    }

    /// A record with the given per-rank counts (as stored per CPU).
    pub const fn from_counts(counts: [u8; N]) -> Self {
        Held { counts, level: PhantomData }
    }

    /// The per-rank counts, to store back.
    pub const fn counts(&self) -> [u8; N] {
        self.counts
    }

    /// Check the order rule for taking a lock of `wanted` and, if it
    /// holds, record the lock. On an inversion nothing changes; the error
    /// names the innermost held level at or above `wanted`.
    pub fn acquire(&mut self, wanted: L) -> Result<(), Inversion<L>> {
        let rank = wanted.rank();
        if let Some(held) = self.innermost().filter(|h| h.rank() >= rank) {
            return Err(Inversion { held, wanted });
        }
        self.counts[rank] += 1;
        Ok(())
    }

    /// Record that a lock of `level` was released. If none is held, the
    /// record is unchanged and the error says so.
    pub fn release(&mut self, level: L) -> Result<(), NotHeld<L>> {
        let count = &mut self.counts[level.rank()];
        if *count == 0 {
            return Err(NotHeld(level));
        }
        *count -= 1;
        Ok(())
    }

    /// Whether a lock of `level` is held.
    pub fn holds(&self, level: L) -> bool {
        self.counts[level.rank()] > 0
    }

    /// Whether any lock is held.
    pub fn holds_any(&self) -> bool {
        self.counts.iter().any(|&c| c > 0)
    }

    /// The held level with the greatest rank (the last one taken).
    pub fn innermost(&self) -> Option<L> {
        let rank = self.counts.iter().rposition(|&c| c > 0)?;
        Some(L::from_rank(rank).expect("a held rank has a level"))
    }

    /// Empty the record, returning what it held (an interrupt handler
    /// starts with nothing held; the old record comes back when it returns).
    pub fn take(&mut self) -> Self {
        core::mem::take(self)
    }
}

impl<L, const N: usize> Clone for Held<L, N> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L, const N: usize> Copy for Held<L, N> {}

impl<L: Level, const N: usize> Default for Held<L, N> {
    fn default() -> Self {
        Held::new()
    }
}

impl<L: Level, const N: usize> fmt::Debug for Held<L, N> {
    /// The held levels, outermost first: `{ProcessTable, RunQueue}`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let held = self.counts.iter().enumerate().filter(|(_, &c)| c > 0);
        f.debug_set().entries(held.filter_map(|(r, _)| L::from_rank(r))).finish()
    }
}

impl<L: Level> fmt::Display for Inversion<L> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.held.rank() == self.wanted.rank() {
            write!(f, "taking a second {:?} lock while holding a {:?} lock", self.wanted, self.held)
        } else {
            write!(f, "taking a {:?} lock while holding a {:?} lock", self.wanted, self.held)
        }
    }
}

impl<L: Level> fmt::Display for NotHeld<L> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "releasing a {:?} lock that is not held", self.0)
    }
}
