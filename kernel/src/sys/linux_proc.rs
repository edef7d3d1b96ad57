//! The Linux process calls: `clone` (fork semantics), `fork`, `vfork`,
//! `wait4`, `waitid`, `exit`, `exit_group`, `set_tid_address`, the pid
//! getters, process groups and sessions, `futex` and `reboot` (CPU
//! affinity is `linux_affinity`).
//!
//! * `clone`: the exit signal in the low byte, `CLONE_CHILD_SETTID`/
//!   `CLONE_CHILD_CLEARTID`/`CLONE_PARENT_SETTID`/`CLONE_SETTLS`, a new
//!   stack, and `CLONE_VM|CLONE_VFORK` as vfork (a copy-on-write child and
//!   a parent that waits until it execs or exits: what a vfork child may
//!   legally do cannot tell the difference). `CLONE_THREAD` (with
//!   `CLONE_SIGHAND|CLONE_VM|CLONE_FS|CLONE_FILES`, what `pthread_create`
//!   passes) makes a thread (`user::thread`); Linux's `EINVAL` for
//!   `CLONE_THREAD` without `CLONE_SIGHAND` and `CLONE_SIGHAND` without
//!   `CLONE_VM`. Not supported (`EINVAL`, logged): a thread with its own
//!   descriptor table or filesystem context, and a process sharing memory
//!   or signal actions without being a thread.
//! * `exit` ends the calling thread, `exit_group` every thread; `gettid`
//!   is the thread's id, `getpid` the group's.
//! * `futex`: WAIT, WAKE, their BITSET forms (WAIT_BITSET's timeout is
//!   absolute, on CLOCK_MONOTONIC or with `FUTEX_CLOCK_REALTIME` the wall
//!   clock), REQUEUE and CMP_REQUEUE; `FUTEX_PRIVATE_FLAG` is accepted
//!   (every key is per address space anyway, `user::futex`).
//! * `wait4`/`waitid`: Linux's selection (pid, any, own group, a group),
//!   options and status encoding; `rusage` is written zeroed (no CPU-time
//!   accounting yet: an honest zero, as for a process that used none).
//! * `reboot`: the magic numbers are checked (`EINVAL`); POWER_OFF and
//!   HALT power off through ACPI, RESTART resets; CAD_ON/OFF are accepted.

#![forbid(unsafe_code)]

use super::{ArgRegs, Args};
use crate::error::{Errno, SysResult};
use crate::user::process::{self, Exit, JobChange, Select, WaitReq, Waited};
use crate::user::uaccess::{self, UserSlice};
use crate::user::thread::{self, ThreadOpts};
use crate::user::{self, futex, ForkOpts};
use mello_abi::linux::process::{clone::*, futex::*, reboot, wait::*};
use mello_abi::linux::sigframe::{SigFields, Siginfo};
use mello_abi::linux::signal::{CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCHLD, SIGCONT};
use mello_abi::linux::Timespec;

fn me() -> Result<alloc::sync::Arc<user::Process>, Errno> {
    user::current_process().ok_or(Errno::EINVAL)
}

