//! The oracles for one call's result: every result is a value the call
//! can return or one of the errno values its Linux namesake documents
//! (`man 2 NAME`, plus `ENOMEM`/`EFAULT`/`EINTR` where they apply), and a
//! bad pointer is never accepted.
//!
//! Invariant: a check only rejects what no correct kernel can return, so a
//! finding is always a kernel (or ABI) bug, never noise.

use crate::pools::Kind;
use mello::Errno::{self, *};
use mello::abi::nr;

/// Errno values call `number` may return.
pub fn allowed(number: usize) -> &'static [Errno] {
    const PATH: &[Errno] = &[ENOENT, ENOTDIR, EFAULT, ENAMETOOLONG, ELOOP, ENOMEM, EACCES, EOVERFLOW];
    match number {
        nr::WRITE => &[EBADF, EFAULT, EINVAL, EAGAIN, EPIPE, ENOSPC, EIO, EISDIR, EFBIG, ENOMEM, EINTR, EPERM, EACCES],
        nr::READ => &[EBADF, EFAULT, EINVAL, EAGAIN, EISDIR, EIO, ENOMEM, EINTR, EACCES],
        nr::SLEEP | nr::GETPID | nr::YIELD => &[EINTR],
        nr::IPC_SEND => &[EINVAL, EAGAIN, EFAULT, ENOMEM],
        nr::IPC_RECV => &[EINVAL, EFAULT, ENOMEM, EINTR],
        nr::FORK => &[EAGAIN, ENOMEM],
        nr::WAIT => &[ECHILD, EFAULT, EINVAL, EINTR],
        nr::EXEC => &[ENOENT, ENOEXEC, EFAULT, E2BIG, ENAMETOOLONG, ENOTDIR, EACCES, ELOOP, ENOMEM, EINVAL, EISDIR, ETXTBSY, EIO],
        nr::OPEN => &[
            ENOENT,
            EEXIST,
            EISDIR,
            ENOTDIR,
            EACCES,
            EFAULT,
            ENAMETOOLONG,
            ELOOP,
            EMFILE,
            ENFILE,
            ENOMEM,
            EINVAL,
            ENXIO,
            ENODEV,
            EROFS,
            ENOSPC,
            EPERM,
            ETXTBSY,
            EOVERFLOW,
            EBUSY,
            EAGAIN,
        ],
        nr::CLOSE => &[EBADF, EINTR, EIO],
        nr::LSEEK => &[EBADF, EINVAL, ESPIPE, EOVERFLOW],
        nr::STAT | nr::LSTAT => PATH,
        nr::FSTAT => &[EBADF, EFAULT, ENOMEM, EOVERFLOW],
        nr::DUP | nr::DUP2 => &[EBADF, EMFILE, EINVAL, EBUSY, EINTR],
        nr::PIPE => &[EFAULT, EINVAL, EMFILE, ENFILE, ENOMEM],
        nr::MKDIR => &[EEXIST, ENOENT, ENOTDIR, EFAULT, ENAMETOOLONG, ELOOP, ENOMEM, ENOSPC, EACCES, EPERM, EROFS, EMLINK],
        nr::UNLINK => &[ENOENT, EISDIR, ENOTDIR, EFAULT, ENAMETOOLONG, ELOOP, EPERM, EACCES, EBUSY, EROFS, ENOMEM],
        nr::RMDIR => &[ENOENT, ENOTDIR, ENOTEMPTY, EEXIST, EINVAL, EBUSY, EFAULT, ENAMETOOLONG, ELOOP, EPERM, EACCES, EROFS, ENOMEM],
        nr::RENAME => &[
            ENOENT,
            EEXIST,
            ENOTEMPTY,
            EISDIR,
            ENOTDIR,
            EINVAL,
            EXDEV,
            EBUSY,
            EFAULT,
            ENAMETOOLONG,
            ELOOP,
            EPERM,
            EACCES,
            EROFS,
            ENOMEM,
            ENOSPC,
            EMLINK,
        ],
        nr::GETDENTS => &[EBADF, EFAULT, EINVAL, ENOTDIR, ENOENT],
        nr::CHDIR => PATH,
        nr::GETCWD => &[ERANGE, EFAULT, EINVAL, ENOENT, ENOMEM, ENAMETOOLONG],
        nr::SYMLINK => &[EEXIST, ENOENT, ENOTDIR, EFAULT, ENAMETOOLONG, ELOOP, EPERM, EACCES, EROFS, ENOSPC, ENOMEM],
        nr::READLINK => &[EINVAL, ENOENT, ENOTDIR, EFAULT, ENAMETOOLONG, ELOOP, EACCES, ENOMEM],
        nr::FCNTL => &[EBADF, EINVAL, EMFILE, EFAULT, EAGAIN, EACCES, EPERM, EBUSY],
        nr::IOCTL => &[EBADF, EFAULT, EINVAL, ENOTTY, EPERM, EIO],
        nr::FUTEX => &[EFAULT, EINVAL, EAGAIN, ETIMEDOUT, ENOSYS, EINTR],
        _ => &[ENOSYS],
    }
}

/// How a call uses its pointer argument (if it has one worth checking).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// No pointer, or one whose misuse cannot be seen from the result.
    None,
    /// The kernel reads `len` bytes (`len > 0`): success with a bad
    /// pointer means it read memory it must not (a leak).
    Input,
    /// The kernel writes up to `len` bytes and returns how many (read,
    /// getdents, readlink, getcwd): a positive count with a bad or
    /// read-only pointer means it wrote where it must not.
    OutputCount,
    /// The kernel writes a fixed structure and returns 0 (stat, pipe).
    OutputFixed,
    /// A path: resolving it through a bad pointer must fail.
    Path,
}

/// Whether `[addr, addr + len)` leaves user space (Linux's `access_ok`
/// fails: every call refuses such a buffer, even `/dev/null`'s write).
pub fn outside_user(addr: usize, len: usize) -> bool {
    addr.checked_add(len).is_none_or(|end| end > mello::limits::USER_END)
}

/// Why a result is wrong, or `None` if it is fine. `addr`/`kind`/`len`
/// describe the pointer argument that `how` names.
pub fn verdict(number: usize, ret: isize, how: Use, (addr, kind, len): (usize, Kind, usize)) -> Option<&'static str> {
    if ret < 0 {
        let Some(e) = i32::try_from(-ret).ok().and_then(Errno::from_raw) else {
            return Some("not an errno");
        };
        return (!allowed(number).contains(&e)).then_some("errno not documented for this call");
    }
    if allowed(number) == [ENOSYS] {
        return Some("unknown call succeeded");
    }
    let bad = matches!(kind, Kind::Bad);
    let unwritable = bad || kind == Kind::ReadOnly;
    match how {
        // An unmapped user buffer may go unread (/dev/null's write), one
        // outside user space never; IPC always copies the message.
        Use::Input if bad && len > 0 && (outside_user(addr, len) || number == nr::IPC_SEND) => Some("bad pointer read"),
        Use::OutputCount if unwritable && ret > 0 => Some("wrote through a bad or read-only pointer"),
        Use::OutputFixed if unwritable => Some("wrote through a bad or read-only pointer"),
        Use::Path if bad => Some("resolved a path through a bad pointer"),
        Use::OutputCount | Use::Input if ret as usize > len && number != nr::GETCWD => Some("more bytes than asked"),
        _ => None,
    }
}
