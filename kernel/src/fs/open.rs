//! Path-based operations on behalf of a process, with Linux's checks in
//! Linux's order: `open` (and what it makes: an inode file, a device
//! file), `stat`/`lstat`, `mkdir`, `unlink`, `rmdir`, `rename`, `symlink`,
//! `readlink`, `chdir`, `getcwd`, and reading a whole file for `exec`.
//!
//! Relative paths start at the given directory (the working directory, or
//! an `*at` call's directory). The caller is root: `vfs::perm`'s rules for
//! uid 0 (everything but executing a file with no execute bit). New inodes
//! get `mode & ~umask` (the process's umask; [`UMASK`] for the kernel's own
//! opens). Every step goes through `mounts::with_resolver`, which takes one
//! filesystem lock at a time and holds nothing across a call.
//!
//! Beside the path calls, the inode-level ones the Linux personality adds
//! (`chmod`, `chown`, `utimensat`, `truncate`, `access`, `statfs`) take an
//! already resolved [`Location`] ([`lookup`]), so the path and the
//! descriptor forms share them.

use super::dev;
use super::file::{InodeFile, Kind, OpenFile};
use super::mounts::{self, Pinned};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mello_abi::fs::{O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_TRUNC, S_IFMT};
use mello_abi::Errno;
use ::vfs::{perm, CreateFlags, Cred, FileType, Location, SetAttr, Timespec};

/// The file-creation mask of the first process (Linux's `init_fs`).
pub const UMASK: u32 = 0o022;

/// open(2) with the kernel's umask ([`UMASK`]).
pub fn open(cwd: Location, path: &[u8], flags: u32, mode: u32) -> Result<Arc<OpenFile>, Errno> {
    open_masked(cwd, path, flags, mode, UMASK)
}

/// open(2): resolve (or create, permissions `mode & ~umask`) `path` from
/// `cwd` and make a description.
pub fn open_masked(cwd: Location, path: &[u8], flags: u32, mode: u32, umask: u32) -> Result<Arc<OpenFile>, Errno> {
    let file = open_file(cwd, path, flags, mode, umask)?;
    // What /proc/N/fd/K shows (after creation, so the name exists).
    if let Some(name) = super::fdpath::shown_path(cwd, path) {
        file.set_path(name);
    }
    Ok(file)
}

fn open_file(cwd: Location, path: &[u8], flags: u32, mode: u32, umask: u32) -> Result<Arc<OpenFile>, Errno> {
    let now = mounts::now();
    let loc = if flags & O_CREAT != 0 {
        let cflags = CreateFlags { excl: flags & O_EXCL != 0, nofollow: flags & O_NOFOLLOW != 0 };
        mounts::with_resolver(|r| r.open_create(cwd, path, perm::create_mode(mode, umask), cflags, Cred::ROOT, now))?.0
    } else {
        mounts::with_resolver(|r| r.resolve(cwd, path, flags & O_NOFOLLOW == 0))?
    };
    // Pin first: from here on the inode cannot go away under us.
    let node = Pinned::new(loc)?;
    let st = mounts::getattr(loc)?;
    let write_access = flags & O_ACCMODE != O_RDONLY;
    match st.file_type() {
        FileType::Symlink => Err(Errno::ELOOP), // O_NOFOLLOW on a final symlink
        FileType::Directory => {
            if write_access || flags & O_CREAT != 0 {
                return Err(Errno::EISDIR);
            }
            Ok(OpenFile::new(Kind::Inode(InodeFile::new(node, true)), flags))
        }
        _ if flags & O_DIRECTORY != 0 => Err(Errno::ENOTDIR),
        FileType::Regular if let Some(dev) = super::procfs::special(mounts::mounts().fs_of(loc)?, loc.ino) => {
            Ok(OpenFile::new(Kind::Device { node, dev }, flags))
        }
        FileType::Regular => {
            if flags & O_TRUNC != 0 {
                mounts::with_fs(loc, |fs| fs.truncate(loc.ino, 0, now))?;
            }
            Ok(OpenFile::new(Kind::Inode(InodeFile::new(node, false)), flags))
        }
        FileType::CharDevice => {
            let dev = dev::lookup(st.rdev).ok_or(Errno::ENXIO)?;
            Ok(OpenFile::new(Kind::Device { node, dev }, flags))
        }
        FileType::Fifo => super::fifo::open(node, flags),
        // No block drivers or sockets yet.
        FileType::BlockDevice | FileType::Socket => Err(Errno::ENXIO),
    }
}