/// clone(flags, newsp, parent_tid, child_tid, tls).
pub fn linux_clone(a: &Args) -> SysResult {
    let (flags, newsp, ptid, ctid, tls) = (a.get(0), a.get(1), a.get(2), a.get(3), a.get(4));
    // Linux's copy_process: a thread shares the signal actions, and shared
    // actions need shared memory; one namespace cannot share a filesystem context.
    if (flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0)
        || (flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0)
        || flags & (CLONE_NEWNS | CLONE_FS) == CLONE_NEWNS | CLONE_FS
    {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_SETTLS != 0 && tls >= mello_abi::limits::USER_END as u64 {
        return Err(Errno::EPERM);
    }
    if flags & CLONE_THREAD != 0 {
        if flags & (CLONE_FS | CLONE_FILES) != CLONE_FS | CLONE_FILES || flags & CLONE_VFORK != 0 {
            crate::sys::linux::log_unsupported("clone of a thread without CLONE_FS|CLONE_FILES, or with CLONE_VFORK");
            return Err(Errno::EINVAL);
        }
        let opts = ThreadOpts {
            entry: None,
            stack: (newsp != 0).then_some(newsp),
            tls: (flags & CLONE_SETTLS != 0).then_some(tls),
            parent_tid: (flags & CLONE_PARENT_SETTID != 0).then_some(ptid),
            child_settid: (flags & CLONE_CHILD_SETTID != 0).then_some(ctid),
            child_cleartid: (flags & CLONE_CHILD_CLEARTID != 0).then_some(ctid),
        };
        return thread::spawn(&opts);
    }
    if flags & CLONE_SIGHAND != 0 || (flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0) {
        crate::sys::linux::log_unsupported("clone sharing memory or signal actions without CLONE_THREAD");
        return Err(Errno::EINVAL);
    }
    let opts = ForkOpts {
        stack: (newsp != 0).then_some(newsp),
        tls: (flags & CLONE_SETTLS != 0).then_some(tls),
        exit_signal: (flags & CSIGNAL) as u32,
        child_settid: (flags & CLONE_CHILD_SETTID != 0).then_some(ctid),
        child_cleartid: (flags & CLONE_CHILD_CLEARTID != 0).then_some(ctid),
        vfork: flags & CLONE_VFORK != 0,
    };
    if flags & CLONE_PARENT_SETTID != 0 && opts.vfork {
        // Written before the parent sleeps (the child may exec at once).
        let pid = fork_then(&ForkOpts { vfork: false, ..opts }, Some(ptid))?;
        if let (Some(me), Some(child)) = (user::current_process(), process::get(pid)) {
            user::wait_vfork(&me, &child);
        }
        return Ok(pid);
    }
    fork_then(&opts, (flags & CLONE_PARENT_SETTID != 0).then_some(ptid))
}

/// Fork, then store the child's pid at `ptid` in the parent (errors ignored).
fn fork_then(opts: &ForkOpts, ptid: Option<u64>) -> SysResult {
    let pid = user::fork_with(opts)?;
    if let Some(p) = ptid {
        let _ = uaccess::write_i32(p as usize, pid as i32);
    }
    Ok(pid)
}

/// fork().
pub fn linux_fork(_: &Args) -> SysResult {
    user::fork_with(&ForkOpts::default())
}

/// vfork().
pub fn linux_vfork(_: &Args) -> SysResult {
    user::fork_with(&ForkOpts { vfork: true, ..ForkOpts::default() })
}

/// wait4(pid, wstatus, options, rusage).
pub fn linux_wait4(a: &Args) -> SysResult {
    let (pid, status_ptr, options, rusage) = (a.get(0) as i32, a.a1(), a.get(2) as u32, a.get(3) as usize);
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    let proc = me()?;
    let select = match pid {
        -1 => Select::Any,
        0 => Select::Group(proc.pgid()),
        p if p > 0 => Select::Pid(p as usize),
        i32::MIN => return Err(Errno::ESRCH),
        p => Select::Group((-p) as usize),
    };
    let req = WaitReq {
        select,
        exited: true,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
        nohang: options & WNOHANG != 0,
        nowait: false,
    };
    let (child, status) = match process::wait_child(&proc, &req)? {
        Waited::Nothing => return Ok(0),
        Waited::Exited(c, exit) => (c, exit.linux_status()),
        Waited::Job(c, JobChange::Stopped(sig)) => (c, stopped(sig)),
        Waited::Job(c, JobChange::Continued) => (c, CONTINUED),
    };
    if status_ptr != 0 {
        uaccess::write_i32(status_ptr, status)?;
    }
    if rusage != 0 {
        UserSlice::new(rusage, RUSAGE_SIZE)?.write_from(&[0u8; RUSAGE_SIZE])?;
    }
    Ok(child)
}

/// waitid(idtype, id, infop, options, rusage).
pub fn linux_waitid(a: &Args) -> SysResult {
    let (idtype, id, infop, options, rusage) = (a.get(0) as u32, a.get(1) as i32, a.a2(), a.get(3) as u32, a.get(4) as usize);
    if options & !(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    if options & (WEXITED | WSTOPPED | WCONTINUED) == 0 {
        return Err(Errno::EINVAL);
    }
    let proc = me()?;
    let select = match idtype {
        P_ALL => Select::Any,
        P_PID if id > 0 => Select::Pid(id as usize),
        P_PGID if id > 0 => Select::Group(id as usize),
        P_PGID if id == 0 => Select::Group(proc.pgid()),
        P_PID | P_PGID => return Err(Errno::EINVAL),
        _ => return Err(Errno::EINVAL),
    };
    let req = WaitReq {
        select,
        exited: options & WEXITED != 0,
        stopped: options & WSTOPPED != 0,
        continued: options & WCONTINUED != 0,
        nohang: options & WNOHANG != 0,
        nowait: options & WNOWAIT != 0,
    };
    let found = process::wait_child(&proc, &req)?;
    let info = match found {
        Waited::Nothing => Siginfo::default(),
        Waited::Exited(c, exit) => {
            let (code, status) = match exit {
                Exit::Code(v) => (CLD_EXITED, v as i32),
                Exit::Signal { sig, core } => (if core { CLD_DUMPED } else { CLD_KILLED }, sig as i32),
            };
            Siginfo { signo: SIGCHLD as i32, errno: 0, code, fields: SigFields::Child { pid: c as i32, uid: 0, status } }
        }
        Waited::Job(c, change) => {
            let (code, status) = match change {
                JobChange::Stopped(sig) => (CLD_STOPPED, sig as i32),
                JobChange::Continued => (CLD_CONTINUED, SIGCONT as i32),
            };
            Siginfo { signo: SIGCHLD as i32, errno: 0, code, fields: SigFields::Child { pid: c as i32, uid: 0, status } }
        }
    };
    if infop != 0 {
        UserSlice::new(infop, Siginfo::SIZE)?.write_from(&info.to_bytes())?;
    }
    if rusage != 0 {
        UserSlice::new(rusage, RUSAGE_SIZE)?.write_from(&[0u8; RUSAGE_SIZE])?;
    }
    Ok(0)
}

/// exit(code): the calling thread ends (the process with its last thread).
pub fn linux_exit(a: &Args) -> SysResult {
    thread::exit((a.a0() & 0xff) as u8)
}

/// exit_group(code): every thread of the process ends.
pub fn linux_exit_group(a: &Args) -> SysResult {
    user::exit_current((a.a0() & 0xff) as i32)
}

/// set_tid_address(ptr): cleared and futex-woken at exit; returns the tid.
pub fn linux_set_tid_address(a: &Args) -> SysResult {
    let proc = me()?;
    proc.signals.lock().me().clear_child_tid = a.get(0);
    user::current_tid().ok_or(Errno::EINVAL)
}

pub fn linux_getpid(_: &Args) -> SysResult {
    user::current_pid().ok_or(Errno::EINVAL)
}

/// gettid(): the calling thread's id.
pub fn linux_gettid(_: &Args) -> SysResult {
    user::current_tid().ok_or(Errno::EINVAL)
}

/// getppid(): the parent's pid (orphans: init's, 1), 0 for init and for
/// programs the kernel started itself.
pub fn linux_getppid(_: &Args) -> SysResult {
    let me = user::current_pid().ok_or(Errno::EINVAL)?;
    Ok(process::parent_of(me).unwrap_or(0))
}

/// setpgid(pid, pgid).
pub fn linux_setpgid(a: &Args) -> SysResult {
    let (pid, pgid) = (a.get(0) as i32, a.get(1) as i32);
    if pid < 0 || pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let me = me()?;
    process::set_pgid(&me, pid as usize, pgid as usize)?;
    Ok(0)
}

/// The process `pid` names (0: the caller).
fn target(pid: i32) -> Result<alloc::sync::Arc<user::Process>, Errno> {
    match pid {
        0 => me(),
        p if p > 0 => process::get(p as usize).ok_or(Errno::ESRCH),
        _ => Err(Errno::ESRCH),
    }
}

/// getpgid(pid).
pub fn linux_getpgid(a: &Args) -> SysResult {
    Ok(target(a.get(0) as i32)?.pgid())
}

/// getpgrp().
pub fn linux_getpgrp(_: &Args) -> SysResult {
    Ok(me()?.pgid())
}

/// setsid().
pub fn linux_setsid(_: &Args) -> SysResult {
    let me = me()?;
    process::set_sid(&me)
}

/// getsid(pid).
pub fn linux_getsid(a: &Args) -> SysResult {
    Ok(target(a.get(0) as i32)?.sid())
}

/// futex(uaddr, op, val, timeout, uaddr2, val3): see the module doc.
pub fn linux_futex(a: &Args) -> SysResult {
    let (addr, op, val, timeout, addr2, val3) = (a.get(0), a.get(1) as u32, a.get(2) as u32, a.get(3) as usize, a.get(4), a.get(5) as u32);
    let proc = me()?;
    let cmd = op & FUTEX_CMD_MASK;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    if realtime && cmd != FUTEX_WAIT_BITSET {
        return Err(Errno::ENOSYS);
    }
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if cmd == FUTEX_WAIT { FUTEX_BITSET_MATCH_ANY } else { val3 };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let deadline = if timeout != 0 {
                let mut b = [0u8; Timespec::SIZE];
                UserSlice::new(timeout, b.len())?.read_into(&mut b)?;
                let ns = Timespec::from_bytes(&b).to_nanos().ok_or(Errno::EINVAL)?;
                let now = if realtime { super::linux_time::realtime_ns() } else { super::linux_time::now_ns() };
                let rel = if cmd == FUTEX_WAIT { ns } else { ns.saturating_sub(now) };
                Some(futex::deadline_after_ns(rel))
            } else {
                None
            };
            futex::wait(&proc, addr, val, bitset, deadline)?;
            Ok(0)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if cmd == FUTEX_WAKE { FUTEX_BITSET_MATCH_ANY } else { val3 };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            if !addr.is_multiple_of(4) {
                return Err(Errno::EINVAL);
            }
            Ok(futex::wake_bitset(&proc, addr, val as usize, bitset))
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            // Both counts are ints (the second travels in `timeout`).
            let (nr_wake, nr_requeue) = (val as i32, timeout as u32 as i32);
            if nr_wake < 0 || nr_requeue < 0 {
                return Err(Errno::EINVAL);
            }
            let expected = (cmd == FUTEX_CMP_REQUEUE).then_some(val3);
            futex::requeue(&proc, addr, nr_wake as usize, addr2, nr_requeue as usize, expected)
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// reboot(magic1, magic2, cmd, arg).
pub fn linux_reboot(a: &Args) -> SysResult {
    let (m1, m2, cmd) = (a.get(0) as u32, a.get(1) as u32, a.get(2) as u32);
    if m1 != reboot::MAGIC1 || ![reboot::MAGIC2, reboot::MAGIC2A, reboot::MAGIC2B, reboot::MAGIC2C].contains(&m2) {
        return Err(Errno::EINVAL);
    }
    match cmd {
        reboot::CMD_POWER_OFF | reboot::CMD_HALT => {
            crate::klog!("KERNEL", "reboot: power down (pid {})", user::current_pid().unwrap_or(0));
            crate::arch::acpi::poweroff()
        }
        reboot::CMD_RESTART => {
            crate::klog!("KERNEL", "reboot: restarting system (pid {})", user::current_pid().unwrap_or(0));
            crate::arch::acpi::reset()
        }
        reboot::CMD_CAD_ON | reboot::CMD_CAD_OFF => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}
