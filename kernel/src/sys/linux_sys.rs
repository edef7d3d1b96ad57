//! The Linux personality's system-information calls: `sysinfo`,
//! `getrlimit`, `setrlimit`, `prlimit64`, `syslog`.
//!
//! * Resource limits are kept per process (`fs::ProcFiles::rlimits`,
//!   under the `FdTable` lock, inherited by `fork`); until a process sets
//!   one, it has Linux's defaults for root, with MelloOS's real values
//!   where they exist: `RLIMIT_NOFILE` is the descriptor table's size
//!   (1,024, soft and hard; it cannot grow past it: raising it is
//!   `EPERM`, as past Linux's `nr_open`), `RLIMIT_STACK` the 8 MiB stack
//!   the loader gives a Linux program (hard: unlimited), `RLIMIT_NPROC` and
//!   `RLIMIT_SIGPENDING` the process table's size; `RLIMIT_CORE` 0 (hard
//!   unlimited), `RLIMIT_MEMLOCK` 8 MiB, `RLIMIT_MSGQUEUE` 819,200 bytes,
//!   `RLIMIT_NICE` and `RLIMIT_RTPRIO` 0, the rest `RLIM_INFINITY`.
//!   Lowering `RLIMIT_NOFILE` is enforced by the descriptor table; the
//!   others are stored and reported.
//! * `syslog(2)` reads the kernel log ring (`kmsg`) in Linux's text form
//!   (`<L>[seconds] text`): `READ_ALL` (3) the newest that fit since the
//!   last clear, `READ_CLEAR` (4) the same and then clears, `CLEAR` (5),
//!   `READ` (2) consumes unread records, waiting interruptibly while there
//!   are none (`kmsg::read_unread`, shared with `/proc/kmsg`),
//!   `SIZE_UNREAD` (9), `SIZE_BUFFER` (10), `CONSOLE_OFF`/`ON`/`LEVEL`
//!   (6, 7, 8) the console level; 0 and 1 do nothing, as in Linux. The read
//!   and clear positions are global (one log), kept by `kmsg`.

#![forbid(unsafe_code)]

use super::handlers::me;
use super::Args;
use crate::error::{Errno, SysResult};
use crate::user::uaccess::UserSlice;
use alloc::boxed::Box;
use alloc::vec;
use core::sync::atomic::{AtomicU8, Ordering};
use mello_abi::fs::OPEN_MAX;
use mello_abi::limits::MAX_PROCS;
use mello_abi::linux::fs_types::rlimit::*;
use mello_abi::linux::fs_types::syslog as action;
use mello_abi::linux::{Rlimit, Sysinfo};

/// Linux's defaults for root (module doc).
pub fn default_rlimits() -> [Rlimit; RLIM_NLIMITS] {
    let inf = Rlimit { cur: RLIM_INFINITY, max: RLIM_INFINITY };
    let mut l = [inf; RLIM_NLIMITS];
    let both = |v: u64| Rlimit { cur: v, max: v };
    l[RLIMIT_STACK] = Rlimit { cur: crate::user::loader::LINUX_STACK_SIZE, max: RLIM_INFINITY };
    l[RLIMIT_CORE] = Rlimit { cur: 0, max: RLIM_INFINITY };
    l[RLIMIT_NPROC] = both(MAX_PROCS as u64);
    l[RLIMIT_NOFILE] = both(OPEN_MAX as u64);
    l[RLIMIT_MEMLOCK] = both(8 << 20);
    l[RLIMIT_SIGPENDING] = both(MAX_PROCS as u64);
    l[RLIMIT_MSGQUEUE] = both(819_200);
    l[RLIMIT_NICE] = both(0);
    l[RLIMIT_RTPRIO] = both(0);
    l
}

/// The calling process's limit `res` and, if `new` is given, set it
/// (checked as Linux's `do_prlimit`: `cur > max` is `EINVAL`).
fn prlimit(res: usize, new: Option<Rlimit>) -> Result<Rlimit, Errno> {
    if res >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    if let Some(n) = new {
        if n.cur > n.max {
            return Err(Errno::EINVAL);
        }
        if res == RLIMIT_NOFILE && n.max > OPEN_MAX as u64 {
            return Err(Errno::EPERM);
        }
    }
    let proc = me()?;
    let mut files = proc.files.lock();
    let old = files.rlimits.as_ref().map_or_else(|| default_rlimits()[res], |l| l[res]);
    if let Some(n) = new {
        if files.rlimits.is_none() {
            files.rlimits = Some(Box::new(default_rlimits()));
        }
        if let Some(l) = files.rlimits.as_mut() {
            l[res] = n;
        }
        if res == RLIMIT_NOFILE {
            files.fds.set_limit(n.cur as usize);
        }
    }
    Ok(old)
}

fn read_rlimit(addr: usize) -> Result<Rlimit, Errno> {
    let mut b = [0u8; Rlimit::SIZE];
    UserSlice::new(addr, b.len())?.read_into(&mut b)?;
    Ok(Rlimit::from_bytes(&b))
}

fn write_rlimit(addr: usize, r: Rlimit) -> SysResult {
    UserSlice::new(addr, Rlimit::SIZE)?.write_from(&r.to_bytes())?;
    Ok(0)
}

