//! The Linux x86-64 personality's system calls: the dispatch entry, the
//! log of unknown calls, and the process, identity and console calls
//! (`write`, `writev`, `ioctl`, `exit`, `exit_group`, `execve`, `uname`,
//! `arch_prctl`, `set_tid_address`, the id getters). Memory, time, signal
//! and random calls live in `linux_mm`, `linux_time`, `linux_signal` and
//! `linux_random`; all are re-exported here for the generated table
//! (`linux_table.rs`, from `mello_abi::linux_syscalls!`).
//!
//! Descriptors: until the VFS serves Linux processes, fds 0, 1 and 2 are
//! the console (`/dev/console`, as PID 1 has them on Linux): writes go to
//! it, and it answers the tty ioctls as Linux's serial console does
//! (`TCGETS` gives Linux's default termios at 9600 baud, `TIOCGWINSZ` 0x0,
//! so musl and glibc line-buffer stdout exactly as under Linux). Every
//! other fd is `EBADF`. The termios set by `TCSETS*` is kept and returned
//! by `TCGETS`, but the console does not apply it yet (output is always
//! sent as written).
//!
//! Identity: one task per process, so the tid is the pid; every process
//! runs as root (uid, gid, euid, egid 0).
//!
//! Unknown calls: `-ENOSYS`, and one `[LINUX]` log line the first time each
//! number is used (a bitmap of `MAX_NR` bits; numbers above share a slot).

#![forbid(unsafe_code)]

pub use super::linux_mm::*;
pub use super::linux_random::linux_getrandom;
pub use super::linux_signal::*;
pub use super::linux_time::*;

use super::{ArgRegs, Args};
use crate::arch::trap::TrapFrame;
use crate::error::{encode, Errno, SysResult};
use crate::sync::{LockLevel, SpinLock};
use crate::user::{self, uaccess::{self, UserSlice}};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use mello_abi::linux::arch_prctl::{ARCH_GET_FS, ARCH_SET_FS};
use mello_abi::linux::{nr, Iovec, Utsname, MAX_NR};
use mello_abi::termios::{self, ioctl, Termios, WinSize};

/// Run the Linux call in `frame` and store its result in `rax`. (Kept out
/// of line: the native dispatch must not pay for its frame.)
#[inline(never)]
pub fn dispatch(frame: &mut TrapFrame) {
    let number = frame.rax as usize;
    crate::kdebug!("SYSCALL", "[cpu{} pid={} rip={:#x}] linux {} ({})", crate::arch::percpu::cpu_id(),
        user::current_pid().unwrap_or(0), frame.rip, nr::name(number).unwrap_or("?"), number);
    let result = match super::linux_table::linux(number, Args::of(frame)) {
        Some(result) => result,
        None => {
            log_unknown(number);
            Err(Errno::ENOSYS)
        }
    };
    frame.rax = encode(result);
}

/// One bit per number below `MAX_NR`, plus one for all above.
static LOGGED: [AtomicU64; MAX_NR / 64 + 1] = [const { AtomicU64::new(0) }; MAX_NR / 64 + 1];

fn log_unknown(number: usize) {
    let slot = number.min(MAX_NR);
    let bit = 1u64 << (slot % 64);
    if LOGGED[slot / 64].fetch_or(bit, Ordering::Relaxed) & bit == 0 {
        crate::klog!("LINUX", "pid {}: system call {} not implemented (-ENOSYS){}", user::current_pid().unwrap_or(0),
            number, if number >= MAX_NR { " (numbers from 512 on are logged once together)" } else { "" });
    }
}

/// Log, the first time only, that a Linux feature `what` was refused
/// because MelloOS lacks it (not because of a bad argument).
pub fn log_unsupported(what: &'static str) {
    static SEEN: SpinLock<Vec<&'static str>> = SpinLock::new(LockLevel::Device, "linux-unsupported", Vec::new());
    let mut seen = SEEN.lock();
    if !seen.contains(&what) && seen.try_reserve(1).is_ok() {
        seen.push(what);
        drop(seen);
        crate::klog!("LINUX", "pid {}: {} not supported yet", user::current_pid().unwrap_or(0), what);
    }
}

/// The console's fds; anything else is not open.
fn console_fd(fd: usize) -> Result<(), Errno> {
    if fd <= 2 { Ok(()) } else { Err(Errno::EBADF) }
}

