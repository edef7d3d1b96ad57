//! tmpfs: a memory-only [`Filesystem`], modelled on Linux's `mm/shmem.c`.
//!
//! Inodes live in a map keyed by inode number (the root is 1; numbers are
//! handed out in increasing order and never reused). Directories list
//! entries in creation order with stable cookies (`dir.rs`); file data is
//! kept in sparse 4 KiB pages (`file.rs`). Sizes, block counts, link counts
//! and timestamps follow Linux tmpfs: a directory's size is 40 + 20 per
//! entry, its link count 2 + subdirectories; a short symlink (under 128
//! bytes with its NUL) uses no blocks, a longer one a page.
//!
//! Locking: a `Tmpfs` has no interior locking or shared state. The kernel
//! wraps each instance in one lock (e.g. `Mutex<Tmpfs>` or a `Mutex<Box<dyn
//! Filesystem>>`) and holds it across every call; nothing here blocks or
//! calls out, so a spinlock is enough. An inode is freed inside the call
//! that drops its last link or pin ([`Tmpfs::inode_count`] shows it).

mod dir;
mod file;
mod inode;
mod names;

pub use file::PAGE_SIZE;

use crate::types::{Cred, DirEntry, FileType, Ino, SetAttr, Stat, Timespec, S_IFDIR, S_IFMT};
use crate::{Filesystem, Result};
use fallible::{try_to_vec, SortedMap};
use alloc::vec::Vec;
use dir::DirData;
use inode::{Inode, Kind};
use mello_abi::Errno;

/// Inode number of a tmpfs root directory.
pub const ROOT_INO: Ino = 1;

/// One tmpfs instance.
pub struct Tmpfs {
    dev: u64,
    next_ino: Ino,
    inodes: SortedMap<Ino, Inode>,
}

impl Tmpfs {
    /// An empty tmpfs whose root has permissions `root_mode & 0o7777`
    /// (Linux's default for a tmpfs mount is `0o1777`), owned by `owner`.
    /// `dev` is reported as `st_dev` of every inode.
    pub fn new(dev: u64, root_mode: u32, owner: Cred, now: Timespec) -> Self {
        let mut root = Inode::new(
            S_IFDIR | (root_mode & 0o7777),
            owner,
            now,
            Kind::Dir(DirData::new(ROOT_INO)),
        );
        root.nlink = 2;
        let mut inodes = SortedMap::new();
        inodes.try_insert(ROOT_INO, root).expect("the first inode of a tmpfs (at mount)");
        Tmpfs {
            dev,
            next_ino: ROOT_INO + 1,
            inodes,
        }
    }

    /// How many inodes exist (linked, or unlinked but pinned).
    pub fn inode_count(&self) -> usize {
        self.inodes.len()
    }