/// getrlimit(resource, rlim).
pub fn linux_getrlimit(a: &Args) -> SysResult {
    let r = prlimit(a.get(0) as u32 as usize, None)?;
    write_rlimit(a.get(1) as usize, r)
}

/// setrlimit(resource, rlim).
pub fn linux_setrlimit(a: &Args) -> SysResult {
    let new = read_rlimit(a.get(1) as usize)?;
    prlimit(a.get(0) as u32 as usize, Some(new)).map(|_| 0)
}

/// prlimit64(pid, resource, new, old): pid 0 or the caller's own; another
/// process's limits are not reachable from here (`EPERM`, logged), a pid
/// that does not exist is `ESRCH`.
pub fn linux_prlimit64(a: &Args) -> SysResult {
    let (pid, res, new, old) = (a.get(0) as i32, a.get(1) as u32 as usize, a.get(2) as usize, a.get(3) as usize);
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let me_pid = me()?.pid;
    if pid != 0 && pid as usize != me_pid {
        if !crate::user::process::exists(pid as usize) {
            return Err(Errno::ESRCH);
        }
        super::linux::log_unsupported("prlimit64 of another process");
        return Err(Errno::EPERM);
    }
    let new = if new != 0 { Some(read_rlimit(new)?) } else { None };
    let was = prlimit(res, new)?;
    if old != 0 {
        write_rlimit(old, was)?;
    }
    Ok(0)
}

/// sysinfo(info): uptime (whole seconds, rounded up as Linux does), memory
/// in bytes (`mem_unit` 1), no swap, the number of processes; load
/// averages are not kept (0).
pub fn linux_sysinfo(a: &Args) -> SysResult {
    let us = crate::arch::time::now_us();
    let page = 4096u64;
    let info = Sysinfo {
        uptime: (us.div_ceil(1_000_000)) as i64,
        totalram: crate::mm::pmm::total_usable_frames() as u64 * page,
        freeram: crate::mm::pmm::free_frames() as u64 * page,
        procs: crate::user::process::pids().len() as u16,
        mem_unit: 1,
        ..Sysinfo::default()
    };
    UserSlice::new(a.get(0) as usize, Sysinfo::SIZE)?.write_from(&info.to_bytes())?;
    Ok(0)
}

/// The console level `CONSOLE_OFF` saved (0: none saved).
static SAVED_LEVEL: AtomicU8 = AtomicU8::new(0);

/// The formatted records since the last clear, the newest that fit `len`
/// bytes (whole lines), copied to `buf`.
fn read_tail(buf: usize, len: usize) -> SysResult {
    let mut all = vec![0u8; crate::kmsg::BUFFER_BYTES * 2];
    let (n, _) = crate::kmsg::read_from(crate::kmsg::clear_seq(), &mut all);
    let text = &all[..n];
    let mut start = n.saturating_sub(len);
    if start > 0 && text[start - 1] != b'\n' {
        start += text[start..].iter().position(|&b| b == b'\n').map_or(n - start, |p| p + 1);
    }
    UserSlice::new(buf, n - start)?.write_from(&text[start..])?;
    Ok(n - start)
}

/// syslog(type, buf, len) (module doc).
pub fn linux_syslog(a: &Args) -> SysResult {
    let (kind, buf, len) = (a.get(0) as u32, a.get(1) as usize, a.get(2) as i32);
    let needs_buf = matches!(kind, action::READ | action::READ_ALL | action::READ_CLEAR);
    if needs_buf {
        if buf == 0 || len < 0 {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(0);
        }
        UserSlice::new(buf, len as usize)?;
    }
    let len = len.max(0) as usize;
    match kind {
        action::CLOSE | action::OPEN => Ok(0),
        action::READ => {
            let mut out = vec![0u8; len.min(crate::kmsg::BUFFER_BYTES * 2)];
            let n = crate::kmsg::read_unread(&mut out, false)?;
            UserSlice::new(buf, n)?.write_from(&out[..n])?;
            Ok(n)
        }
        action::READ_ALL => read_tail(buf, len),
        action::READ_CLEAR => {
            let n = read_tail(buf, len)?;
            crate::kmsg::clear();
            Ok(n)
        }
        action::CLEAR => {
            crate::kmsg::clear();
            Ok(0)
        }
        action::CONSOLE_OFF => {
            let _ = SAVED_LEVEL.compare_exchange(0, crate::kmsg::console_level().max(1), Ordering::Relaxed, Ordering::Relaxed);
            crate::kmsg::set_console_level(1);
            Ok(0)
        }
        action::CONSOLE_ON => {
            let saved = SAVED_LEVEL.swap(0, Ordering::Relaxed);
            if saved != 0 {
                crate::kmsg::set_console_level(saved);
            }
            Ok(0)
        }
        action::CONSOLE_LEVEL => {
            if !(1..=8).contains(&len) {
                return Err(Errno::EINVAL);
            }
            SAVED_LEVEL.store(0, Ordering::Relaxed);
            crate::kmsg::set_console_level(len.max(1) as u8);
            Ok(0)
        }
        action::SIZE_UNREAD => Ok(crate::kmsg::unread_bytes()),
        action::SIZE_BUFFER => Ok(crate::kmsg::BUFFER_BYTES),
        _ => Err(Errno::EINVAL),
    }
}
