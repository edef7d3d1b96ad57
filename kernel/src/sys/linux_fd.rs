//! The Linux personality's descriptor calls: `read`, `write`, `readv`,
//! `writev`, `pread64`, `pwrite64`, `preadv`, `pwritev`, `lseek`, `close`,
//! `ioctl`, `dup`, `dup2`, `dup3`, `fcntl`, `pipe`, `pipe2`, `sendfile`,
//! `fsync`, `fdatasync`, `syncfs`, `sync`, `ftruncate`.
//!
//! All go through the process's descriptor table and the shared
//! `OpenFile` operations (`fs/file.rs`), with the native calls' helpers
//! (`handlers::fs_calls`), in Linux's order of checks: the descriptor
//! (`EBADF`, also for the wrong access mode), then arguments (`EINVAL`),
//! then user memory (`EFAULT`). A descriptor argument is Linux's
//! `unsigned int` (the upper half of the register is ignored). One read or
//! write moves at most `MAX_RW_COUNT` bytes.
//!
//! `writev` of at most 64 KiB gathers its pieces into one kernel buffer and
//! writes once, so it is atomic on a pipe (up to `PIPE_BUF`) and one write
//! on a terminal, as Linux's single `write_iter`; longer ones write piece
//! by piece. `readv` blocks only for its first bytes.
//!
//! `fcntl`: `F_GETLK`/`F_SETLK`/`F_SETLKW` (POSIX record locks) are not
//! implemented: `ENOLCK` ("no locks available", which programs handle),
//! logged once; succeeding without recording a lock would lie to a second
//! process. `fsync` and friends succeed on tmpfs files (nothing to write
//! back, Linux's `noop_fsync`) and are `EINVAL` for pipes and devices.

#![forbid(unsafe_code)]

use super::handlers::{file_of, install, make_pipe, me};
use super::linux::log_unsupported;
use super::Args;
use crate::error::{Errno, SysResult};
use crate::fs::file::OpenFile;
use crate::fs::rw::{self, Src, CHUNK};
use crate::user::uaccess::{self, UserSlice};
use alloc::sync::Arc;
use alloc::vec::Vec;
use mello_abi::fs::*;
use mello_abi::linux::Iovec;

/// Linux's cap on one read or write (`MAX_RW_COUNT`).
pub const MAX_RW_COUNT: usize = 0x7fff_f000;

/// Argument `i` as a descriptor (`unsigned int`).
pub fn fd_arg(a: &Args, i: usize) -> usize {
    a.get(i) as u32 as usize
}

fn readable(fd: usize) -> Result<Arc<OpenFile>, Errno> {
    let file = file_of(fd)?;
    if file.readable() { Ok(file) } else { Err(Errno::EBADF) }
}

fn writable(fd: usize) -> Result<Arc<OpenFile>, Errno> {
    let file = file_of(fd)?;
    if file.writable() { Ok(file) } else { Err(Errno::EBADF) }
}

/// read(fd, buf, len).
pub fn linux_read(a: &Args) -> SysResult {
    let file = readable(fd_arg(a, 0))?;
    UserSlice::new(a.get(1) as usize, a.get(2) as usize)?;
    file.read(a.get(1) as usize, (a.get(2) as usize).min(MAX_RW_COUNT))
}

/// write(fd, buf, len).
pub fn linux_write(a: &Args) -> SysResult {
    let file = writable(fd_arg(a, 0))?;
    UserSlice::new(a.get(1) as usize, a.get(2) as usize)?;
    file.write(a.get(1) as usize, (a.get(2) as usize).min(MAX_RW_COUNT))
}

