//! Initramfs unpacking: fills a filesystem from a cpio "newc" archive the
//! way Linux's `init/initramfs.c` (`do_name`, `do_copy`, `do_symlink`)
//! does, reading the archive with the `cpio-newc` crate.
//!
//! Per entry, with names taken relative to the filesystem root:
//! * first, anything already at the name with a different file type is
//!   removed (`clean_path`; a directory only if empty);
//! * a regular file is created (or an existing one truncated), given the
//!   entry's owner and mode, filled with its data, then its atime and
//!   mtime are set to the header's mtime;
//! * a directory is made (an existing one is kept: a `.` entry thus sets the
//!   root's mode and owner); its times are set after the whole archive, so
//!   later entries inside it do not disturb them;
//! * a symlink is made to the entry's data (up to a NUL), with the owner
//!   and times of the header;
//! * a character or block device, FIFO or socket node is made, with `rdev`
//!   from the header's rdevmajor/rdevminor in Linux's encoding;
//! * hard links: an entry with nlink >= 2 whose (devmajor, devminor, ino,
//!   file type) matches an earlier entry becomes a link to that entry's
//!   name, and a regular file's data (newc stores it on the last link) is
//!   written through it.
//! * Missing parent directories are created (mode 0755, root-owned, times
//!   `now`). Linux itself would skip such an entry; archives made by
//!   `find | cpio` always list parents first, so this only changes the
//!   outcome for archives Linux would partly drop.
//!
//! Entries that cannot be made (e.g. a file over a non-empty directory),
//! and those Linux's `do_header` ignores (a name of `PATH_MAX` bytes or
//! more, a symlink target over `PATH_MAX`, a directory or device entry
//! carrying data, an unknown file type) are skipped and counted in [`UnpackStats::failed`], as Linux ignores
//! them. A malformed archive gives `EINVAL` after unpacking what precedes
//! the damage. Unpacking ends at `TRAILER!!!`. New inodes get ctime `now`.
//!
//! Locking: the caller holds the filesystem's lock for the whole call (at
//! boot, before anything else can see the filesystem).

use crate::mount::{Location, MountTable};
use crate::path::{Last, Parent, Resolver, Single};
use crate::types::{
    makedev, Cred, SetAttr, Timespec, PATH_MAX, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK,
    S_IFMT, S_IFREG, S_IFSOCK,
};
use crate::{Filesystem, Result};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use cpio_newc::{Archive, Entry};
use mello_abi::Errno;

/// What [`unpack_cpio`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnpackStats {
    /// Archive entries processed (the trailer not counted).
    pub entries: usize,
    /// File data bytes written.
    pub bytes: u64,
    /// Entries that could not be made and were skipped.
    pub failed: usize,
}

/// Unpacks the newc `archive` into `fs` (normally an empty tmpfs); see the
/// module documentation for what each entry becomes.
pub fn unpack_cpio(fs: &mut dyn Filesystem, archive: &[u8], now: Timespec) -> Result<UnpackStats> {
    let mounts = MountTable::new(0, fs.root());
    let mut unpacker = Unpacker {
        root: mounts.root(),
        mounts,
        fs,
        now,
        links: BTreeMap::new(),
        dirs: Vec::new(),
        stats: UnpackStats::default(),
    };
    let mut result = Ok(());
    for entry in Archive::new(archive).iter() {
        match entry {
            Ok(entry) => {
                unpacker.stats.entries += 1;
                if unpacker.entry(&entry).is_err() {
                    unpacker.stats.failed += 1;
                }
            }
            Err(_) => {
                result = Err(Errno::EINVAL);
                break;
            }
        }
    }
    // Linux's dir_utime(): directory times last, most recent entry first.
    for (name, mtime) in core::mem::take(&mut unpacker.dirs).into_iter().rev() {
        let _ = unpacker.set_times(&name, mtime, false);
    }
    result.map(|()| unpacker.stats)
}

