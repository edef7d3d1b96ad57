//! The native file-system calls (numbers 10-29 of `native_syscalls!`):
//! read, open, close, lseek, stat, lstat, fstat, dup, dup2, pipe, mkdir,
//! unlink, rmdir, rename, getdents (Linux's `linux_dirent64`), chdir,
//! getcwd, symlink, readlink, fcntl.
//!
//! Each follows its Linux counterpart's checks and errors: a descriptor
//! that is not open is `EBADF` (so is one open without the needed access
//! mode), every pointer goes through `uaccess` (`EFAULT`), a path of
//! `PATH_MAX` (4,096) bytes or more is `ENAMETOOLONG`. The work itself is
//! in `fs`; handlers only decode arguments, move bytes to and from user
//! memory and keep the descriptor table (the `Process::files` lock is held
//! only to look up, add or remove an entry; removed files are dropped
//! after it is released).

use super::super::{ArgRegs, Args};
use crate::error::{Errno, SysResult};
use crate::fs::file::{Kind, OpenFile};
use crate::fs::{open, pipe};
use crate::user::{self, uaccess::{self, UserSlice}, Process};
use alloc::sync::Arc;
use alloc::vec::Vec;
use mello_abi::fs::*;
use vfs::Location;

pub fn me() -> Result<Arc<Process>, Errno> {
    user::current_process().ok_or(Errno::EINVAL)
}

/// The open file behind descriptor `fd` of the calling process. A kernel
/// task (the in-kernel tests) has no process: its fds 1 and 2 are the
/// console, as a process's are, and it has no others.
pub fn file_of(fd: usize) -> Result<Arc<OpenFile>, Errno> {
    match user::current_process() {
        Some(proc) => proc.files.lock().fds.get(fd),
        None if fd == 1 || fd == 2 => kernel_console(),
        None => Err(Errno::EBADF),
    }
}

/// `/dev/console`, opened once for kernel tasks.
fn kernel_console() -> Result<Arc<OpenFile>, Errno> {
    static CONSOLE: spin::Once<Option<Arc<OpenFile>>> = spin::Once::new();
    CONSOLE
        .call_once(|| open::open(crate::fs::mounts::root(), b"/dev/console", O_WRONLY, 0).ok())
        .clone()
        .ok_or(Errno::EBADF)
}

pub fn cwd() -> Result<Location, Errno> {
    Ok(me()?.files.lock().cwd_loc())
}

/// The calling process's file-creation mask.
pub fn umask() -> Result<u32, Errno> {
    Ok(me()?.files.lock().umask)
}

/// A NUL-terminated path argument.
pub fn path_arg(ptr: usize) -> Result<Vec<u8>, Errno> {
    uaccess::read_cstr(ptr, PATH_MAX, Errno::ENAMETOOLONG)
}

/// Install `file` at the lowest free descriptor `>= min`.
pub fn install(file: Arc<OpenFile>, cloexec: bool, min: usize) -> SysResult {
    me()?.files.lock().fds.alloc(file, cloexec, min)
}

pub fn put_stat(addr: usize, st: &Stat) -> SysResult {
    UserSlice::new(addr, Stat::SIZE)?.write_from(&st.to_bytes())?;
    Ok(0)
}

/// read(fd, buf, len).
pub fn sys_read(a: &Args) -> SysResult {
    let (fd, buf, len) = (a.a0(), a.a1(), a.a2());
    let file = file_of(fd)?;
    if !file.readable() {
        return Err(Errno::EBADF);
    }
    UserSlice::new(buf, len)?;
    file.read(buf, len)
}