/// stat(2) (`follow`) and lstat(2).
pub fn stat(cwd: Location, path: &[u8], follow: bool) -> Result<::vfs::Stat, Errno> {
    mounts::with_resolver(|r| {
        let loc = r.resolve(cwd, path, follow)?;
        r.stat(loc)
    })
}

pub fn mkdir(cwd: Location, path: &[u8], mode: u32, umask: u32) -> Result<(), Errno> {
    mounts::with_resolver(|r| r.mkdir(cwd, path, perm::create_mode(mode, umask), Cred::ROOT, mounts::now())).map(|_| ())
}

/// mknod(2): a regular file (type 0 or `S_IFREG`), a FIFO, a socket or a
/// device node; `S_IFDIR` is `EPERM` and an unknown type `EINVAL`, as the
/// filesystem answers.
pub fn mknod(cwd: Location, path: &[u8], mode: u32, rdev: u64, umask: u32) -> Result<(), Errno> {
    let mode = (mode & S_IFMT) | perm::create_mode(mode, umask);
    mounts::with_resolver(|r| r.mknod(cwd, path, mode, rdev, Cred::ROOT, mounts::now())).map(|_| ())
}

/// link(2)/linkat(2): `new` becomes another name of `old` (a final
/// symlink of `old` is followed only if `follow`).
pub fn link(old_at: Location, old: &[u8], follow: bool, new_at: Location, new: &[u8]) -> Result<(), Errno> {
    mounts::with_resolver(|r| r.link(old_at, old, follow, new_at, new, mounts::now()))
}

/// renameat2(2) with flags 0 or `RENAME_NOREPLACE`.
pub fn rename_at(old_at: Location, old: &[u8], new_at: Location, new: &[u8], noreplace: bool) -> Result<(), Errno> {
    mounts::with_resolver(|r| r.rename2(old_at, old, new_at, new, noreplace, mounts::now()))
}

/// The inode `path` names from `cwd` (a final symlink followed if `follow`).
pub fn lookup(cwd: Location, path: &[u8], follow: bool) -> Result<Location, Errno> {
    mounts::with_resolver(|r| r.resolve(cwd, path, follow))
}

/// chmod(2): the permission bits (`0o7777`) of `loc`.
pub fn chmod(loc: Location, mode: u32) -> Result<(), Errno> {
    let attr = SetAttr { mode: Some(mode & 0o7777), ..SetAttr::default() };
    mounts::with_fs(loc, |fs| fs.setattr(loc.ino, &attr, mounts::now())).map(|_| ())
}

/// chown(2): owner and/or group (`None` keeps one); a non-directory loses
/// its set-ID bits as Linux's `chown_common` decides (`perm::chown_mode`),
/// even when nothing else changes.
pub fn chown(loc: Location, uid: Option<u32>, gid: Option<u32>) -> Result<(), Errno> {
    mounts::with_fs(loc, |fs| {
        let st = fs.getattr(loc.ino)?;
        let mode = perm::chown_mode(st.mode, st.is_dir()) & 0o7777;
        let attr = SetAttr { uid, gid, mode: (mode != st.mode & 0o7777).then_some(mode), ..SetAttr::default() };
        fs.setattr(loc.ino, &attr, mounts::now()).map(|_| ())
    })
}

/// utimensat(2)'s change: the access and modification times (`None`
/// leaves one alone; ctime becomes now either way).
pub fn set_times(loc: Location, atime: Option<Timespec>, mtime: Option<Timespec>) -> Result<(), Errno> {
    let attr = SetAttr { atime, mtime, ..SetAttr::default() };
    mounts::with_fs(loc, |fs| fs.setattr(loc.ino, &attr, mounts::now())).map(|_| ())
}

