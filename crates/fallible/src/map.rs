//! [`SortedMap`]: an ordered map in one sorted `Vec`, with fallible
//! insertion.
//!
//! Invariant: `entries` is sorted by key, strictly (no two equal keys).
//! Every method keeps it; `try_insert` reserves before it moves anything,
//! so a failed insertion leaves the map exactly as it was.

use crate::AllocError;
use alloc::vec::Vec;
use core::borrow::Borrow;

/// An ordered map whose insertion reports allocation failure.
pub struct SortedMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> SortedMap<K, V> {
    /// An empty map (allocates nothing).
    pub const fn new() -> Self {
        SortedMap { entries: Vec::new() }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// All values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// All values in key order, mutably.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    fn search<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value stored under `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.search(key).ok().map(|i| &self.entries[i].1)
    }

    /// The value stored under `key`, mutably.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.search(key).ok().map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.search(key).is_ok()
    }

    /// Stores `value` under `key`; returns the value it replaced. On
    /// `Err` nothing changed (`key` and `value` are dropped).
    pub fn try_insert(&mut self, key: K, value: V) -> Result<Option<V>, AllocError> {
        match self.search(&key) {
            Ok(i) => Ok(Some(core::mem::replace(&mut self.entries[i].1, value))),
            Err(i) => {
                crate::try_reserve(&mut self.entries, 1)?;
                self.entries.insert(i, (key, value));
                Ok(None)
            }
        }
    }

    /// Makes room for `additional` more entries, so that as many
    /// `try_insert`s of new keys cannot fail.
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        crate::try_reserve(&mut self.entries, additional)
    }

    /// Removes `key`; returns its value.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let i = self.search(key).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// Gives back capacity once at most 3/8 of it is used: down to the
    /// power of two that growing from empty would have reached (never
    /// under 16 entries), so that a map that was once large holds what a
    /// map of its size holds and a leak check finds the memory as it was.
    /// Growing doubles past the capacity and shrinking starts under 3/8 of
    /// it, so the copies stay amortised. If the smaller copy cannot be
    /// allocated the map stays as it is. Call it where no reservation is
    /// outstanding.
    pub fn shrink(&mut self) {
        let (len, cap) = (self.entries.len(), self.entries.capacity());
        let target = len.next_power_of_two().max(16);
        if target >= cap || len > cap * 3 / 8 {
            return;
        }
        let Ok(mut smaller) = crate::try_with_capacity(target) else { return };
        smaller.append(&mut self.entries);
        self.entries = smaller;
    }

    /// Entries with keys `>= key`, in order.
    pub fn range_from<Q: Ord + ?Sized>(&self, key: &Q) -> impl DoubleEndedIterator<Item = (&K, &V)>
    where
        K: Borrow<Q>,
    {
        let start = self.search(key).unwrap_or_else(|i| i);
        self.entries[start..].iter().map(|(k, v)| (k, v))
    }

    /// The entry with the greatest key.
    pub fn last(&self) -> Option<(&K, &V)> {
        self.entries.last().map(|(k, v)| (k, v))
    }

    /// Keeps only the entries for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;

    #[test]
    fn shrink_gives_back_capacity() {
        let mut m = SortedMap::new();
        for i in 0..1000u32 {
            m.try_insert(i, i).unwrap();
        }
        let big = m.entries.capacity();
        m.shrink();
        assert_eq!(m.entries.capacity(), big, "a full map keeps its capacity");
        m.retain(|k, _| *k < 100);
        m.shrink();
        assert_eq!(m.entries.capacity(), 128);
        assert_eq!(m.iter().map(|(k, _)| *k).collect::<Vec<_>>(), (0..100).collect::<Vec<_>>());
        m.retain(|_, _| false);
        m.shrink();
        assert_eq!(m.entries.capacity(), 16);
    }

    #[test]
    fn behaves_like_btreemap() {
        // A deterministic pseudo-random sequence of inserts and removes,
        // checked against BTreeMap after every step.
        let mut ours = SortedMap::new();
        let mut reference = BTreeMap::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for step in 0..5000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = x % 97;
            if x & 0x100 == 0 {
                assert_eq!(ours.try_insert(key, step).unwrap(), reference.insert(key, step));
            } else {
                assert_eq!(ours.remove(&key), reference.remove(&key));
            }
            assert_eq!(ours.len(), reference.len());
            assert_eq!(ours.get(&key), reference.get(&key));
        }
        assert!(ours.iter().eq(reference.iter()));
        assert!(ours.range_from(&50).eq(reference.range(50..)));
        assert_eq!(ours.last(), reference.iter().next_back());
    }

    #[test]
    fn borrowed_keys_and_retain() {
        let mut m: SortedMap<alloc::vec::Vec<u8>, u32> = SortedMap::new();
        m.try_insert(b"b".to_vec(), 2).unwrap();
        m.try_insert(b"a".to_vec(), 1).unwrap();
        assert_eq!(m.get(&b"a"[..]), Some(&1));
        assert!(m.contains_key(&b"b"[..]));
        m.retain(|_, v| *v > 1);
        assert_eq!(m.len(), 1);
        assert_eq!(m.values().copied().collect::<alloc::vec::Vec<_>>(), [2]);
    }
}
