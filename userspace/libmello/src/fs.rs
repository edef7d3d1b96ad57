//! Safe wrappers for the native file-system calls (numbers 10-29 of
//! `mello-abi`'s table): files, descriptors, pipes, directories, links.
//! Paths are `&CStr`; flags and structures are Linux's (`mello::abi::fs`),
//! so these behave as their Linux namesakes do, errno for errno.
//!
//! ```ignore
//! use mello::fs::{self, O_CREAT, O_WRONLY};
//! let fd = fs::open(c"/tmp/x", O_CREAT | O_WRONLY, 0o644)?;
//! mello::write(fd, b"hello\n")?;
//! fs::close(fd)?;
//! ```

use crate::abi::nr;
use crate::raw::syscall3;
use crate::Errno;
use core::ffi::CStr;
pub use mello_abi::fs::*;

fn result(ret: isize) -> Result<usize, Errno> {
    Errno::from_ret(ret)
}

fn call(nr: usize, a0: usize, a1: usize, a2: usize) -> Result<usize, Errno> {
    // SAFETY: every caller below passes pointers to memory it borrows for
    // the call: shared borrows for what the kernel reads, exclusive ones
    // (with their true length) for what it writes.
    result(unsafe { syscall3(nr, a0, a1, a2) })
}

/// Reads up to `buf.len()` bytes from `fd`; 0 at end of file.
pub fn read(fd: usize, buf: &mut [u8]) -> Result<usize, Errno> {
    call(nr::READ, fd, buf.as_mut_ptr() as usize, buf.len())
}

/// Opens `path` with `O_*` `flags` (and `mode` if it creates); returns the
/// new descriptor.
pub fn open(path: &CStr, flags: u32, mode: u32) -> Result<usize, Errno> {
    call(nr::OPEN, path.as_ptr() as usize, flags as usize, mode as usize)
}

pub fn close(fd: usize) -> Result<usize, Errno> {
    call(nr::CLOSE, fd, 0, 0)
}

/// Moves `fd`'s position (`SEEK_SET`, `SEEK_CUR`, `SEEK_END`); returns it.
pub fn lseek(fd: usize, offset: i64, whence: u32) -> Result<usize, Errno> {
    call(nr::LSEEK, fd, offset as usize, whence as usize)
}

fn stat_call(nr: usize, arg: usize) -> Result<Stat, Errno> {
    let mut buf = [0u8; Stat::SIZE];
    call(nr, arg, buf.as_mut_ptr() as usize, 0)?;
    Ok(Stat::from_bytes(&buf))
}

/// The attributes of `path` (a final symlink followed).
pub fn stat(path: &CStr) -> Result<Stat, Errno> {
    stat_call(nr::STAT, path.as_ptr() as usize)
}

/// The attributes of `path` itself (a final symlink not followed).
pub fn lstat(path: &CStr) -> Result<Stat, Errno> {
    stat_call(nr::LSTAT, path.as_ptr() as usize)
}

/// The attributes of the file open on `fd`.
pub fn fstat(fd: usize) -> Result<Stat, Errno> {
    stat_call(nr::FSTAT, fd)
}

pub fn dup(fd: usize) -> Result<usize, Errno> {
    call(nr::DUP, fd, 0, 0)
}

pub fn dup2(old: usize, new: usize) -> Result<usize, Errno> {
    call(nr::DUP2, old, new, 0)
}

/// A new pipe: (read end, write end). `flags`: `O_CLOEXEC`, `O_NONBLOCK`.
pub fn pipe(flags: u32) -> Result<(usize, usize), Errno> {
    let mut fds = [0i32; 2];
    call(nr::PIPE, fds.as_mut_ptr() as usize, flags as usize, 0)?;
    Ok((fds[0] as usize, fds[1] as usize))
}

pub fn mkdir(path: &CStr, mode: u32) -> Result<usize, Errno> {
    call(nr::MKDIR, path.as_ptr() as usize, mode as usize, 0)
}

pub fn unlink(path: &CStr) -> Result<usize, Errno> {
    call(nr::UNLINK, path.as_ptr() as usize, 0, 0)
}

pub fn rmdir(path: &CStr) -> Result<usize, Errno> {
    call(nr::RMDIR, path.as_ptr() as usize, 0, 0)
}

pub fn rename(old: &CStr, new: &CStr) -> Result<usize, Errno> {
    call(nr::RENAME, old.as_ptr() as usize, new.as_ptr() as usize, 0)
}

/// Fills `buf` with `linux_dirent64` records of directory `fd` (decode
/// them with [`dirents`]); 0 at the end.
pub fn getdents(fd: usize, buf: &mut [u8]) -> Result<usize, Errno> {
    call(nr::GETDENTS, fd, buf.as_mut_ptr() as usize, buf.len())
}

pub fn chdir(path: &CStr) -> Result<usize, Errno> {
    call(nr::CHDIR, path.as_ptr() as usize, 0, 0)
}

/// The working directory's path into `buf`; returns it (without the NUL).
pub fn getcwd(buf: &mut [u8]) -> Result<&[u8], Errno> {
    let n = call(nr::GETCWD, buf.as_mut_ptr() as usize, buf.len(), 0)?;
    Ok(&buf[..n.saturating_sub(1)])
}

/// Makes `path` a symbolic link to `target`.
pub fn symlink(target: &CStr, path: &CStr) -> Result<usize, Errno> {
    call(nr::SYMLINK, target.as_ptr() as usize, path.as_ptr() as usize, 0)
}

/// The target of symlink `path`, truncated to `buf.len()`.
pub fn readlink<'a>(path: &CStr, buf: &'a mut [u8]) -> Result<&'a [u8], Errno> {
    let n = call(nr::READLINK, path.as_ptr() as usize, buf.as_mut_ptr() as usize, buf.len())?;
    Ok(&buf[..n])
}

/// `fcntl(fd, cmd, arg)` with an integer argument (`F_GETFD`, `F_SETFD`,
/// `F_GETFL`, `F_SETFL`, `F_DUPFD`, `F_DUPFD_CLOEXEC`).
pub fn fcntl(fd: usize, cmd: u32, arg: usize) -> Result<usize, Errno> {
    call(nr::FCNTL, fd, cmd as usize, arg)
}