/// Copy `len` bytes at `buf` to the console, 4 KiB at a time. A fault
/// after some bytes were written returns their count (as Linux's tty
/// write does); a fault before any is `EFAULT`.
fn console_write(buf: usize, len: usize) -> SysResult {
    UserSlice::new(buf, len)?;
    let mut chunk = [0u8; 4096];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len());
        if let Err(e) = UserSlice::new(buf + done, n).and_then(|u| u.read_into(&mut chunk[..n])) {
            return if done > 0 { Ok(done) } else { Err(e) };
        }
        crate::serial::write_bytes(&chunk[..n]);
        done += n;
    }
    Ok(done)
}

/// Linux's cap on one read or write (`MAX_RW_COUNT`).
const MAX_RW_COUNT: usize = 0x7fff_f000;

/// write(fd, buf, len).
pub fn linux_write(a: &Args) -> SysResult {
    console_fd(a.a0())?;
    // Linux checks the whole range (access_ok) before capping the count.
    UserSlice::new(a.a1(), a.a2())?;
    console_write(a.a1(), a.a2().min(MAX_RW_COUNT))
}

/// writev(fd, iov, iovcnt).
pub fn linux_writev(a: &Args) -> SysResult {
    let (fd, iov, count) = (a.a0(), a.a1(), a.get(2) as i32);
    console_fd(fd)?;
    if count < 0 || count as usize > Iovec::MAX {
        return Err(Errno::EINVAL);
    }
    let count = count as usize;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(count * Iovec::SIZE).map_err(crate::error::no_memory)?;
    bytes.resize(count * Iovec::SIZE, 0);
    UserSlice::new(iov, bytes.len())?.read_into(&mut bytes)?;
    let vecs: Vec<Iovec> = bytes.chunks_exact(Iovec::SIZE).map(|c| Iovec::from_bytes(c.try_into().unwrap_or(&[0; 16]))).collect();
    // Linux checks every length first: a negative one (as ssize_t) or a
    // total past ssize_t is EINVAL; the total is then capped.
    let mut total: u64 = 0;
    for v in &vecs {
        if v.len > isize::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        total = total.checked_add(v.len).filter(|&t| t <= isize::MAX as u64).ok_or(Errno::EINVAL)?;
    }
    let mut left = MAX_RW_COUNT;
    let mut done = 0;
    for v in &vecs {
        let want = (v.len as usize).min(left);
        if want == 0 {
            continue;
        }
        match console_write(v.base as usize, want) {
            Ok(n) => {
                done += n;
                left -= n;
                if n < want {
                    break;
                }
            }
            Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
        }
    }
    Ok(done)
}

/// The console's terminal settings, as `TCGETS`/`TCSETS` see them: Linux's
/// `tty_std_termios` with the serial console's `9600n8` line
/// (`B9600 | CS8 | CREAD | HUPCL | CLOCAL`), and a 0x0 window.
static CONSOLE_TTY: SpinLock<(Termios, WinSize)> = SpinLock::new(
    LockLevel::Device,
    "linux-console-tty",
    (
        Termios {
            c_cflag: termios::B9600 | termios::CS8 | termios::CREAD | termios::HUPCL | termios::CLOCAL,
            ..termios::TTY_STD_TERMIOS
        },
        WinSize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 },
    ),
);

/// ioctl(fd, request, arg): the console's tty requests (module doc).
pub fn linux_ioctl(a: &Args) -> SysResult {
    let (fd, request, arg) = (a.a0(), a.get(1) as u32, a.a2());
    console_fd(fd)?;
    match request {
        ioctl::TCGETS => {
            let t = CONSOLE_TTY.lock().0;
            UserSlice::new(arg, termios::TERMIOS_SIZE)?.write_from(&t.to_bytes())?;
        }
        ioctl::TCSETS | ioctl::TCSETSW | ioctl::TCSETSF => {
            let mut b = [0u8; termios::TERMIOS_SIZE];
            UserSlice::new(arg, b.len())?.read_into(&mut b)?;
            CONSOLE_TTY.lock().0 = Termios::from_bytes(&b);
        }
        ioctl::TIOCGWINSZ => {
            let w = CONSOLE_TTY.lock().1;
            UserSlice::new(arg, termios::WINSIZE_SIZE)?.write_from(&w.to_bytes())?;
        }
        ioctl::TIOCSWINSZ => {
            let mut b = [0u8; termios::WINSIZE_SIZE];
            UserSlice::new(arg, b.len())?.read_into(&mut b)?;
            CONSOLE_TTY.lock().1 = WinSize::from_bytes(&b);
        }
        _ => return Err(Errno::ENOTTY),
    }
    Ok(0)
}

