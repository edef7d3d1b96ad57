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
//! exceeds every cookie handed out. Accessed under the filesystem's lock.

use crate::types::Ino;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Cookie of the first entry after `.` and `..`.
pub(super) const FIRST_COOKIE: u64 = 2;

/// The entries of one directory (not counting `.` and `..`).
pub(super) struct DirData {
    /// Inode of the directory containing this one (the root's is itself).
    /// Kept after removal so that `..` still leads somewhere, as on Linux.
    pub parent: Ino,
    /// Set when the directory is removed: lookups, creates and readdir then
    /// give `ENOENT`.
    pub dead: bool,
    by_name: BTreeMap<Vec<u8>, (Ino, u64)>,
    by_cookie: BTreeMap<u64, (Vec<u8>, Ino)>,
    next: u64,
}

impl DirData {
    pub fn new(parent: Ino) -> Self {
        DirData {
            parent,
            dead: false,
            by_name: BTreeMap::new(),
            by_cookie: BTreeMap::new(),
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

    /// Adds `name` -> `ino` at the end of the listing. The name must not
    /// be present.
    pub fn insert(&mut self, name: &[u8], ino: Ino) {
        let cookie = self.next;
        self.next += 1;
        let previous = self.by_name.insert(name.to_vec(), (ino, cookie));
        debug_assert!(previous.is_none(), "duplicate directory entry");
        self.by_cookie.insert(cookie, (name.to_vec(), ino));
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
            .range(cookie.max(FIRST_COOKIE)..)
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
    fn insertion_order_and_stable_cookies() {
        let mut d = DirData::new(1);
        for (i, name) in [&b"c"[..], b"a", b"b"].iter().enumerate() {
            d.insert(name, 10 + i as u64);
        }
        assert_eq!(d.entry_from(0), Some((2, &b"c"[..], 10)));
        assert_eq!(d.remove(b"a"), Some(11));
        assert_eq!(d.entry_from(3), Some((4, &b"b"[..], 12)));
        assert_eq!(d.entry_from(5), None);
        assert_eq!(d.len(), 2);
        assert_eq!(d.get(b"a"), None);
    }
}
