//! The Linux personality's path calls: `openat`/`open`/`creat`, `mkdirat`/
//! `mkdir`, `mknodat`/`mknod`, `unlinkat`/`unlink`/`rmdir`, `renameat`/
//! `renameat2`/`rename`, `symlinkat`/`symlink`, `readlinkat`/`readlink`,
//! `linkat`/`link`, `faccessat`/`faccessat2`/`access`, `chdir`, `fchdir`,
//! `getcwd`, `umask`, `truncate`.
//!
//! Each `*at` call starts a relative path at its directory descriptor
//! (`AT_FDCWD`: the working directory; any other descriptor must name a
//! directory, else `ENOTDIR`, or be open, else `EBADF`); an absolute path
//! ignores it, as Linux does. The classic calls are the `*at` ones with
//! `AT_FDCWD`. The work is `fs::open`'s, shared with the native calls; the
//! process's umask applies to every created mode.
//!
//! Not supported (logged once, `EINVAL`/`EOPNOTSUPP` as Linux would for a
//! filesystem without them): `O_TMPFILE`, `RENAME_EXCHANGE`,
//! `RENAME_WHITEOUT`, `linkat(AT_EMPTY_PATH)`.

#![forbid(unsafe_code)]

use super::handlers::{cwd, file_of, install, me, path_arg, sys_chdir, sys_getcwd};
use super::linux::log_unsupported;
use super::linux_fd::fd_arg;
use super::Args;
use crate::error::{Errno, SysResult};
use crate::fs::open;
use crate::user::uaccess::UserSlice;
use alloc::vec::Vec;
use mello_abi::fs::*;
use vfs::Location;

/// `O_TMPFILE` (with its `O_DIRECTORY` bit).
const O_TMPFILE: u32 = 0o20000000 | O_DIRECTORY;

/// Argument `i` as an `*at` directory descriptor (`int`).
pub fn dirfd_arg(a: &Args, i: usize) -> i32 {
    a.get(i) as i32
}

/// Where a relative `path` given with `dirfd` starts (module doc). An
/// absolute or empty path does not look at `dirfd` (the resolver starts at
/// `/`, or reports `ENOENT`).
pub fn at_start(dirfd: i32, path: &[u8]) -> Result<Location, Errno> {
    if dirfd == AT_FDCWD || path.is_empty() || path[0] == b'/' {
        return cwd();
    }
    if dirfd < 0 {
        return Err(Errno::EBADF);
    }
    file_of(dirfd as usize)?.directory()
}

/// A path argument and where it starts.
fn at_path(dirfd: i32, ptr: usize) -> Result<(Location, Vec<u8>), Errno> {
    let path = path_arg(ptr)?;
    Ok((at_start(dirfd, &path)?, path))
}

fn openat(dirfd: i32, ptr: usize, flags: u32, mode: u32) -> SysResult {
    let path = path_arg(ptr)?;
    let proc = me()?;
    let (umask, free) = {
        let files = proc.files.lock();
        (files.umask, files.fds.count() < files.fds.limit())
    };
    if !free {
        return Err(Errno::EMFILE);
    }
    if flags & O_TMPFILE == O_TMPFILE {
        log_unsupported("open(O_TMPFILE)");
        return Err(Errno::EOPNOTSUPP);
    }
    let start = at_start(dirfd, &path)?;
    let file = open::open_masked(start, &path, flags, mode, umask)?;
    install(file, flags & O_CLOEXEC != 0, 0)
}

/// openat(dirfd, path, flags, mode).
pub fn linux_openat(a: &Args) -> SysResult {
    openat(dirfd_arg(a, 0), a.get(1) as usize, a.get(2) as u32, a.get(3) as u32)
}

/// open(path, flags, mode).
pub fn linux_open(a: &Args) -> SysResult {
    openat(AT_FDCWD, a.get(0) as usize, a.get(1) as u32, a.get(2) as u32)
}

/// creat(path, mode): `open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)`.
pub fn linux_creat(a: &Args) -> SysResult {
    openat(AT_FDCWD, a.get(0) as usize, O_CREAT | O_WRONLY | O_TRUNC, a.get(1) as u32)
}

fn umask() -> Result<u32, Errno> {
    super::handlers::umask()
}

/// mkdirat(dirfd, path, mode).
pub fn linux_mkdirat(a: &Args) -> SysResult {
    let (start, path) = at_path(dirfd_arg(a, 0), a.get(1) as usize)?;
    open::mkdir(start, &path, a.get(2) as u32, umask()?).map(|_| 0)
}

/// mkdir(path, mode).
pub fn linux_mkdir(a: &Args) -> SysResult {
    let (start, path) = at_path(AT_FDCWD, a.get(0) as usize)?;
    open::mkdir(start, &path, a.get(1) as u32, umask()?).map(|_| 0)
}

