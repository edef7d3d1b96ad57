//! The Linux personality's inode calls: `newfstatat`, `fstat`, `stat`,
//! `lstat`, `statx`, `statfs`, `fstatfs`, `getdents64`, `fchmodat`/`chmod`/
//! `fchmod`, `fchownat`/`chown`/`fchown`/`lchown`, `utimensat`.
//!
//! Paths start as in `linux_fs` (`*at` directory descriptors); with
//! `AT_EMPTY_PATH` and an empty path the call is about the descriptor
//! itself (any open file, pipes included for the stat calls). Layouts are
//! Linux's (`struct stat` 144 bytes, `struct statx` 256, `struct statfs`
//! 120: `mello_abi`).
//!
//! `statx` reports `STATX_BASIC_STATS` and `STATX_MNT_ID` (the mount's
//! index in the mount table; Linux numbers mounts its own way), and
//! `STATX_ATTR_MOUNT_ROOT` as Linux 6.1 does; no birth time (tmpfs keeps
//! none here). `statfs` reports tmpfs (`TMPFS_MAGIC`: the root and `/dev`)
//! and procfs (`PROC_SUPER_MAGIC`) with Linux's block size, name length
//! and flags; a tmpfs's size is Linux's default, half of RAM, its free
//! space the free memory within that. A pipe's mode and owner cannot be
//! changed (`EINVAL`, logged): it has no inode in the VFS.

#![forbid(unsafe_code)]

use super::handlers::{file_of, path_arg, put_stat, sys_getdents};
use super::linux::log_unsupported;
use super::linux_fd::fd_arg;
use super::linux_fs::{at_start, dirfd_arg};
use super::Args;
use crate::error::{Errno, SysResult};
use crate::fs::file::to_abi;
use crate::fs::{mounts, open};
use crate::user::uaccess::UserSlice;
use mello_abi::fs::*;
use mello_abi::linux::fs_types::statx_mask::*;
use mello_abi::linux::{Statfs, Statx, StatxTime, Timespec};
use vfs::Location;

/// What an `*at` call with `flags` names: `Ok(Some(loc))` an inode,
/// `Ok(None)` the descriptor `dirfd` itself (empty path, `AT_EMPTY_PATH`).
fn target(dirfd: i32, ptr: usize, flags: u32) -> Result<Option<Location>, Errno> {
    let path = path_arg(ptr)?;
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        return match dirfd {
            AT_FDCWD => Ok(Some(super::handlers::cwd()?)),
            fd if fd < 0 => Err(Errno::EBADF),
            _ => Ok(None),
        };
    }
    let start = at_start(dirfd, &path)?;
    open::lookup(start, &path, flags & AT_SYMLINK_NOFOLLOW == 0).map(Some)
}

/// The `struct stat` of a target (`None`: descriptor `dirfd`'s file).
fn stat_of(dirfd: i32, loc: Option<Location>) -> Result<Stat, Errno> {
    match loc {
        Some(loc) => Ok(to_abi(&mounts::getattr(loc)?)),
        None => file_of(dirfd as usize)?.stat(),
    }
}

/// newfstatat(dirfd, path, statbuf, flags).
pub fn linux_newfstatat(a: &Args) -> SysResult {
    let (dirfd, flags) = (dirfd_arg(a, 0), a.get(3) as u32);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let st = stat_of(dirfd, target(dirfd, a.get(1) as usize, flags)?)?;
    put_stat(a.get(2) as usize, &st)
}

/// stat(path, statbuf).
pub fn linux_stat(a: &Args) -> SysResult {
    let st = stat_of(AT_FDCWD, target(AT_FDCWD, a.get(0) as usize, 0)?)?;
    put_stat(a.get(1) as usize, &st)
}

/// lstat(path, statbuf).
pub fn linux_lstat(a: &Args) -> SysResult {
    let st = stat_of(AT_FDCWD, target(AT_FDCWD, a.get(0) as usize, AT_SYMLINK_NOFOLLOW)?)?;
    put_stat(a.get(1) as usize, &st)
}

/// fstat(fd, statbuf).
pub fn linux_fstat(a: &Args) -> SysResult {
    let st = file_of(fd_arg(a, 0))?.stat()?;
    put_stat(a.get(1) as usize, &st)
}