struct Unpacker<'a> {
    fs: &'a mut dyn Filesystem,
    mounts: MountTable,
    root: Location,
    now: Timespec,
    /// (devmajor, devminor, ino, file type) -> name of the first link.
    links: BTreeMap<(u32, u32, u32, u32), Vec<u8>>,
    /// Directories made, with their mtimes, in archive order.
    dirs: Vec<(Vec<u8>, u32)>,
    stats: UnpackStats,
}

impl Unpacker<'_> {
    /// Runs `f` with a resolver over the single filesystem.
    fn with<R>(&mut self, f: impl FnOnce(&mut Resolver<'_, Single<'_>>) -> Result<R>) -> Result<R> {
        let mut single = Single(&mut *self.fs);
        let mut resolver = Resolver {
            mounts: &self.mounts,
            fss: &mut single,
            root: self.root,
        };
        f(&mut resolver)
    }

    fn lookup(&mut self, name: &[u8], follow: bool) -> Result<Location> {
        let root = self.root;
        self.with(|r| r.resolve(root, name, follow))
    }

    /// The parent of `name` and its last component, making missing parent
    /// directories first.
    fn parent(&mut self, name: &[u8]) -> Result<Parent> {
        let root = self.root;
        match self.with(|r| r.resolve_parent(root, name)) {
            Err(Errno::ENOENT) => {
                self.make_parents(name);
                self.with(|r| r.resolve_parent(root, name))
            }
            other => other,
        }
    }

    /// `mkdir -p` of every directory above `name`.
    fn make_parents(&mut self, name: &[u8]) {
        let ends = name
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'/' && i > 0 && name[i - 1] != b'/')
            .map(|(i, _)| i);
        for end in ends.collect::<Vec<_>>() {
            let prefix = &name[..end];
            if self.lookup(prefix, true) != Err(Errno::ENOENT) {
                continue;
            }
            let root = self.root;
            if let Ok(parent) = self.with(|r| r.resolve_parent(root, prefix)) {
                if let Last::Normal(dir_name) = &parent.last {
                    let _ = self
                        .fs
                        .mkdir(parent.dir.ino, dir_name, 0o755, Cred::ROOT, self.now);
                }
            }
        }
    }

    fn entry(&mut self, e: &Entry) -> Result<()> {
        let name = e.name.as_bytes();
        if name.len() + 1 > PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let attr = SetAttr {
            mode: Some(e.mode & 0o7777),
            uid: Some(e.uid),
            gid: Some(e.gid),
            atime: Some(Timespec::from_secs(e.mtime.into())),
            mtime: Some(Timespec::from_secs(e.mtime.into())),
        };
        let now = self.now;
        match e.mode & S_IFMT {
            S_IFLNK => return self.symlink(e, name, attr),
            S_IFREG => {}
            // Linux's do_header only reads the name of other entries
            // without data; those with data are skipped.
            S_IFDIR | S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK if e.data.is_empty() => {}
            _ => return Err(Errno::EINVAL),
        }
        self.clean_path(name, e.mode);
        match e.mode & S_IFMT {
            S_IFREG => {
                let linked = self.maybe_link(e, name)?;
                let ino = match self.lookup(name, false) {
                    Ok(loc) => {
                        if self.fs.getattr(loc.ino)?.mode & S_IFMT != S_IFREG {
                            return Err(Errno::EISDIR);
                        }
                        if !linked {
                            self.fs.truncate(loc.ino, 0, now)?;
                        }
                        loc.ino
                    }
                    Err(Errno::ENOENT) => {
                        let parent = self.parent(name)?;
                        let file = parent.name_for_create()?;
                        self.fs.create(
                            parent.dir.ino,
                            file,
                            S_IFREG | (e.mode & 0o7777),
                            0,
                            Cred::ROOT,
                            now,
                        )?
                    }
                    Err(err) => return Err(err),
                };
                if !e.data.is_empty() {
                    self.fs.truncate(ino, e.data.len() as u64, now)?;
                    let written = self.fs.write(ino, 0, e.data, now)?;
                    self.stats.bytes += written as u64;
                }
                self.fs.setattr(ino, &attr, now)?;
            }
            S_IFDIR => {
                let parent = self.parent(name)?;
                if let Last::Normal(dir_name) = &parent.last {
                    match self
                        .fs
                        .mkdir(parent.dir.ino, dir_name, e.mode, Cred::ROOT, now)
                    {
                        Ok(_) | Err(Errno::EEXIST) => {}
                        Err(err) => return Err(err),
                    }
                }
                let loc = self.lookup(name, true)?;
                self.fs.setattr(
                    loc.ino,
                    &SetAttr {
                        atime: None,
                        mtime: None,
                        ..attr
                    },
                    now,
                )?;
                self.dirs.push((name.to_vec(), e.mtime));
            }
            _ => {
                if self.maybe_link(e, name)? {
                    return Ok(());
                }
                // Linux's MKDEV: 12-bit major, 20-bit minor.
                let rdev = makedev(e.rdev_major & 0xfff, e.rdev_minor & 0xf_ffff);
                let parent = self.parent(name)?;
                let node = parent.name_for_create()?;
                let ino = match self
                    .fs
                    .create(parent.dir.ino, node, e.mode, rdev, Cred::ROOT, now)
                {
                    Ok(ino) => ino,
                    Err(Errno::EEXIST) => self.lookup(name, false)?.ino,
                    Err(err) => return Err(err),
                };
                self.fs.setattr(ino, &attr, now)?;
            }
        }
        Ok(())
    }

    fn symlink(&mut self, e: &Entry, name: &[u8], attr: SetAttr) -> Result<()> {
        if e.data.len() > PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        self.clean_path(name, 0);
        let target = e.data.split(|&b| b == 0).next().unwrap_or_default();
        let parent = self.parent(name)?;
        let link = parent.name_for_create()?;
        let ino = self
            .fs
            .symlink(parent.dir.ino, link, target, Cred::ROOT, self.now)?;
        self.fs
            .setattr(ino, &SetAttr { mode: None, ..attr }, self.now)?;
        Ok(())
    }

    /// Linux's `clean_path`: removes what is at `name` if its file type
    /// differs from `mode`'s (always, for `mode` 0).
    fn clean_path(&mut self, name: &[u8], mode: u32) {
        let Ok(loc) = self.lookup(name, false) else {
            return;
        };
        let Ok(stat) = self.fs.getattr(loc.ino) else {
            return;
        };
        if (stat.mode ^ mode) & S_IFMT == 0 {
            return;
        }
        let root = self.root;
        let Ok(parent) = self.with(|r| r.resolve_parent(root, name)) else {
            return;
        };
        let Last::Normal(last) = &parent.last else {
            return;
        };
        let _ = if stat.mode & S_IFMT == S_IFDIR {
            self.fs.rmdir(parent.dir.ino, last, self.now)
        } else {
            self.fs.unlink(parent.dir.ino, last, self.now)
        };
    }

    /// Linux's `maybe_link`: `Ok(true)` if `name` was made a hard link to
    /// an earlier entry with the same identity, `Ok(false)` if it is the
    /// first (it is remembered), an error if linking failed.
    fn maybe_link(&mut self, e: &Entry, name: &[u8]) -> Result<bool> {
        if e.nlink < 2 {
            return Ok(false);
        }
        let key = (e.dev_major, e.dev_minor, e.ino, e.mode & S_IFMT);
        let Some(old) = self.links.get(&key).cloned() else {
            self.links.insert(key, name.to_vec());
            return Ok(false);
        };
        self.clean_path(name, 0);
        let old = self.lookup(&old, false)?;
        let parent = self.parent(name)?;
        let link = parent.name_for_create()?;
        self.fs.link(old.ino, parent.dir.ino, link, self.now)?;
        Ok(true)
    }

    /// Sets `name`'s atime and mtime to `mtime` seconds.
    fn set_times(&mut self, name: &[u8], mtime: u32, follow: bool) -> Result<()> {
        let loc = self.lookup(name, follow)?;
        let time = Some(Timespec::from_secs(mtime.into()));
        let attr = SetAttr {
            atime: time,
            mtime: time,
            ..SetAttr::default()
        };
        self.fs.setattr(loc.ino, &attr, self.now).map(|_| ())
    }
}