/// exit(code): the thread ends; with one thread per process, the process.
pub fn linux_exit(a: &Args) -> SysResult {
    user::exit_current((a.a0() & 0xff) as i32)
}

/// exit_group(code).
pub fn linux_exit_group(a: &Args) -> SysResult {
    user::exit_current((a.a0() & 0xff) as i32)
}

/// Read a NULL-terminated array of C strings (argv, envp); null is empty.
fn read_str_vec(ptr: usize, total: &mut usize) -> Result<Vec<Vec<u8>>, Errno> {
    use mello_abi::limits::{ARGV_MAX, ARG_MAX};
    let mut out: Vec<Vec<u8>> = Vec::new();
    if ptr == 0 {
        return Ok(out);
    }
    loop {
        let slot = ptr.checked_add(out.len() * 8).ok_or(Errno::EFAULT)?;
        let s = uaccess::read_u64(slot)? as usize;
        if s == 0 {
            return Ok(out);
        }
        if out.len() >= ARGV_MAX {
            return Err(Errno::E2BIG);
        }
        let arg = uaccess::read_cstr(s, ARG_MAX.saturating_sub(*total), Errno::E2BIG)?;
        *total += arg.len() + 1;
        out.try_reserve(1).map_err(crate::error::no_memory)?;
        out.push(arg);
    }
}

/// execve(path, argv, envp).
pub fn linux_execve(a: &Args) -> SysResult {
    let path = uaccess::read_cstr(a.a0(), mello_abi::limits::PATH_MAX, Errno::ENAMETOOLONG)?;
    let path = core::str::from_utf8(&path).map_err(|_| Errno::ENOENT)?;
    let mut total = 0;
    let argv = read_str_vec(a.a1(), &mut total)?;
    let envp = read_str_vec(a.a2(), &mut total)?;
    user::exec_env(path, &argv, &envp)
}

/// uname(buf).
pub fn linux_uname(a: &Args) -> SysResult {
    UserSlice::new(a.a0(), Utsname::SIZE)?.write_from(&Utsname::mellos().to_bytes())?;
    Ok(0)
}

/// arch_prctl(code, addr): the FS base (the TLS pointer). The GS base is
/// the kernel's per-CPU pointer while in the kernel and is not offered to
/// user programs yet (`EINVAL`, as for an unknown code).
pub fn linux_arch_prctl(a: &Args) -> SysResult {
    let (code, addr) = (a.get(0), a.get(1));
    match code {
        ARCH_SET_FS => {
            if !crate::sched::set_current_fs_base(addr) {
                return Err(Errno::EPERM);
            }
        }
        ARCH_GET_FS => {
            UserSlice::new(addr as usize, 8)?.write_from(&crate::sched::current_fs_base().to_le_bytes())?;
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// set_tid_address(ptr): remembered; returns the tid.
pub fn linux_set_tid_address(a: &Args) -> SysResult {
    let proc = user::current_process().ok_or(Errno::EINVAL)?;
    proc.linux.set_clear_child_tid(a.get(0));
    Ok(proc.pid)
}

pub fn linux_getpid(_: &Args) -> SysResult {
    user::current_pid().ok_or(Errno::EINVAL)
}

/// gettid(): one task per process, so the pid.
pub fn linux_gettid(_: &Args) -> SysResult {
    user::current_pid().ok_or(Errno::EINVAL)
}

/// getppid(): the parent's pid (orphans: init's, 1), 0 for init and for
/// programs the kernel started itself.
pub fn linux_getppid(_: &Args) -> SysResult {
    let me = user::current_pid().ok_or(Errno::EINVAL)?;
    Ok(user::process::parent_of(me).unwrap_or(0))
}

pub fn linux_getuid(_: &Args) -> SysResult {
    Ok(0)
}

pub fn linux_geteuid(_: &Args) -> SysResult {
    Ok(0)
}

pub fn linux_getgid(_: &Args) -> SysResult {
    Ok(0)
}

pub fn linux_getegid(_: &Args) -> SysResult {
    Ok(0)
}