/// statx(dirfd, path, flags, mask, statxbuf).
pub fn linux_statx(a: &Args) -> SysResult {
    let (dirfd, flags, mask, buf) = (dirfd_arg(a, 0), a.get(2) as u32, a.get(3) as u32, a.get(4) as usize);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
        || mask & STATX_RESERVED != 0
    {
        return Err(Errno::EINVAL);
    }
    let loc = target(dirfd, a.get(1) as usize, flags)?;
    let st = stat_of(dirfd, loc)?;
    let table = mounts::mounts();
    let mount_root = loc.is_some_and(|l| table.get(l.mount).is_ok_and(|m| m.root == l.ino));
    let t = |t: StatTime| StatxTime { sec: t.sec, nsec: t.nsec as u32 };
    let sx = Statx {
        mask: STATX_BASIC_STATS | STATX_MNT_ID,
        blksize: st.blksize as u32,
        attributes: if mount_root { STATX_ATTR_MOUNT_ROOT } else { 0 },
        nlink: st.nlink as u32,
        uid: st.uid,
        gid: st.gid,
        mode: st.mode as u16,
        ino: st.ino,
        size: st.size as u64,
        blocks: st.blocks as u64,
        attributes_mask: STATX_ATTR_MOUNT_ROOT,
        atime: t(st.atime),
        btime: StatxTime::default(),
        ctime: t(st.ctime),
        mtime: t(st.mtime),
        rdev_major: vfs::major(st.rdev),
        rdev_minor: vfs::minor(st.rdev),
        dev_major: vfs::major(st.dev),
        dev_minor: vfs::minor(st.dev),
        mnt_id: loc.map_or(0, |l| l.mount as u64 + 1),
    };
    UserSlice::new(buf, Statx::SIZE)?.write_from(&sx.to_bytes())?;
    Ok(0)
}

/// The `struct statfs` of the filesystem holding `loc`.
fn statfs_of(loc: Location) -> Result<Statfs, Errno> {
    let fs = mounts::mounts().fs_of(loc)?;
    let base = Statfs { bsize: 4096, namelen: NAME_MAX as i64, frsize: 4096, ..Statfs::default() };
    if fs == mounts::PROC_FS {
        return Ok(Statfs { f_type: PROC_SUPER_MAGIC, flags: ST_VALID | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME, ..base });
    }
    let (total, free) = (crate::mm::pmm::total_usable_frames(), crate::mm::pmm::free_frames());
    let blocks = total as u64 / 2;
    let bfree = (free as u64).min(blocks);
    Ok(Statfs { f_type: TMPFS_MAGIC, blocks, bfree, bavail: bfree, files: blocks, ffree: bfree, flags: ST_VALID | ST_RELATIME, ..base })
}

fn put_statfs(addr: usize, f: &Statfs) -> SysResult {
    UserSlice::new(addr, Statfs::SIZE)?.write_from(&f.to_bytes())?;
    Ok(0)
}

/// statfs(path, buf).
pub fn linux_statfs(a: &Args) -> SysResult {
    let loc = target(AT_FDCWD, a.get(0) as usize, 0)?.ok_or(Errno::ENOENT)?;
    put_statfs(a.get(1) as usize, &statfs_of(loc)?)
}

/// fstatfs(fd, buf): a pipe's is pipefs's (`PIPEFS_MAGIC`).
pub fn linux_fstatfs(a: &Args) -> SysResult {
    let file = file_of(fd_arg(a, 0))?;
    let f = match file.location() {
        Some(loc) => statfs_of(loc)?,
        None => Statfs { f_type: 0x5049_5045, bsize: 4096, namelen: NAME_MAX as i64, frsize: 4096, flags: ST_VALID, ..Statfs::default() },
    };
    put_statfs(a.get(1) as usize, &f)
}

/// getdents64(fd, dirp, count).
pub fn linux_getdents64(a: &Args) -> SysResult {
    sys_getdents(a)
}

/// The inode of descriptor `fd` for the `f*` calls (`EINVAL` for a pipe).
fn fd_inode(fd: usize, what: &'static str) -> Result<Location, Errno> {
    file_of(fd)?.location().ok_or_else(|| {
        log_unsupported(what);
        Errno::EINVAL
    })
}

/// fchmodat(dirfd, path, mode) (no flags argument in Linux's call).
pub fn linux_fchmodat(a: &Args) -> SysResult {
    let loc = target(dirfd_arg(a, 0), a.get(1) as usize, 0)?.ok_or(Errno::ENOENT)?;
    open::chmod(loc, a.get(2) as u32).map(|_| 0)
}