/// truncate(2) of the inode at `loc`: `EISDIR` for a directory, `EINVAL`
/// for anything but a regular file.
pub fn truncate(loc: Location, size: u64) -> Result<(), Errno> {
    mounts::with_fs(loc, |fs| {
        let st = fs.getattr(loc.ino)?;
        match st.file_type() {
            FileType::Regular => fs.truncate(loc.ino, size, mounts::now()),
            FileType::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    })
}

/// access(2)'s check of `mask` (`R_OK | W_OK | X_OK`) on `loc` for root.
pub fn access(loc: Location, mask: u32) -> Result<(), Errno> {
    let st = mounts::getattr(loc)?;
    perm::may_access(&st, Cred::ROOT, mask)
}

pub fn unlink(cwd: Location, path: &[u8]) -> Result<(), Errno> {
    mounts::with_resolver(|r| r.unlink(cwd, path, mounts::now()))
}

pub fn rmdir(cwd: Location, path: &[u8]) -> Result<(), Errno> {
    mounts::with_resolver(|r| r.rmdir(cwd, path, mounts::now()))
}

pub fn rename(cwd: Location, old: &[u8], new: &[u8]) -> Result<(), Errno> {
    mounts::with_resolver(|r| r.rename(cwd, old, cwd, new, mounts::now()))
}

pub fn symlink(cwd: Location, target: &[u8], path: &[u8]) -> Result<(), Errno> {
    mounts::with_resolver(|r| r.symlink(target, cwd, path, Cred::ROOT, mounts::now())).map(|_| ())
}

/// readlink(2): the target of the symlink `path` (`EINVAL` if it is not one).
pub fn readlink(cwd: Location, path: &[u8]) -> Result<Vec<u8>, Errno> {
    mounts::with_resolver(|r| {
        let loc = r.resolve(cwd, path, false)?;
        r.with_fs(loc, |fs| fs.readlink(loc.ino))
    })
}

/// chdir(2): the pinned directory `path` names (`ENOTDIR` otherwise).
pub fn chdir(cwd: Location, path: &[u8]) -> Result<Pinned, Errno> {
    let loc = mounts::with_resolver(|r| {
        let loc = r.resolve(cwd, path, true)?;
        if !r.stat(loc)?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(loc)
    })?;
    Pinned::new(loc)
}

/// getcwd(2)'s path for the directory `cwd`.
pub fn getcwd(cwd: Location) -> Result<Vec<u8>, Errno> {
    mounts::with_resolver(|r| r.getcwd(cwd))
}

/// The contents of the regular file `path` (for `exec`): `EACCES` for
/// anything else, as `execve` reports.
pub fn read_file(cwd: Location, path: &[u8]) -> Result<Vec<u8>, Errno> {
    let loc = mounts::with_resolver(|r| r.resolve(cwd, path, true))?;
    mounts::with_fs(loc, |fs| {
        let st = fs.getattr(loc.ino)?;
        if st.file_type() != FileType::Regular {
            return Err(Errno::EACCES);
        }
        let mut data = Vec::new();
        fallible::in_scope(|| data.try_reserve_exact(st.size as usize)).map_err(|_| Errno::ENOMEM)?;
        fs.read_append(loc.ino, 0, st.size as usize, &mut data, mounts::now())?;
        Ok(data)
    })
}

/// The names in directory `path` other than `.` and `..`, sorted (for the
/// log when init cannot start).
pub fn list_dir(path: &[u8]) -> Vec<String> {
    let root = mounts::root();
    let Ok(dir) = mounts::with_resolver(|r| r.resolve(root, path, true)) else { return Vec::new() };
    let mut names = Vec::new();
    let mut cookie = 0;
    while let Ok(Some(e)) = mounts::with_fs(dir, |fs| fs.readdir(dir.ino, cookie, mounts::now())) {
        cookie = e.next;
        if e.name != b"." && e.name != b".." {
            names.push(String::from_utf8_lossy(&e.name).into_owned());
        }
    }
    names.sort_unstable();
    names
}