/// An iovec array, checked as Linux's `import_iovec`: more than `UIO_MAXIOV`
/// entries is `EINVAL`, so is a length (as `ssize_t`)
/// negative or a total past `ssize_t`; the total is then capped at
/// `MAX_RW_COUNT` (the last pieces shortened).
fn iovecs(iov: usize, count: u64) -> Result<Vec<Iovec>, Errno> {
    if count > Iovec::MAX as u64 {
        return Err(Errno::EINVAL);
    }
    let count = count as usize;
    let mut bytes = Vec::new();
    fallible::in_scope(|| bytes.try_reserve_exact(count * Iovec::SIZE)).map_err(crate::error::no_memory)?;
    bytes.resize(count * Iovec::SIZE, 0);
    UserSlice::new(iov, bytes.len())?.read_into(&mut bytes)?;
    let mut vecs: Vec<Iovec> = bytes.chunks_exact(Iovec::SIZE).map(|c| Iovec::from_bytes(c.try_into().unwrap_or(&[0; 16]))).collect();
    let mut total: u64 = 0;
    for v in &vecs {
        if v.len > isize::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        total = total.checked_add(v.len).filter(|&t| t <= isize::MAX as u64).ok_or(Errno::EINVAL)?;
    }
    let mut left = MAX_RW_COUNT as u64;
    for v in &mut vecs {
        v.len = v.len.min(left);
        left -= v.len;
    }
    Ok(vecs)
}

/// readv into `vecs`: each piece in turn, stopping at a short one; only
/// the first bytes may block. A fault after some bytes returns their count.
fn readv_into(file: &OpenFile, vecs: &[Iovec], at: Option<u64>) -> SysResult {
    let mut done = 0;
    for v in vecs.iter().filter(|v| v.len > 0) {
        let (base, len) = (v.base as usize, v.len as usize);
        let got = UserSlice::new(base, len).and_then(|_| match at {
            Some(off) => file.pread(base, len, off + done as u64),
            None => file.read_nb(base, len, done > 0),
        });
        match got {
            Ok(n) => {
                done += n;
                if n < len {
                    break;
                }
            }
            Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
        }
    }
    Ok(done)
}

