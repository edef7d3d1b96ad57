//! The scheduler's per-CPU run queue: three priority levels, round robin
//! within a level, and aging so that lower levels cannot starve.
//!
//! Each level is a FIFO (`VecDeque`). A small bitmap records which levels
//! are non-empty, so `pop` finds the highest non-empty level in O(1) with
//! one `trailing_zeros`. The scheduler pushes a preempted task to the back
//! of its level, which makes each level round robin.
//!
//! **Aging.** Strict priority alone lets a busy `High` level starve the
//! others forever. So every level counts how many consecutive pops were
//! served from a *higher* level while it was waiting (non-empty). Once a
//! level has waited [`STARVATION_LIMIT`] pops, it is *starving*, and the
//! next pop serves the highest-priority starving level once (resetting its
//! count) instead of the highest non-empty level.
//!
//! Guarantees, for a level that stays non-empty (`N = STARVATION_LIMIT`):
//! * with one busier level above it, it is served at least once every
//!   `N + 1` pops (pattern: N higher pops, then one for it);
//! * with all three levels busy, `Normal` and `Low` are each served at least
//!   once every `N + 2` pops (when both starve at the same moment, `Normal`
//!   goes first and `Low` right after).
//!
//! Invariants: bit `p` of `nonempty` is set exactly when level `p` holds
//! an item; `waited[p]` is meaningful only while level `p` is non-empty
//! (it restarts at 0 whenever the level goes from empty to non-empty).
//!
//! [`cpumask`] holds CPU affinity masks and the placement choices that
//! honour them (least-loaded allowed CPU, wake-up target, steal order).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cpumask;

use alloc::collections::VecDeque;

/// Consecutive higher-priority pops after which a waiting level is served.
pub const STARVATION_LIMIT: u32 = 8;

/// Number of priority levels.
const LEVELS: usize = 3;

/// A task's scheduling priority. Lower numbers are more urgent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priority {
    High = 0,
    Normal = 1,
    Low = 2,
}

impl Priority {
    /// All priorities, most urgent first.
    pub const ALL: [Priority; LEVELS] = [Priority::High, Priority::Normal, Priority::Low];

    /// The level index (0 = `High`).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The priority with level index `index`, if there is one.
    pub const fn from_index(index: usize) -> Option<Priority> {
        match index {
            0 => Some(Priority::High),
            1 => Some(Priority::Normal),
            2 => Some(Priority::Low),
            _ => None,
        }
    }
}

/// A priority run queue of `T`s (task handles, ids, ...).
pub struct RunQueue<T> {
    levels: [VecDeque<T>; LEVELS],
    /// Bit `p` set when `levels[p]` is non-empty.
    nonempty: u8,
    /// Consecutive pops served from a higher level while level `p` waited.
    waited: [u32; LEVELS],
}

impl<T> Default for RunQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> RunQueue<T> {
    /// An empty run queue (usable in a `static`).
    pub const fn new() -> Self {
        RunQueue {
            levels: [VecDeque::new(), VecDeque::new(), VecDeque::new()],
            nonempty: 0,
            waited: [0; LEVELS],
        }
    }

    /// Appends `item` to the back of its priority level.
    pub fn push_back(&mut self, item: T, prio: Priority) {
        let level = prio.index();
        if self.levels[level].is_empty() {
            self.nonempty |= 1 << level;
            self.waited[level] = 0;
        }
        self.levels[level].push_back(item);
    }

    /// Takes the next item to run: normally the front of the highest
    /// non-empty level, but a starving lower level first (see the module
    /// documentation). O(1).
    pub fn pop(&mut self) -> Option<(T, Priority)> {
        let level = self.starving_level().or_else(|| self.highest_level())?;
        let item = self.take(level, VecDeque::pop_front)?;
        self.waited[level] = 0;
        for lower in level + 1..LEVELS {
            if self.nonempty & (1 << lower) != 0 {
                self.waited[lower] = self.waited[lower].saturating_add(1);
            }
        }
        Some((item, Priority::from_index(level)?))
    }

    /// Takes an item for another CPU: the back (most recently queued) of
    /// the lowest-priority non-empty level, i.e. the item that would run
    /// last here. Does not count as a pop for aging.
    pub fn steal(&mut self) -> Option<(T, Priority)> {
        let level = self.nonempty.checked_ilog2()? as usize;
        let item = self.take(level, VecDeque::pop_back)?;
        Some((item, Priority::from_index(level)?))
    }

    /// Like [`steal`](Self::steal), but only items for which `pred` holds
    /// may move (e.g. tasks not pinned to this CPU): the last such item of
    /// the lowest-priority level that has one. O(n) in the worst case.
    pub fn steal_where(&mut self, mut pred: impl FnMut(&T) -> bool) -> Option<(T, Priority)> {
        let (level, index) = (0..LEVELS).rev().find_map(|level| {
            let index = self.levels[level].iter().rposition(&mut pred)?;
            Some((level, index))
        })?;
        let item = self.take(level, |queue| queue.remove(index))?;
        Some((item, Priority::from_index(level)?))
    }

    /// Removes and returns the first item (most urgent level first, front
    /// to back) for which `pred` is true. O(n); for migration and kill.
    pub fn remove(&mut self, mut pred: impl FnMut(&T) -> bool) -> Option<T> {
        let (level, index) = (0..LEVELS).find_map(|level| {
            let index = self.levels[level].iter().position(&mut pred)?;
            Some((level, index))
        })?;
        self.take(level, |queue| queue.remove(index))
    }

    /// Number of queued items.
    pub fn len(&self) -> usize {
        self.levels.iter().map(VecDeque::len).sum()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.nonempty == 0
    }

    /// Number of items queued at `prio`.
    pub fn len_at(&self, prio: Priority) -> usize {
        self.levels[prio.index()].len()
    }

    /// The non-empty-level bitmap: bit `p` is set when the level with index
    /// `p` holds at least one item.
    pub fn nonempty_levels(&self) -> u8 {
        self.nonempty
    }

    /// The queued items, most urgent level first, each level front to back.
    pub fn iter(&self) -> impl Iterator<Item = (&T, Priority)> + '_ {
        Priority::ALL.iter().flat_map(move |&prio| {
            self.levels[prio.index()]
                .iter()
                .map(move |item| (item, prio))
        })
    }

    /// The highest-priority non-empty level.
    fn highest_level(&self) -> Option<usize> {
        (self.nonempty != 0).then(|| self.nonempty.trailing_zeros() as usize)
    }

    /// The highest-priority non-empty level that has waited too long.
    fn starving_level(&self) -> Option<usize> {
        (1..LEVELS).find(|&level| {
            self.nonempty & (1 << level) != 0 && self.waited[level] >= STARVATION_LIMIT
        })
    }

    /// Takes an item out of `level` with `how`, keeping the bitmap in step.
    fn take(&mut self, level: usize, how: impl FnOnce(&mut VecDeque<T>) -> Option<T>) -> Option<T> {
        let item = how(&mut self.levels[level]);
        if self.levels[level].is_empty() {
            self.nonempty &= !(1 << level);
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_indices_round_trip() {
        for (i, prio) in Priority::ALL.iter().enumerate() {
            assert_eq!(prio.index(), i);
            assert_eq!(Priority::from_index(i), Some(*prio));
        }
        assert_eq!(Priority::from_index(3), None);
        assert_eq!(Priority::High as u8, 0);
        assert!(Priority::High < Priority::Low);
    }
}