/// A device number in the kernel's 32-bit encoding (`new_decode_dev`),
/// as the VFS stores it (glibc's 64-bit `makedev`).
fn decode_dev(dev: u32) -> u64 {
    let major = (dev & 0xfff00) >> 8;
    let minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    vfs::makedev(major, minor)
}

fn mknodat(dirfd: i32, ptr: usize, mode: u32, dev: u32) -> SysResult {
    let (start, path) = at_path(dirfd, ptr)?;
    let kind = mode & S_IFMT;
    let rdev = if kind == S_IFCHR || kind == S_IFBLK { decode_dev(dev) } else { 0 };
    open::mknod(start, &path, mode, rdev, umask()?).map(|_| 0)
}

/// mknodat(dirfd, path, mode, dev).
pub fn linux_mknodat(a: &Args) -> SysResult {
    mknodat(dirfd_arg(a, 0), a.get(1) as usize, a.get(2) as u32, a.get(3) as u32)
}

/// mknod(path, mode, dev).
pub fn linux_mknod(a: &Args) -> SysResult {
    mknodat(AT_FDCWD, a.get(0) as usize, a.get(1) as u32, a.get(2) as u32)
}

/// unlinkat(dirfd, path, flags): `AT_REMOVEDIR` makes it `rmdir`.
pub fn linux_unlinkat(a: &Args) -> SysResult {
    let flags = a.get(2) as u32;
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let (start, path) = at_path(dirfd_arg(a, 0), a.get(1) as usize)?;
    if flags & AT_REMOVEDIR != 0 { open::rmdir(start, &path) } else { open::unlink(start, &path) }.map(|_| 0)
}

/// unlink(path).
pub fn linux_unlink(a: &Args) -> SysResult {
    let (start, path) = at_path(AT_FDCWD, a.get(0) as usize)?;
    open::unlink(start, &path).map(|_| 0)
}

/// rmdir(path).
pub fn linux_rmdir(a: &Args) -> SysResult {
    let (start, path) = at_path(AT_FDCWD, a.get(0) as usize)?;
    open::rmdir(start, &path).map(|_| 0)
}

fn renameat2(olddfd: i32, old: usize, newdfd: i32, new: usize, flags: u32) -> SysResult {
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
        || (flags & RENAME_EXCHANGE != 0 && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0)
    {
        return Err(Errno::EINVAL);
    }
    let (old_at, old) = at_path(olddfd, old)?;
    let (new_at, new) = at_path(newdfd, new)?;
    if flags & (RENAME_EXCHANGE | RENAME_WHITEOUT) != 0 {
        log_unsupported("renameat2(RENAME_EXCHANGE or RENAME_WHITEOUT)");
        return Err(Errno::EINVAL);
    }
    open::rename_at(old_at, &old, new_at, &new, flags & RENAME_NOREPLACE != 0).map(|_| 0)
}

/// renameat2(olddirfd, old, newdirfd, new, flags).
pub fn linux_renameat2(a: &Args) -> SysResult {
    renameat2(dirfd_arg(a, 0), a.get(1) as usize, dirfd_arg(a, 2), a.get(3) as usize, a.get(4) as u32)
}

/// renameat(olddirfd, old, newdirfd, new).
pub fn linux_renameat(a: &Args) -> SysResult {
    renameat2(dirfd_arg(a, 0), a.get(1) as usize, dirfd_arg(a, 2), a.get(3) as usize, 0)
}

/// rename(old, new).
pub fn linux_rename(a: &Args) -> SysResult {
    renameat2(AT_FDCWD, a.get(0) as usize, AT_FDCWD, a.get(1) as usize, 0)
}

fn symlinkat(target: usize, dirfd: i32, ptr: usize) -> SysResult {
    let target = path_arg(target)?;
    let (start, path) = at_path(dirfd, ptr)?;
    open::symlink(start, &target, &path).map(|_| 0)
}

/// symlinkat(target, newdirfd, linkpath).
pub fn linux_symlinkat(a: &Args) -> SysResult {
    symlinkat(a.get(0) as usize, dirfd_arg(a, 1), a.get(2) as usize)
}

/// symlink(target, linkpath).
pub fn linux_symlink(a: &Args) -> SysResult {
    symlinkat(a.get(0) as usize, AT_FDCWD, a.get(1) as usize)
}

fn readlinkat(dirfd: i32, ptr: usize, buf: usize, size: usize) -> SysResult {
    if size as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    let (start, path) = at_path(dirfd, ptr)?;
    let target = open::readlink(start, &path)?;
    let n = target.len().min(size as i32 as usize);
    UserSlice::new(buf, n)?.write_from(&target[..n])?;
    Ok(n)
}

