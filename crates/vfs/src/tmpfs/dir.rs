//! Directory contents for tmpfs: entries in insertion order, with stable
//! readdir cookies.
//!
//! Order: entries are listed oldest first (creation order; a renamed entry
//! counts as new in its target directory). This is deterministic and is
//! also what Linux tmpfs does since 6.6, whose "stable offsets" list a
//! directory in creation order (older kernels listed newest first).
//!
//! Cookies: `.` is cookie 0 and `..` cookie 1; every other entry gets the
//! next value of a per-directory counter (from 2) when it is inserted, and
//! keeps it until removed. Continuing at a cookie resumes at the first
//! entry whose cookie is at least that value, so removing entries between
//! `readdir` calls never skips or repeats the survivors.
//!
//! Invariants: `by_name` and `by_cookie` hold the same entries; `next`
//! exceeds every cookie handed out. Insertion allocates fallibly and
//! either adds the entry to both maps or to neither (`ENOMEM`).
//! Accessed under the filesystem's lock.

use crate::types::Ino;
use alloc::vec::Vec;
use fallible::{try_to_vec, SortedMap};
use mello_abi::Errno;

/// Cookie of the first entry after `.` and `..`.
pub(super) const FIRST_COOKIE: u64 = 2;

/// The allocations for one new entry, made by [`DirData::prepare`].
pub(super) struct NewEntry {
    key: Vec<u8>,
    listed: Vec<u8>,
}

/// The entries of one directory (not counting `.` and `..`).
pub(super) struct DirData {
    /// Inode of the directory containing this one (the root's is itself).
    /// Kept after removal so that `..` still leads somewhere, as on Linux.
    pub parent: Ino,
    /// Set when the directory is removed: lookups, creates and readdir then
    /// give `ENOENT`.
    pub dead: bool,
    by_name: SortedMap<Vec<u8>, (Ino, u64)>,
    by_cookie: SortedMap<u64, (Vec<u8>, Ino)>,
    next: u64,
}

impl DirData {
    pub fn new(parent: Ino) -> Self {
        DirData {
            parent,
            dead: false,
            by_name: SortedMap::new(),
            by_cookie: SortedMap::new(),
            next: FIRST_COOKIE,
        }
    }

    /// Number of entries (without `.` and `..`).
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The inode named `name`.
    pub fn get(&self, name: &[u8]) -> Option<Ino> {
        self.by_name.get(name).map(|&(ino, _)| ino)
    }

    /// Allocates what adding `name` takes (the two copies of the name and
    /// room in both maps), so that [`commit`](Self::commit) cannot fail:
    /// a caller that must not fail half-way (rename) prepares first.
    /// `ENOMEM` if memory runs out.
    pub fn prepare(&mut self, name: &[u8]) -> Result<NewEntry, Errno> {
        let entry = NewEntry {
            key: try_to_vec(name)?,
            listed: try_to_vec(name)?,
        };
        self.by_name.try_reserve(1)?;
        self.by_cookie.try_reserve(1)?;
        Ok(entry)
    }

    /// Adds a prepared name -> `ino` at the end of the listing. The name
    /// must not be present, and no other entry may have been added since
    /// `prepare` (removals are fine: they keep the room).
    pub fn commit(&mut self, entry: NewEntry, ino: Ino) {
        let cookie = self.next;
        self.next += 1;
        let reserved = "room reserved by prepare";
        let previous = self.by_name.try_insert(entry.key, (ino, cookie)).expect(reserved);
        debug_assert!(previous.is_none(), "duplicate directory entry");
        self.by_cookie.try_insert(cookie, (entry.listed, ino)).expect(reserved);
    }

    /// Adds `name` -> `ino` at the end of the listing ([`prepare`](Self::prepare)
    /// and [`commit`](Self::commit)).
    #[cfg(test)]
    pub fn insert(&mut self, name: &[u8], ino: Ino) -> Result<(), Errno> {
        let entry = self.prepare(name)?;
        self.commit(entry, ino);
        Ok(())
    }

    /// Removes `name`; returns its inode.
    pub fn remove(&mut self, name: &[u8]) -> Option<Ino> {
        let (ino, cookie) = self.by_name.remove(name)?;
        self.by_cookie.remove(&cookie);
        Some(ino)
    }

    /// The first entry with cookie `>= cookie`: (its cookie, name, inode).
    pub fn entry_from(&self, cookie: u64) -> Option<(u64, &[u8], Ino)> {
        self.by_cookie
            .range_from(&cookie.max(FIRST_COOKIE))
            .next()
            .map(|(&c, (name, ino))| (c, name.as_slice(), *ino))
    }

    /// Some name under which `ino` appears, if any.
    pub fn name_of(&self, ino: Ino) -> Option<&[u8]> {
        self.by_cookie
            .values()
            .find(|(_, i)| *i == ino)
            .map(|(name, _)| name.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_entry_survives_removals() {
        let mut d = DirData::new(1);
        d.insert(b"old", 5).unwrap();
        let entry = d.prepare(b"new").unwrap();
        assert_eq!(d.remove(b"old"), Some(5));
        d.commit(entry, 5);
        assert_eq!(d.get(b"new"), Some(5));
        assert_eq!(d.entry_from(0), Some((3, &b"new"[..], 5)));
    }

    #[test]
    fn insertion_order_and_stable_cookies() {
        let mut d = DirData::new(1);
        for (i, name) in [&b"c"[..], b"a", b"b"].iter().enumerate() {
            d.insert(name, 10 + i as u64).unwrap();
        }
        assert_eq!(d.entry_from(0), Some((2, &b"c"[..], 10)));
        assert_eq!(d.remove(b"a"), Some(11));
        assert_eq!(d.entry_from(3), Some((4, &b"b"[..], 12)));
        assert_eq!(d.entry_from(5), None);
        assert_eq!(d.len(), 2);
        assert_eq!(d.get(b"a"), None);
    }
}