/// open(path, flags, mode): the lowest free descriptor.
pub fn sys_open(a: &Args) -> SysResult {
    let (flags, mode) = (a.a1() as u32, a.a2() as u32);
    let path = path_arg(a.a0())?;
    let proc = me()?;
    // Linux reserves the descriptor first: with none free, nothing is
    // looked up or created.
    let (cwd, umask, free) = {
        let files = proc.files.lock();
        (files.cwd_loc(), files.umask, files.fds.count() < files.fds.limit())
    };
    if !free {
        return Err(Errno::EMFILE);
    }
    let file = open::open_masked(cwd, &path, flags, mode, umask)?;
    install(file, flags & O_CLOEXEC != 0, 0)
}

/// close(fd).
pub fn sys_close(a: &Args) -> SysResult {
    let file = me()?.files.lock().fds.close(a.a0())?;
    drop(file);
    Ok(0)
}

/// lseek(fd, offset, whence): the new position.
pub fn sys_lseek(a: &Args) -> SysResult {
    let file = file_of(a.a0())?;
    Ok(file.lseek(a.a1() as i64, a.a2() as u32)? as usize)
}

fn stat_common(a: &Args, follow: bool) -> SysResult {
    let path = path_arg(a.a0())?;
    let st = open::stat(cwd()?, &path, follow)?;
    put_stat(a.a1(), &crate::fs::file::to_abi(&st))
}

/// stat(path, statbuf): follows a final symlink.
pub fn sys_stat(a: &Args) -> SysResult {
    stat_common(a, true)
}

/// lstat(path, statbuf): a final symlink itself.
pub fn sys_lstat(a: &Args) -> SysResult {
    stat_common(a, false)
}

/// fstat(fd, statbuf).
pub fn sys_fstat(a: &Args) -> SysResult {
    let st = file_of(a.a0())?.stat()?;
    put_stat(a.a1(), &st)
}

/// dup(fd): the lowest free descriptor, close-on-exec clear.
pub fn sys_dup(a: &Args) -> SysResult {
    let file = file_of(a.a0())?;
    install(file, false, 0)
}

/// dup2(old, new): `new` (closed first if open) names `old`'s file.
pub fn sys_dup2(a: &Args) -> SysResult {
    let (old, new) = (a.a0(), a.a1());
    let replaced = me()?.files.lock().fds.dup2(old, new)?;
    drop(replaced);
    Ok(new)
}

/// pipe(fds, flags): `fds[0]` the read end, `fds[1]` the write end (two
/// i32s); flags `O_CLOEXEC`, `O_NONBLOCK` (pipe2's), anything else EINVAL.
pub fn sys_pipe(a: &Args) -> SysResult {
    make_pipe(a.a0(), a.a1() as u32)
}

/// pipe2(fds, flags), for both personalities.
pub fn make_pipe(ptr: usize, flags: u32) -> SysResult {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let out = UserSlice::new(ptr, 8)?;
    let (r, w) = pipe::new_pipe();
    let nonblock = flags & O_NONBLOCK;
    let cloexec = flags & O_CLOEXEC != 0;
    let proc = me()?;
    let (rfd, wfd) = {
        let mut files = proc.files.lock();
        let rfd = files.fds.alloc(OpenFile::new(Kind::Pipe(r), O_RDONLY | nonblock), cloexec, 0)?;
        match files.fds.alloc(OpenFile::new(Kind::Pipe(w), O_WRONLY | nonblock), cloexec, 0) {
            Ok(wfd) => (rfd, wfd),
            Err(e) => {
                let undone = files.fds.close(rfd);
                drop(files);
                drop(undone);
                return Err(e);
            }
        }
    };
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&(rfd as i32).to_le_bytes());
    bytes[4..].copy_from_slice(&(wfd as i32).to_le_bytes());
    if let Err(e) = out.write_from(&bytes) {
        let mut files = proc.files.lock();
        let undone = (files.fds.close(rfd), files.fds.close(wfd));
        drop(files);
        drop(undone);
        return Err(e);
    }
    Ok(0)
}

/// mkdir(path, mode).
pub fn sys_mkdir(a: &Args) -> SysResult {
    let path = path_arg(a.a0())?;
    open::mkdir(cwd()?, &path, a.a1() as u32, umask()?)?;
    Ok(0)
}