/// chmod(path, mode).
pub fn linux_chmod(a: &Args) -> SysResult {
    let loc = target(AT_FDCWD, a.get(0) as usize, 0)?.ok_or(Errno::ENOENT)?;
    open::chmod(loc, a.get(1) as u32).map(|_| 0)
}

/// fchmod(fd, mode).
pub fn linux_fchmod(a: &Args) -> SysResult {
    open::chmod(fd_inode(fd_arg(a, 0), "fchmod of a pipe")?, a.get(1) as u32).map(|_| 0)
}

/// An owner argument: `-1` leaves it alone.
fn id_arg(v: u64) -> Option<u32> {
    (v as u32 != u32::MAX).then_some(v as u32)
}

fn chown_target(loc: Option<Location>, dirfd: i32, uid: u64, gid: u64) -> SysResult {
    let loc = match loc {
        Some(loc) => loc,
        None => fd_inode(dirfd as usize, "fchown of a pipe")?,
    };
    open::chown(loc, id_arg(uid), id_arg(gid)).map(|_| 0)
}

/// fchownat(dirfd, path, uid, gid, flags).
pub fn linux_fchownat(a: &Args) -> SysResult {
    let (dirfd, flags) = (dirfd_arg(a, 0), a.get(4) as u32);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    chown_target(target(dirfd, a.get(1) as usize, flags)?, dirfd, a.get(2), a.get(3))
}

/// chown(path, uid, gid): follows a final symlink.
pub fn linux_chown(a: &Args) -> SysResult {
    chown_target(target(AT_FDCWD, a.get(0) as usize, 0)?, AT_FDCWD, a.get(1), a.get(2))
}

/// lchown(path, uid, gid): a final symlink itself.
pub fn linux_lchown(a: &Args) -> SysResult {
    chown_target(target(AT_FDCWD, a.get(0) as usize, AT_SYMLINK_NOFOLLOW)?, AT_FDCWD, a.get(1), a.get(2))
}

/// fchown(fd, uid, gid).
pub fn linux_fchown(a: &Args) -> SysResult {
    chown_target(None, fd_arg(a, 0) as i32, a.get(1), a.get(2))
}

/// One `utimensat` time: `None` for `UTIME_OMIT`, now for `UTIME_NOW`;
/// a `tv_nsec` outside `0..10^9` otherwise is `EINVAL`.
fn time_arg(t: Timespec, now: vfs::Timespec) -> Result<Option<vfs::Timespec>, Errno> {
    match t.tv_nsec {
        UTIME_OMIT => Ok(None),
        UTIME_NOW => Ok(Some(now)),
        n if (0..1_000_000_000).contains(&n) => Ok(Some(vfs::Timespec { sec: t.tv_sec, nsec: n as u32 })),
        _ => Err(Errno::EINVAL),
    }
}

/// utimensat(dirfd, path, times, flags): `times` null sets both to now;
/// both `UTIME_OMIT` succeeds without looking at the path (Linux). A null
/// `path` means `dirfd` itself (`futimens`).
pub fn linux_utimensat(a: &Args) -> SysResult {
    let (dirfd, ptr, times, flags) = (dirfd_arg(a, 0), a.get(1) as usize, a.get(2) as usize, a.get(3) as u32);
    let now = mounts::now();
    let (atime, mtime) = if times == 0 {
        (Some(now), Some(now))
    } else {
        let mut b = [0u8; 32];
        UserSlice::new(times, 32)?.read_into(&mut b)?;
        let at = Timespec::from_bytes(b[..16].try_into().unwrap_or(&[0; 16]));
        let mt = Timespec::from_bytes(b[16..].try_into().unwrap_or(&[0; 16]));
        if at.tv_nsec == UTIME_OMIT && mt.tv_nsec == UTIME_OMIT {
            return Ok(0);
        }
        (time_arg(at, now)?, time_arg(mt, now)?)
    };
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let loc = if ptr == 0 && dirfd != AT_FDCWD {
        if dirfd < 0 {
            return Err(Errno::EBADF);
        }
        fd_inode(dirfd as usize, "futimens of a pipe")?
    } else {
        match target(dirfd, ptr, flags)? {
            Some(loc) => loc,
            None => fd_inode(dirfd as usize, "futimens of a pipe")?,
        }
    };
    open::set_times(loc, atime, mtime).map(|_| 0)
}
