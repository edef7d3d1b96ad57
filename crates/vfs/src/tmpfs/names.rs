//! tmpfs namespace operations: creating, linking, removing and renaming
//! directory entries, with Linux's checks in Linux's order and its link
//! count, size and timestamp updates.
//!
//! Timestamps (as shmem does): a new inode gets `now` for all three times;
//! a directory gaining or losing an entry gets mtime = ctime = `now`; an
//! inode gaining or losing a link, or being renamed, gets ctime = `now`.
//! A directory's link count is 2 + its subdirectories while it is linked;
//! removing a directory makes it 0 and marks it dead.
//!
//! Every method runs entirely under the filesystem's lock (it is `&mut
//! self`), so a rename, with its replaced target, is atomic.

use super::dir::{DirData, NewEntry};
use super::inode::{init_owner, Inode, Kind};
use super::{check_name, is_dot, Tmpfs};
use crate::types::{Cred, Ino, Timespec};
use crate::Result;
use mello_abi::Errno;

impl Tmpfs {
    /// Checks that `name` can be created in `dir`: `EEXIST` for `.`, `..`
    /// or an existing entry; `ENOENT` if `dir` was removed; `ENOTDIR`,
    /// `ENAMETOOLONG`.
    fn check_new_name(&self, dir: Ino, name: &[u8]) -> Result<()> {
        let data = self.dir(dir)?;
        if is_dot(name) {
            return Err(Errno::EEXIST);
        }
        if data.dead {
            return Err(Errno::ENOENT);
        }
        check_name(name)?;
        if data.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        Ok(())
    }

    /// Adds the prepared entry `dir/name` -> `ino`: the directory grows
    /// and its mtime and ctime become `now`.
    fn add_entry(&mut self, dir: Ino, entry: NewEntry, ino: Ino, now: Timespec) -> Result<()> {
        self.dir_mut(dir)?.commit(entry, ino);
        self.inode_mut(dir)?.modified(now);
        Ok(())
    }

    /// Creates an inode of `mode` holding `kind` and links it as `dir/name`.
    pub(super) fn make_node(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        cred: Cred,
        now: Timespec,
        kind: Kind,
    ) -> Result<Ino> {
        self.check_new_name(dir, name)?;
        let parent = self.inode(dir)?;
        let (owner, mode) = init_owner(cred, parent.mode, parent.gid, mode);
        let is_dir = matches!(kind, Kind::Dir(_));
        let mut inode = Inode::new(mode, owner, now, kind);
        inode.nlink = if is_dir { 2 } else { 1 };
        let entry = self.dir_mut(dir)?.prepare(name)?;
        let ino = self.add(inode)?;
        self.add_entry(dir, entry, ino, now)?;
        if is_dir {
            self.inode_mut(dir)?.nlink += 1;
        }
        Ok(ino)
    }

    pub(super) fn do_link(&mut self, ino: Ino, dir: Ino, name: &[u8], now: Timespec) -> Result<()> {
        self.check_new_name(dir, name)?;
        let inode = self.inode_mut(ino)?;
        if inode.is_dir() {
            return Err(Errno::EPERM);
        }
        if inode.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        let nlink = inode.nlink.checked_add(1).ok_or(Errno::EMLINK)?;
        let entry = self.dir_mut(dir)?.prepare(name)?;
        let inode = self.inode_mut(ino)?;
        inode.nlink = nlink;
        inode.ctime = now;
        self.add_entry(dir, entry, ino, now)
    }

    /// Looks up an existing entry for removal or renaming: `ENOENT` if
    /// `dir` is dead or the name is absent, `ENAMETOOLONG`.
    fn existing(&self, dir: Ino, name: &[u8]) -> Result<Ino> {
        let data = self.live_dir(dir)?;
        check_name(name)?;
        data.get(name).ok_or(Errno::ENOENT)
    }