/// unlink(path).
pub fn sys_unlink(a: &Args) -> SysResult {
    let path = path_arg(a.a0())?;
    open::unlink(cwd()?, &path)?;
    Ok(0)
}

/// rmdir(path).
pub fn sys_rmdir(a: &Args) -> SysResult {
    let path = path_arg(a.a0())?;
    open::rmdir(cwd()?, &path)?;
    Ok(0)
}

/// rename(old, new).
pub fn sys_rename(a: &Args) -> SysResult {
    let old = path_arg(a.a0())?;
    let new = path_arg(a.a1())?;
    open::rename(cwd()?, &old, &new)?;
    Ok(0)
}

/// getdents(fd, buf, len): `linux_dirent64` records; 0 at the end.
pub fn sys_getdents(a: &Args) -> SysResult {
    let (fd, buf, len) = (a.a0(), a.a1(), a.a2());
    let file = file_of(fd)?;
    UserSlice::new(buf, len)?;
    file.getdents(buf, len)
}

/// chdir(path).
pub fn sys_chdir(a: &Args) -> SysResult {
    let path = path_arg(a.a0())?;
    let proc = me()?;
    let cwd = proc.files.lock().cwd_loc();
    let new = open::chdir(cwd, &path)?;
    let old = proc.files.lock().cwd.replace(new);
    drop(old);
    Ok(0)
}

/// getcwd(buf, size): the path and its NUL; `ERANGE` if it does not fit.
pub fn sys_getcwd(a: &Args) -> SysResult {
    let (buf, size) = (a.a0(), a.a1());
    let mut path = open::getcwd(cwd()?)?;
    path.push(0);
    if path.len() > size {
        return Err(Errno::ERANGE);
    }
    UserSlice::new(buf, path.len())?.write_from(&path)?;
    Ok(path.len())
}

/// symlink(target, linkpath).
pub fn sys_symlink(a: &Args) -> SysResult {
    let target = path_arg(a.a0())?;
    let path = path_arg(a.a1())?;
    open::symlink(cwd()?, &target, &path)?;
    Ok(0)
}

/// readlink(path, buf, size): the target, truncated to `size`, no NUL.
pub fn sys_readlink(a: &Args) -> SysResult {
    let (buf, size) = (a.a1(), a.a2());
    let path = path_arg(a.a0())?;
    if size as isize <= 0 {
        return Err(Errno::EINVAL);
    }
    let target = open::readlink(cwd()?, &path)?;
    let n = target.len().min(size);
    UserSlice::new(buf, n)?.write_from(&target[..n])?;
    Ok(n)
}

/// fcntl(fd, cmd, arg): F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD,
/// F_GETFL, F_SETFL (O_APPEND, O_NONBLOCK); other commands EINVAL.
pub fn sys_fcntl(a: &Args) -> SysResult {
    let (fd, cmd, arg) = (a.a0(), a.a1() as u32, a.a2());
    let proc = me()?;
    let file = proc.files.lock().fds.get(fd)?;
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            if arg >= OPEN_MAX {
                return Err(Errno::EINVAL);
            }
            install(file, cmd == F_DUPFD_CLOEXEC, arg)
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
        _ => Err(Errno::EINVAL),
    }
}

/// ioctl(fd, cmd, arg): a device request (terminals: `mello_abi::termios`'s
/// TCGETS, TCSETS*, TIOCGWINSZ, ...); `arg` may be a user pointer, which
/// the driver copies through `mm::uaccess`. Not a device: ENOTTY.
pub fn sys_ioctl(a: &Args) -> SysResult {
    let (fd, cmd, arg) = (a.a0(), a.a1() as u32, a.a2());
    let file = me()?.files.lock().fds.get(fd)?;
    file.ioctl(cmd, arg)
}
