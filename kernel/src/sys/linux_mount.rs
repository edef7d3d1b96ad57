//! The Linux personality's `mount` and `umount2` (over `fs::mounts`).
//!
//! * `mount(source, target, type, flags, data)`: a new `tmpfs`, another
//!   view of `proc` or `devtmpfs` (the one instance each, as Linux's), or
//!   with `MS_BIND` the directory `source` seen again at `target`. The
//!   mount options in `data` are not interpreted (a tmpfs here has no size
//!   limit and mode 1777). An unknown type is `ENODEV`, a target that is
//!   not a directory `ENOTDIR`, as Linux.
//! * Flags: `MS_NOSUID` is accepted (every process is root: set-ID bits
//!   change nothing), as are the access-time ones (`MS_NOATIME`,
//!   `MS_NODIRATIME`, `MS_RELATIME`, `MS_STRICTATIME`, `MS_LAZYTIME`) and
//!   `MS_SILENT`. What would need enforcing or moving mounts (`MS_RDONLY`,
//!   `MS_NODEV`, `MS_NOEXEC`, `MS_REMOUNT`, `MS_MOVE`, `MS_REC`, the
//!   propagation types) is `EINVAL`, logged once, rather than accepted and
//!   ignored. The old magic `0xC0ED` in the top 16 bits is dropped first.
//! * `umount2(target, flags)`: the mount whose root `target` is (`EINVAL`
//!   if it is not one); `EBUSY` while something is mounted inside it or a
//!   tmpfs's inode is open or a working directory. `MNT_FORCE` and
//!   `MNT_DETACH` unmount as a plain unmount would (a busy mount stays
//!   `EBUSY`); `UMOUNT_NOFOLLOW` does not follow a final symlink; other
//!   bits, or `MNT_EXPIRE` with `MNT_FORCE`/`MNT_DETACH`, are `EINVAL`.

#![forbid(unsafe_code)]

use super::handlers::{cwd, path_arg};
use super::linux::log_unsupported;
use super::Args;
use crate::error::{Errno, SysResult};
use crate::fs::mounts::{self, MountSource};
use crate::fs::open;

const MS_RDONLY: u64 = 1;
const MS_NOSUID: u64 = 2;
const MS_NODEV: u64 = 4;
const MS_NOEXEC: u64 = 8;
const MS_REMOUNT: u64 = 32;
const MS_NOATIME: u64 = 1 << 10;
const MS_NODIRATIME: u64 = 1 << 11;
const MS_BIND: u64 = 1 << 12;
const MS_MOVE: u64 = 1 << 13;
const MS_REC: u64 = 1 << 14;
const MS_SILENT: u64 = 1 << 15;
const MS_RELATIME: u64 = 1 << 21;
const MS_STRICTATIME: u64 = 1 << 24;
const MS_LAZYTIME: u64 = 1 << 25;
const MS_MGC_MSK: u64 = 0xffff_0000;
const MS_MGC_VAL: u64 = 0xc0ed_0000;
/// Flags that change nothing here (module doc).
const HARMLESS: u64 = MS_NOSUID | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | MS_SILENT;

const MNT_FORCE: u64 = 1;
const MNT_DETACH: u64 = 2;
const MNT_EXPIRE: u64 = 4;
const UMOUNT_NOFOLLOW: u64 = 8;

/// mount(source, target, filesystemtype, mountflags, data).
pub fn linux_mount(a: &Args) -> SysResult {
    let (source, target, fstype) = (a.get(0) as usize, a.get(1) as usize, a.get(2) as usize);
    let mut flags = a.get(3);
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    let target = path_arg(target)?;
    let at = open::lookup(cwd()?, &target, true)?;
    let extra = flags & !(HARMLESS | MS_BIND);
    if extra != 0 {
        let what = match extra {
            f if f & MS_REMOUNT != 0 => "mount(MS_REMOUNT)",
            f if f & MS_MOVE != 0 => "mount(MS_MOVE)",
            f if f & (MS_RDONLY | MS_NODEV | MS_NOEXEC) != 0 => "mount(MS_RDONLY, MS_NODEV or MS_NOEXEC)",
            f if f & MS_REC != 0 => "mount(MS_REC)",
            _ => "mount(propagation or other flags)",
        };
        log_unsupported(what);
        return Err(Errno::EINVAL);
    }
    let what = if flags & MS_BIND != 0 {
        let source = path_arg(source)?;
        MountSource::Bind(open::lookup(cwd()?, &source, true)?)
    } else {
        match path_arg(fstype)?.as_slice() {
            b"tmpfs" => MountSource::Tmpfs,
            b"proc" => MountSource::Proc,
            b"devtmpfs" => MountSource::Devtmpfs,
            _ => return Err(Errno::ENODEV),
        }
    };
    mounts::mount(at, what).map(|_| 0)
}

/// umount2(target, flags).
pub fn linux_umount2(a: &Args) -> SysResult {
    let flags = a.get(1);
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0
        || (flags & MNT_EXPIRE != 0 && flags & (MNT_FORCE | MNT_DETACH) != 0)
    {
        return Err(Errno::EINVAL);
    }
    if flags & MNT_EXPIRE != 0 {
        log_unsupported("umount2(MNT_EXPIRE)");
        return Err(Errno::EINVAL);
    }
    let target = path_arg(a.get(0) as usize)?;
    let at = open::lookup(cwd()?, &target, flags & UMOUNT_NOFOLLOW == 0)?;
    mounts::umount(at).map(|_| 0)
}