    /// `unlink` (`want_dir` false) or `rmdir` (`want_dir` true).
    pub(super) fn remove(
        &mut self,
        dir: Ino,
        name: &[u8],
        want_dir: bool,
        now: Timespec,
    ) -> Result<()> {
        self.dir(dir)?;
        match (name, want_dir) {
            (b".", true) => return Err(Errno::EINVAL),
            (b"..", true) => return Err(Errno::ENOTEMPTY),
            (b"." | b"..", false) => return Err(Errno::EISDIR),
            _ => {}
        }
        let ino = self.existing(dir, name)?;
        let is_dir = self.inode(ino)?.is_dir();
        match (is_dir, want_dir) {
            (true, false) => return Err(Errno::EISDIR),
            (false, true) => return Err(Errno::ENOTDIR),
            (true, true) if !self.dir(ino)?.is_empty() => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        self.unlink_entry(dir, name, ino, now)
    }

    /// Removes the entry `dir/name` (naming `ino`) and drops the link:
    /// a directory becomes dead with no links, and its parent loses the
    /// subdirectory's `..` link. Frees `ino` if it is now unused.
    fn unlink_entry(&mut self, dir: Ino, name: &[u8], ino: Ino, now: Timespec) -> Result<()> {
        self.dir_mut(dir)?.remove(name);
        let parent = self.inode_mut(dir)?;
        parent.modified(now);
        let inode = self.inode_mut(ino)?;
        inode.ctime = now;
        if let Kind::Dir(data) = &mut inode.kind {
            data.dead = true;
            inode.nlink = 0;
            self.inode_mut(dir)?.nlink -= 1;
        } else {
            inode.nlink -= 1;
        }
        self.release_if_unused(ino);
        Ok(())
    }

    /// The parent of directory `ino` (the root is its own parent).
    fn parent_of(&self, ino: Ino) -> Result<Ino> {
        Ok(self.dir(ino)?.parent)
    }

    /// Whether directory `ancestor` is `dir` or one of its ancestors.
    fn is_ancestor(&self, ancestor: Ino, mut dir: Ino) -> Result<bool> {
        loop {
            if dir == ancestor {
                return Ok(true);
            }
            let parent = self.parent_of(dir)?;
            if parent == dir {
                return Ok(false);
            }
            dir = parent;
        }
    }

    pub(super) fn do_rename(
        &mut self,
        old_dir: Ino,
        old_name: &[u8],
        new_dir: Ino,
        new_name: &[u8],
        now: Timespec,
    ) -> Result<()> {
        self.dir(old_dir)?;
        self.dir(new_dir)?;
        if is_dot(old_name) || is_dot(new_name) {
            return Err(Errno::EBUSY);
        }
        let source = self.existing(old_dir, old_name)?;
        let target = match self.existing(new_dir, new_name) {
            Ok(ino) => Some(ino),
            Err(Errno::ENOENT) if !self.dir(new_dir)?.dead => None,
            Err(e) => return Err(e),
        };
        let source_is_dir = self.inode(source)?.is_dir();
        // Linux's lock_rename() "trap": the source may not be an ancestor
        // of the new directory, nor the target an ancestor of the source.
        if source_is_dir && old_dir != new_dir && self.is_ancestor(source, new_dir)? {
            return Err(Errno::EINVAL);
        }
        if let Some(target) = target {
            if self.inode(target)?.is_dir() && self.is_ancestor(target, old_dir)? {
                return Err(Errno::ENOTEMPTY);
            }
        }
        if target == Some(source) {
            return Ok(());
        }
        // Allocate first: nothing below may fail half-way.
        let entry = self.dir_mut(new_dir)?.prepare(new_name)?;
        if let Some(target) = target {
            let target_is_dir = self.inode(target)?.is_dir();
            match (source_is_dir, target_is_dir) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !self.dir(target)?.is_empty() => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
            self.unlink_entry(new_dir, new_name, target, now)?;
        }
        self.dir_mut(old_dir)?.remove(old_name);
        self.inode_mut(old_dir)?.modified(now);
        self.add_entry(new_dir, entry, source, now)?;
        let inode = self.inode_mut(source)?;
        inode.ctime = now;
        if let Kind::Dir(data) = &mut inode.kind {
            move_dir(data, new_dir);
            self.inode_mut(old_dir)?.nlink -= 1;
            self.inode_mut(new_dir)?.nlink += 1;
        }
        Ok(())
    }
}

/// Re-parents a moved directory so that its `..` names the new parent.
fn move_dir(data: &mut DirData, new_parent: Ino) {
    data.parent = new_parent;
}