    fn inode(&self, ino: Ino) -> Result<&Inode> {
        self.inodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn inode_mut(&mut self, ino: Ino) -> Result<&mut Inode> {
        self.inodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    /// The directory `ino`'s entries: `ENOTDIR` if it is not a directory.
    fn dir(&self, ino: Ino) -> Result<&DirData> {
        match &self.inode(ino)?.kind {
            Kind::Dir(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn dir_mut(&mut self, ino: Ino) -> Result<&mut DirData> {
        match &mut self.inode_mut(ino)?.kind {
            Kind::Dir(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// Like [`dir`](Self::dir), but `ENOENT` for a removed directory.
    fn live_dir(&self, ino: Ino) -> Result<&DirData> {
        let dir = self.dir(ino)?;
        if dir.dead {
            return Err(Errno::ENOENT);
        }
        Ok(dir)
    }

    /// Allocates an inode number for `inode` and stores it (`ENOMEM` if
    /// the table cannot grow).
    fn add(&mut self, inode: Inode) -> Result<Ino> {
        let ino = self.next_ino;
        self.inodes.try_insert(ino, inode)?;
        self.next_ino += 1;
        Ok(ino)
    }

    /// Frees `ino` if nothing links or pins it.
    fn release_if_unused(&mut self, ino: Ino) {
        if let Some(inode) = self.inodes.get(&ino) {
            if inode.nlink == 0 && inode.pins == 0 {
                self.inodes.remove(&ino);
                // Nothing reserves room in the table ahead (`add` inserts
                // fallibly), so it may give capacity back here.
                self.inodes.shrink();
            }
        }
    }

    /// The file data of regular file `ino`: `EISDIR` for a directory,
    /// `EINVAL` for any other type.
    fn file_mut(&mut self, ino: Ino) -> Result<&mut Inode> {
        let inode = self.inode_mut(ino)?;
        match inode.kind {
            Kind::File(_) => Ok(inode),
            Kind::Dir(_) => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// Checks a name to be looked up or created: `ENOENT` if empty,
/// `ENAMETOOLONG` over 255 bytes, `EINVAL` if it holds `/` or NUL (a path
/// resolver never passes such a name).
fn check_name(name: &[u8]) -> Result<()> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.len() > crate::NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if name.iter().any(|&b| b == b'/' || b == 0) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Whether `name` is `.` or `..`.
fn is_dot(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

impl Filesystem for Tmpfs {
    fn inode_count(&self) -> usize {
        self.inodes.len()
    }

    fn root(&self) -> Ino {
        ROOT_INO
    }

    fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Ino> {
        let data = self.dir(dir)?;
        match name {
            b"." => return Ok(dir),
            b".." => return Ok(data.parent),
            _ => {}
        }
        if data.dead {
            return Err(Errno::ENOENT);
        }
        check_name(name)?;
        data.get(name).ok_or(Errno::ENOENT)
    }

    fn getattr(&mut self, ino: Ino) -> Result<Stat> {
        Ok(self.inode(ino)?.stat(self.dev, ino))
    }

    fn create(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        rdev: u64,
        cred: Cred,
        now: Timespec,
    ) -> Result<Ino> {
        let (kind, rdev) = match FileType::from_mode(mode) {
            _ if mode & S_IFMT == 0 => (Kind::File(Default::default()), 0),
            Some(FileType::Regular) => (Kind::File(Default::default()), 0),
            Some(FileType::CharDevice | FileType::BlockDevice) => (Kind::Special, rdev),
            Some(FileType::Fifo | FileType::Socket) => (Kind::Special, 0),
            Some(FileType::Directory) => return Err(Errno::EPERM),
            _ => return Err(Errno::EINVAL),
        };
        let mode = match mode & S_IFMT {
            0 => crate::types::S_IFREG | (mode & 0o7777),
            t => t | (mode & 0o7777),
        };
        let ino = self.make_node(dir, name, mode, cred, now, kind)?;
        self.inode_mut(ino)?.rdev = rdev;
        Ok(ino)
    }

    fn mkdir(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        cred: Cred,
        now: Timespec,
    ) -> Result<Ino> {
        let kind = Kind::Dir(DirData::new(dir));
        self.make_node(dir, name, S_IFDIR | (mode & 0o1777), cred, now, kind)
    }

    fn symlink(
        &mut self,
        dir: Ino,
        name: &[u8],
        target: &[u8],
        cred: Cred,
        now: Timespec,
    ) -> Result<Ino> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() + 1 > crate::PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let kind = Kind::Symlink(try_to_vec(target)?);
        self.make_node(dir, name, crate::types::S_IFLNK | 0o777, cred, now, kind)
    }

    fn name_of(&mut self, dir: Ino, ino: Ino) -> Result<Vec<u8>> {
        let name = self.dir(dir)?.name_of(ino).ok_or(Errno::ENOENT)?;
        Ok(try_to_vec(name)?)
    }

    fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>> {
        match &self.inode(ino)?.kind {
            Kind::Symlink(target) => Ok(try_to_vec(target)?),
            _ => Err(Errno::EINVAL),
        }
    }

    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8], now: Timespec) -> Result<()> {
        self.do_link(ino, dir, name, now)
    }

    fn unlink(&mut self, dir: Ino, name: &[u8], now: Timespec) -> Result<()> {
        self.remove(dir, name, false, now)
    }

    fn rmdir(&mut self, dir: Ino, name: &[u8], now: Timespec) -> Result<()> {
        self.remove(dir, name, true, now)
    }

    fn rename(
        &mut self,
        old_dir: Ino,
        old_name: &[u8],
        new_dir: Ino,
        new_name: &[u8],
        now: Timespec,
    ) -> Result<()> {
        self.do_rename(old_dir, old_name, new_dir, new_name, now)
    }

    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8], now: Timespec) -> Result<usize> {
        let inode = self.file_mut(ino)?;
        let Kind::File(data) = &inode.kind else {
            unreachable!()
        };
        let n = data.read(offset, buf);
        // Linux's filemap_read returns before touching atime for an empty
        // buffer, but not at end of file.
        if !buf.is_empty() {
            inode.accessed(now);
        }
        Ok(n)
    }

    fn read_append(&mut self, ino: Ino, offset: u64, len: usize, out: &mut Vec<u8>, now: Timespec) -> Result<usize> {
        let inode = self.file_mut(ino)?;
        let Kind::File(data) = &inode.kind else {
            unreachable!()
        };
        let n = data.read_append(offset, len, out);
        if len > 0 {
            inode.accessed(now);
        }
        Ok(n)
    }

    fn write(&mut self, ino: Ino, offset: u64, data: &[u8], now: Timespec) -> Result<usize> {
        let inode = self.file_mut(ino)?;
        let Kind::File(file) = &mut inode.kind else {
            unreachable!()
        };
        let n = file.write(offset, data)?;
        if n > 0 {
            inode.modified(now);
        }
        Ok(n)
    }

    fn truncate(&mut self, ino: Ino, size: u64, now: Timespec) -> Result<()> {
        let inode = self.file_mut(ino)?;
        let Kind::File(file) = &mut inode.kind else {
            unreachable!()
        };
        file.truncate(size)?;
        inode.modified(now);
        Ok(())
    }

    fn readdir(&mut self, dir: Ino, cookie: u64, now: Timespec) -> Result<Option<DirEntry>> {
        let data = self.live_dir(dir)?;
        let (ino, name, next): (Ino, &[u8], u64) = match cookie {
            0 => (dir, b".", 1),
            1 => (data.parent, b"..", dir::FIRST_COOKIE),
            _ => match data.entry_from(cookie) {
                Some((c, name, ino)) => (ino, name, c + 1),
                None => {
                    self.inode_mut(dir)?.accessed(now);
                    return Ok(None);
                }
            },
        };
        let entry = DirEntry {
            ino,
            ftype: self.inode(ino)?.file_type(),
            name: try_to_vec(name)?,
            next,
        };
        self.inode_mut(dir)?.accessed(now);
        Ok(Some(entry))
    }

    fn setattr(&mut self, ino: Ino, attr: &SetAttr, now: Timespec) -> Result<Stat> {
        let dev = self.dev;
        let inode = self.inode_mut(ino)?;
        if let Some(mode) = attr.mode {
            inode.mode = (inode.mode & S_IFMT) | (mode & 0o7777);
        }
        if let Some(uid) = attr.uid {
            inode.uid = uid;
        }
        if let Some(gid) = attr.gid {
            inode.gid = gid;
        }
        if let Some(atime) = attr.atime {
            inode.atime = atime;
        }
        if let Some(mtime) = attr.mtime {
            inode.mtime = mtime;
        }
        inode.ctime = now;
        Ok(inode.stat(dev, ino))
    }

    fn pin(&mut self, ino: Ino) -> Result<()> {
        let inode = self.inode_mut(ino)?;
        inode.pins = inode.pins.checked_add(1).ok_or(Errno::ENFILE)?;
        Ok(())
    }

    fn unpin(&mut self, ino: Ino) -> Result<()> {
        let inode = self.inode_mut(ino)?;
        inode.pins = inode.pins.checked_sub(1).ok_or(Errno::EINVAL)?;
        self.release_if_unused(ino);
        Ok(())
    }

    fn pinned(&self) -> bool {
        self.inodes.values().any(|i| i.pins > 0)
    }
}
