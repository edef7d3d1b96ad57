//! The Linux x86-64 personality's system calls: the dispatch entry, the
//! log of unknown calls, and the identity calls (`execve`, `uname`,
//! `arch_prctl`, the uid/gid getters). Process, memory, time, signal,
//! random, descriptor, path, inode, poll and system-information calls live
//! in `linux_proc`, `linux_affinity`, `linux_mm`, `linux_time`, `linux_signal`,
//! `linux_random`, `linux_fd`, `linux_fs`, `linux_fs_stat`, `linux_poll`
//! and `linux_sys`; all are re-exported here for the generated table
//! (`linux_table.rs`, from `mello_abi::linux_syscalls!`).
//!
//! On the way out of every call the dispatch hands an interrupted call's
//! restart code to the signal layer (`user::note_restart`) and, like
//! Linux's pipe write, raises SIGPIPE on a writer that got `EPIPE`.
//!
//! Descriptors are the process's descriptor table, shared with the native
//! calls (PID 1 starts with 0, 1 and 2 on `/dev/console`, whose terminal
//! answers the tty ioctls).
//!
//! Identity: every process runs as root (uid, gid, euid, egid 0).
//!
//! Unknown calls: `-ENOSYS`, and one `[LINUX]` log line the first time each
//! number is used (a bitmap of `MAX_NR` bits; numbers above share a slot).

#![forbid(unsafe_code)]

pub use super::linux_affinity::*;
pub use super::linux_fd::*;
pub use super::linux_fs::*;
pub use super::linux_fs_stat::*;
pub use super::linux_mm::*;
pub use super::linux_mount::*;
pub use super::linux_poll::*;
pub use super::linux_proc::*;
pub use super::linux_random::linux_getrandom;
pub use super::linux_signal::*;
pub use super::linux_sys::*;
pub use super::linux_time::*;

use super::{ArgRegs, Args};
use crate::arch::trap::TrapFrame;
use crate::error::{encode, Errno, SysResult};
use crate::sync::{LockLevel, SpinLock};
use crate::user::{self, uaccess::{self, UserSlice}};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use mello_abi::linux::arch_prctl::{ARCH_GET_FS, ARCH_SET_FS};
use mello_abi::linux::{nr, Utsname, MAX_NR};

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
    if let Err(e) = result {
        after_error(number, e, &result);
    }
    frame.rax = encode(result);
}

/// The cold path of a failed call: restart codes and SIGPIPE.
#[cold]
fn after_error(number: usize, e: Errno, result: &SysResult) {
    user::note_restart(number as u64, result);
    // write, pwrite64, writev, pwritev, pwritev2 (Linux's pipe_write
    // sends SIGPIPE with the EPIPE).
    if e == Errno::EPIPE && matches!(number, 1 | 18 | 20 | 296 | 328) {
        if let Some(p) = user::current_process() {
            let info = user::signal::kernel_info(mello_abi::linux::signal::SIGPIPE);
            let info = mello_abi::linux::sigframe::Siginfo { code: mello_abi::linux::signal::SI_USER, ..info };
            user::signal::send(&p, info, user::signal::Sender::Kernel);
        }
    }
}

/// One bit per number below `MAX_NR`, plus one for all above.
static LOGGED: [AtomicU64; MAX_NR / 64 + 1] = [const { AtomicU64::new(0) }; MAX_NR / 64 + 1];

fn log_unknown(number: usize) {
    let slot = number.min(MAX_NR);
    let bit = 1u64 << (slot % 64);
    if LOGGED[slot / 64].fetch_or(bit, Ordering::Relaxed) & bit == 0 {
        crate::ktrace!("LINUX", "pid {}: system call {} not implemented (-ENOSYS){}", user::current_pid().unwrap_or(0),
            number, if number >= MAX_NR { " (numbers from 512 on are logged once together)" } else { "" });
    }
}

/// Log, the first time only, that a Linux feature `what` was refused
/// because MelloOS lacks it (not because of a bad argument).
pub fn log_unsupported(what: &'static str) {
    // A fixed table: nothing is allocated under the lock (level Device
    // ranks after Heap); kinds beyond its size are logged every time.
    static SEEN: SpinLock<[Option<&'static str>; 32]> = SpinLock::new(LockLevel::Device, "linux-unsupported", [None; 32]);
    let mut seen = SEEN.lock();
    if seen.contains(&Some(what)) {
        return;
    }
    if let Some(slot) = seen.iter_mut().find(|s| s.is_none()) {
        *slot = Some(what);
    }
    drop(seen);
    crate::ktrace!("LINUX", "pid {}: {} not supported yet", user::current_pid().unwrap_or(0), what);
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
        fallible::in_scope(|| out.try_reserve(1)).map_err(crate::error::no_memory)?;
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

/// getgroups(size, list): MelloOS keeps no supplementary groups, so the
/// list is empty (a negative size is `EINVAL`, as on Linux).
pub fn linux_getgroups(a: &Args) -> SysResult {
    if (a.get(0) as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
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