/// writev from `vecs` (module doc: gathered when small).
fn writev_from(file: &OpenFile, vecs: &[Iovec], at: Option<u64>) -> SysResult {
    let total: usize = vecs.iter().map(|v| v.len as usize).sum();
    if total <= CHUNK && at.is_none() {
        let mut buf = Vec::new();
        fallible::in_scope(|| buf.try_reserve_exact(total)).map_err(crate::error::no_memory)?;
        for v in vecs.iter().filter(|v| v.len > 0) {
            match UserSlice::new(v.base as usize, v.len as usize).and_then(|u| u.read_vec()) {
                Ok(piece) => buf.extend_from_slice(&piece),
                Err(e) if buf.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        return file.write_from(Src::Kernel(&buf), buf.len());
    }
    let mut done = 0;
    for v in vecs.iter().filter(|v| v.len > 0) {
        let (base, len) = (v.base as usize, v.len as usize);
        let put = UserSlice::new(base, len).and_then(|_| match at {
            Some(off) => file.pwrite(base, len, off + done as u64),
            None => file.write(base, len),
        });
        match put {
            Ok(n) => {
                done += n;
                if n < len {
                    break;
                }
            }
            Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
        }
    }
    Ok(done)
}

/// readv(fd, iov, iovcnt).
pub fn linux_readv(a: &Args) -> SysResult {
    let file = readable(fd_arg(a, 0))?;
    readv_into(&file, &iovecs(a.get(1) as usize, a.get(2))?, None)
}

/// writev(fd, iov, iovcnt).
pub fn linux_writev(a: &Args) -> SysResult {
    let file = writable(fd_arg(a, 0))?;
    writev_from(&file, &iovecs(a.get(1) as usize, a.get(2))?, None)
}

/// A file offset argument: negative is `EINVAL`.
fn offset_arg(v: u64) -> Result<u64, Errno> {
    if (v as i64) < 0 { Err(Errno::EINVAL) } else { Ok(v) }
}

/// pread64(fd, buf, count, offset).
pub fn linux_pread64(a: &Args) -> SysResult {
    let file = readable(fd_arg(a, 0))?;
    let off = offset_arg(a.get(3))?;
    let (buf, len) = (a.get(1) as usize, a.get(2) as usize);
    UserSlice::new(buf, len)?;
    file.pread(buf, len.min(MAX_RW_COUNT), off)
}

/// pwrite64(fd, buf, count, offset).
pub fn linux_pwrite64(a: &Args) -> SysResult {
    let file = writable(fd_arg(a, 0))?;
    let off = offset_arg(a.get(3))?;
    let (buf, len) = (a.get(1) as usize, a.get(2) as usize);
    UserSlice::new(buf, len)?;
    file.pwrite(buf, len.min(MAX_RW_COUNT), off)
}

/// preadv(fd, iov, iovcnt, pos_l, pos_h): on x86-64 the offset is `pos_l`.
pub fn linux_preadv(a: &Args) -> SysResult {
    let file = readable(fd_arg(a, 0))?;
    let off = offset_arg(a.get(3))?;
    readv_into(&file, &iovecs(a.get(1) as usize, a.get(2))?, Some(off))
}

/// pwritev(fd, iov, iovcnt, pos_l, pos_h).
pub fn linux_pwritev(a: &Args) -> SysResult {
    let file = writable(fd_arg(a, 0))?;
    let off = offset_arg(a.get(3))?;
    writev_from(&file, &iovecs(a.get(1) as usize, a.get(2))?, Some(off))
}

/// lseek(fd, offset, whence).
pub fn linux_lseek(a: &Args) -> SysResult {
    let file = file_of(fd_arg(a, 0))?;
    Ok(file.lseek(a.get(1) as i64, a.get(2) as u32)? as usize)
}

/// close(fd).
pub fn linux_close(a: &Args) -> SysResult {
    let file = me()?.files.lock().fds.close(fd_arg(a, 0))?;
    drop(file);
    Ok(0)
}

/// ioctl(fd, request, arg): the generic requests Linux answers above the
/// file (`FIOCLEX`, `FIONCLEX`, `FIONBIO`, `FIONREAD` of files and pipes),
/// then the file's own (terminals: `tty::ioctl`); `ENOTTY` otherwise.
pub fn linux_ioctl(a: &Args) -> SysResult {
    let (fd, request, arg) = (fd_arg(a, 0), a.get(1) as u32, a.get(2) as usize);
    let proc = me()?;
    let file = proc.files.lock().fds.get(fd)?;
    match request {
        FIOCLEX | FIONCLEX => {
            proc.files.lock().fds.set_cloexec(fd, request == FIOCLEX)?;
            Ok(0)
        }
        FIONBIO => {
            let mut b = [0u8; 4];
            UserSlice::new(arg, 4)?.read_into(&mut b)?;
            let on = i32::from_le_bytes(b) != 0;
            file.set_flags(if on { file.flags() | O_NONBLOCK } else { file.flags() & !O_NONBLOCK });
            Ok(0)
        }
        FIONREAD => match file.bytes_readable() {
            Ok(n) => {
                uaccess::write_i32(arg, n.min(i32::MAX as usize) as i32)?;
                Ok(0)
            }
            Err(Errno::ENOTTY) => file.ioctl(request, arg),
            Err(e) => Err(e),
        },
        _ => file.ioctl(request, arg),
    }
}

/// dup(fd).
pub fn linux_dup(a: &Args) -> SysResult {
    install(file_of(fd_arg(a, 0))?, false, 0)
}

/// dup2(old, new).
pub fn linux_dup2(a: &Args) -> SysResult {
    let (old, new) = (fd_arg(a, 0), fd_arg(a, 1));
    let replaced = me()?.files.lock().fds.dup3(old, new, false)?;
    drop(replaced);
    Ok(new)
}

/// dup3(old, new, flags): only `O_CLOEXEC`; `old == new` is `EINVAL`.
pub fn linux_dup3(a: &Args) -> SysResult {
    let (old, new, flags) = (fd_arg(a, 0), fd_arg(a, 1), a.get(2) as u32);
    if flags & !O_CLOEXEC != 0 || a.get(2) >> 32 != 0 {
        return Err(Errno::EINVAL);
    }
    if old == new {
        return Err(Errno::EINVAL);
    }
    let replaced = me()?.files.lock().fds.dup3(old, new, flags & O_CLOEXEC != 0)?;
    drop(replaced);
    Ok(new)
}

/// fcntl(fd, cmd, arg) (module doc for the lock commands).
pub fn linux_fcntl(a: &Args) -> SysResult {
    let (fd, cmd, arg) = (fd_arg(a, 0), a.get(1) as u32, a.get(2));
    let proc = me()?;
    let file = proc.files.lock().fds.get(fd)?;
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            if arg as u32 as usize >= proc.files.lock().fds.limit() {
                return Err(Errno::EINVAL);
            }
            install(file, cmd == F_DUPFD_CLOEXEC, arg as u32 as usize)
        }
        F_GETFD => Ok(if proc.files.lock().fds.cloexec(fd)? { FD_CLOEXEC as usize } else { 0 }),
        F_SETFD => {
            proc.files.lock().fds.set_cloexec(fd, arg as u32 & FD_CLOEXEC != 0)?;
            Ok(0)
        }
        F_GETFL => Ok(file.flags() as usize),
        F_SETFL => {
            file.set_flags(arg as u32);
            Ok(0)
        }
        F_GETPIPE_SZ if file.is_pipe() => Ok(PIPE_SIZE),
        F_GETPIPE_SZ => Err(Errno::EBADF),
        F_GETLK | F_SETLK | F_SETLKW => {
            log_unsupported("fcntl record locks (F_GETLK/F_SETLK/F_SETLKW)");
            Err(Errno::ENOLCK)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// pipe(fds).
pub fn linux_pipe(a: &Args) -> SysResult {
    make_pipe(a.get(0) as usize, 0)
}

/// pipe2(fds, flags): `O_CLOEXEC`, `O_NONBLOCK`.
pub fn linux_pipe2(a: &Args) -> SysResult {
    make_pipe(a.get(0) as usize, a.get(1) as u32)
}

/// sendfile(out, in, offset_ptr, count): from a regular file (`EINVAL`
/// otherwise) at `*offset_ptr` (updated; the file position is not) or at
/// its position (advanced), to any writable file but an `O_APPEND` one.
pub fn linux_sendfile(a: &Args) -> SysResult {
    let (out_fd, in_fd, off_ptr, count) = (fd_arg(a, 0), fd_arg(a, 1), a.get(2) as usize, a.get(3) as usize);
    let input = readable(in_fd)?;
    let output = writable(out_fd)?;
    let Some((loc, pos_lock)) = input.regular() else { return Err(Errno::EINVAL) };
    if output.flags() & O_APPEND != 0 {
        return Err(Errno::EINVAL);
    }
    let start = if off_ptr != 0 { offset_arg(uaccess::read_u64(off_ptr)?)? } else { *pos_lock.lock() };
    let count = count.min(MAX_RW_COUNT);
    let mut buf = alloc::vec![0u8; count.min(CHUNK)];
    let mut done = 0;
    while done < count {
        let want = (count - done).min(CHUNK);
        let n = match rw::inode_read_kernel(loc, start + done as u64, &mut buf[..want]) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let put = match output.write_from(Src::Kernel(&buf[..n]), n) {
            Ok(put) => put,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += put;
        if put < n {
            break;
        }
    }
    let end = start + done as u64;
    if off_ptr != 0 {
        UserSlice::new(off_ptr, 8)?.write_from(&end.to_le_bytes())?;
    } else {
        *pos_lock.lock() = end;
    }
    Ok(done)
}

/// fsync/fdatasync/syncfs's answer for `fd`: success for files and
/// directories, `EINVAL` for pipes and devices (Linux: no `fsync` op).
fn sync_fd(fd: usize, any: bool) -> SysResult {
    let file = file_of(fd)?;
    if any || file.regular().is_some() || file.directory().is_ok() { Ok(0) } else { Err(Errno::EINVAL) }
}

pub fn linux_fsync(a: &Args) -> SysResult {
    sync_fd(fd_arg(a, 0), false)
}

pub fn linux_fdatasync(a: &Args) -> SysResult {
    sync_fd(fd_arg(a, 0), false)
}

/// syncfs(fd): any open descriptor (its filesystem is in memory).
pub fn linux_syncfs(a: &Args) -> SysResult {
    sync_fd(fd_arg(a, 0), true)
}

/// sync(): every filesystem is in memory; nothing to write back.
pub fn linux_sync(_: &Args) -> SysResult {
    Ok(0)
}

/// ftruncate(fd, length): a regular file open for writing (`EINVAL`
/// otherwise, as Linux's `do_sys_ftruncate`).
pub fn linux_ftruncate(a: &Args) -> SysResult {
    let len = offset_arg(a.get(1))?;
    let file = file_of(fd_arg(a, 0))?;
    match file.regular() {
        Some((loc, _)) if file.writable() => crate::fs::open::truncate(loc, len).map(|_| 0),
        _ => Err(Errno::EINVAL),
    }
}