/// readlinkat(dirfd, path, buf, size).
pub fn linux_readlinkat(a: &Args) -> SysResult {
    readlinkat(dirfd_arg(a, 0), a.get(1) as usize, a.get(2) as usize, a.get(3) as usize)
}

/// readlink(path, buf, size).
pub fn linux_readlink(a: &Args) -> SysResult {
    readlinkat(AT_FDCWD, a.get(0) as usize, a.get(1) as usize, a.get(2) as usize)
}

fn linkat(olddfd: i32, old: usize, newdfd: i32, new: usize, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let (old_at, old) = at_path(olddfd, old)?;
    if flags & AT_EMPTY_PATH != 0 && old.is_empty() {
        log_unsupported("linkat(AT_EMPTY_PATH)");
        return Err(Errno::EINVAL);
    }
    let (new_at, new) = at_path(newdfd, new)?;
    open::link(old_at, &old, flags & AT_SYMLINK_FOLLOW != 0, new_at, &new).map(|_| 0)
}

/// linkat(olddirfd, old, newdirfd, new, flags).
pub fn linux_linkat(a: &Args) -> SysResult {
    linkat(dirfd_arg(a, 0), a.get(1) as usize, dirfd_arg(a, 2), a.get(3) as usize, a.get(4) as u32)
}

/// link(old, new): a final symlink of `old` is not followed (Linux).
pub fn linux_link(a: &Args) -> SysResult {
    linkat(AT_FDCWD, a.get(0) as usize, AT_FDCWD, a.get(1) as usize, 0)
}

fn faccessat(dirfd: i32, ptr: usize, mode: u32, flags: u32) -> SysResult {
    if mode & !(R_OK | W_OK | X_OK) != 0 || flags & !(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let (start, path) = at_path(dirfd, ptr)?;
    let loc = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        empty_path_target(dirfd)?
    } else {
        open::lookup(start, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?
    };
    open::access(loc, mode).map(|_| 0)
}

/// The inode an `AT_EMPTY_PATH` call with an empty path means: `dirfd`'s
/// own (the working directory for `AT_FDCWD`); `ENOENT` for a pipe, which
/// has no inode in the VFS (the callers that can, `fstatat`, handle it).
pub fn empty_path_target(dirfd: i32) -> Result<Location, Errno> {
    if dirfd == AT_FDCWD {
        return cwd();
    }
    if dirfd < 0 {
        return Err(Errno::EBADF);
    }
    file_of(dirfd as usize)?.location().ok_or(Errno::ENOENT)
}

/// faccessat(dirfd, path, mode).
pub fn linux_faccessat(a: &Args) -> SysResult {
    faccessat(dirfd_arg(a, 0), a.get(1) as usize, a.get(2) as u32, 0)
}

/// faccessat2(dirfd, path, mode, flags).
pub fn linux_faccessat2(a: &Args) -> SysResult {
    faccessat(dirfd_arg(a, 0), a.get(1) as usize, a.get(2) as u32, a.get(3) as u32)
}

/// access(path, mode).
pub fn linux_access(a: &Args) -> SysResult {
    faccessat(AT_FDCWD, a.get(0) as usize, a.get(1) as u32, 0)
}

/// chdir(path).
pub fn linux_chdir(a: &Args) -> SysResult {
    sys_chdir(a)
}

/// fchdir(fd): `fd` must name a directory (`ENOTDIR`).
pub fn linux_fchdir(a: &Args) -> SysResult {
    let file = file_of(fd_arg(a, 0))?;
    let dir = file.directory()?;
    let pinned = crate::fs::mounts::Pinned::new(dir)?;
    let old = me()?.files.lock().cwd.replace(pinned);
    drop(old);
    Ok(0)
}

/// getcwd(buf, size): the length with the NUL; `ERANGE` if it does not fit.
pub fn linux_getcwd(a: &Args) -> SysResult {
    sys_getcwd(a)
}

/// umask(mask): the old mask; the new one is `mask & 0777`.
pub fn linux_umask(a: &Args) -> SysResult {
    let proc = me()?;
    let mut files = proc.files.lock();
    let old = files.umask;
    files.umask = a.get(0) as u32 & 0o777;
    Ok(old as usize)
}

/// truncate(path, length): follows symlinks; `EISDIR` for a directory.
pub fn linux_truncate(a: &Args) -> SysResult {
    let (start, path) = at_path(AT_FDCWD, a.get(0) as usize)?;
    let len = a.get(1);
    if (len as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let loc = open::lookup(start, &path, true)?;
    open::truncate(loc, len).map(|_| 0)
}
