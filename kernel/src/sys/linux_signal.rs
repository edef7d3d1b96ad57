//! The Linux signal calls: `rt_sigaction`, `rt_sigprocmask`,
//! `rt_sigpending`, `rt_sigsuspend`, `pause`, `rt_sigtimedwait`,
//! `sigaltstack`, `rt_sigreturn`, and the senders `kill`, `tkill`,
//! `tgkill`. The state they change is `user::signal`'s; delivery is
//! `user::sigdeliver`.
//!
//! Errors as Linux gives them: a signal number outside 1..=64 (0 where a
//! real signal is needed) is `EINVAL`, as is a `sigsetsize` other than 8;
//! the actions of SIGKILL and SIGSTOP cannot change and they are never
//! blocked; a bad pointer is `EFAULT`; a target that does not exist is
//! `ESRCH`. Every process runs as root, so permission is never refused.
//!
//! Waiting: `pause` and `rt_sigsuspend` sleep interruptibly until a
//! signal is delivered and return `EINTR` through the restart protocol
//! (`ERESTARTNOHAND`: if no handler ran they wait again);
//! `rt_sigtimedwait` takes a signal of its set without running a handler.

#![forbid(unsafe_code)]

use super::{ArgRegs, Args};
use crate::error::{Errno, SysResult};
use crate::sched::wait::{Wake, Waiter};
use crate::user::process::{self, Process};
use crate::user::signal::{self, Sender};
use crate::user::uaccess::UserSlice;
use alloc::sync::Arc;
use mello_abi::linux::sigframe::{Siginfo, StackT};
use mello_abi::linux::signal::*;
use mello_abi::linux::{KernelSigaction, Timespec};

fn me() -> Result<Arc<Process>, Errno> {
    crate::user::current_process().ok_or(Errno::EINVAL)
}

fn read_set(ptr: usize) -> Result<u64, Errno> {
    let mut b = [0u8; 8];
    UserSlice::new(ptr, 8)?.read_into(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn write_set(ptr: usize, set: u64) -> Result<(), Errno> {
    UserSlice::new(ptr, 8)?.write_from(&set.to_le_bytes())
}

/// rt_sigaction(sig, act, oldact, sigsetsize).
pub fn linux_rt_sigaction(a: &Args) -> SysResult {
    let (sig, act, old, size) = (a.a0(), a.a1(), a.a2(), a.get(3) as usize);
    if size != SIGSET_SIZE || sig == 0 || sig > NSIG as usize {
        return Err(Errno::EINVAL);
    }
    let sig = sig as u32;
    let new = if act != 0 {
        if bit(sig) & UNBLOCKABLE != 0 {
            return Err(Errno::EINVAL);
        }
        let mut b = [0u8; KernelSigaction::SIZE];
        UserSlice::new(act, b.len())?.read_into(&mut b)?;
        let mut new = KernelSigaction::from_bytes(&b);
        new.mask &= !UNBLOCKABLE;
        Some(new)
    } else {
        None
    };
    let proc = me()?;
    let previous = {
        let mut s = proc.signals.lock();
        let previous = s.action(sig);
        if let Some(new) = new {
            s.actions[sig as usize - 1] = new;
            // POSIX: setting SIG_IGN (or SIG_DFL of an ignore-by-default
            // signal) discards it if pending.
            let ignore = new.handler == SIG_IGN
                || (new.handler == SIG_DFL && matches!(signal::default_action(sig), signal::Default::Ignore));
            if ignore {
                s.discard(bit(sig));
            }
        }
        previous
    };
    if old != 0 {
        UserSlice::new(old, KernelSigaction::SIZE)?.write_from(&previous.to_bytes())?;
    }
    Ok(0)
}

/// rt_sigprocmask(how, set, oldset, sigsetsize).
pub fn linux_rt_sigprocmask(a: &Args) -> SysResult {
    let (how, set, old, size) = (a.a0(), a.a1(), a.a2(), a.get(3) as usize);
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new = if set != 0 { Some(read_set(set)? & !UNBLOCKABLE) } else { None };
    let proc = me()?;
    let previous = {
        let mut s = proc.signals.lock();
        let previous = s.me().blocked;
        if let Some(new) = new {
            s.me().blocked = match how as u32 {
                SIG_BLOCK => previous | new,
                SIG_UNBLOCK => previous & !new,
                SIG_SETMASK => new,
                _ => return Err(Errno::EINVAL),
            };
            signal::recalc(&s);
        }
        previous
    };
    if old != 0 {
        write_set(old, previous)?;
    }
    Ok(0)
}

/// rt_sigpending(set, sigsetsize): pending signals that are blocked.
pub fn linux_rt_sigpending(a: &Args) -> SysResult {
    if a.a1() > SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let proc = me()?;
    let set = {
        let s = proc.signals.lock();
        s.pending() & s.me_ref().blocked
    };
    UserSlice::new(a.a0(), a.a1())?.write_from(&set.to_le_bytes()[..a.a1()])?;
    Ok(0)
}

/// Sleep interruptibly until a signal is to be delivered.
fn wait_for_signal() -> Errno {
    loop {
        let waiter = Waiter::prepare(None);
        crate::sched::with_current(|t| t.set_state(crate::sched::task::TaskState::Blocked));
        if waiter.block() == Wake::Interrupted {
            return Errno::ERESTARTNOHAND;
        }
    }
}

/// pause().
pub fn linux_pause(_: &Args) -> SysResult {
    Err(wait_for_signal())
}

/// rt_sigsuspend(mask, sigsetsize): wait with `mask` blocked; the old mask
/// comes back after the handler (through the frame's `uc_sigmask`).
pub fn linux_rt_sigsuspend(a: &Args) -> SysResult {
    if a.a1() != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let mask = read_set(a.a0())? & !UNBLOCKABLE;
    let proc = me()?;
    {
        let mut s = proc.signals.lock();
        let me = s.me();
        me.saved_mask = Some(me.blocked);
        me.blocked = mask;
        signal::recalc(&s);
    }
    Err(wait_for_signal())
}

/// rt_sigtimedwait(set, info, timeout, sigsetsize): take a pending signal
/// of `set` (without running its handler); `EAGAIN` when the timeout
/// passes, `EINTR` when another signal is delivered first.
pub fn linux_rt_sigtimedwait(a: &Args) -> SysResult {
    if a.get(3) as usize != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let set = read_set(a.a0())? & !UNBLOCKABLE;
    let deadline = if a.a2() != 0 {
        let mut b = [0u8; Timespec::SIZE];
        UserSlice::new(a.a2(), b.len())?.read_into(&mut b)?;
        let ns = Timespec::from_bytes(&b).to_nanos().ok_or(Errno::EINVAL)?;
        let tick_ns = 1_000_000_000 / crate::config::SCHED_HZ;
        Some(crate::sched::sleep::now() + ns.div_ceil(tick_ns) + u64::from(ns > 0))
    } else {
        None
    };
    let proc = me()?;
    let waiter = Waiter::prepare(deadline);
    loop {
        {
            let mut s = proc.signals.lock();
            let ready = s.pending() & set;
            if ready != 0 {
                let sig = ready.trailing_zeros() + 1;
                let info = s.take(sig);
                s.me().waiting_for = 0;
                signal::recalc(&s);
                drop(s);
                if a.a1() != 0 {
                    UserSlice::new(a.a1(), Siginfo::SIZE)?.write_from(&info.to_bytes())?;
                }
                return Ok(sig as usize);
            }
            if deadline.is_some_and(|at| crate::sched::sleep::now() >= at) {
                s.me().waiting_for = 0;
                return Err(Errno::EAGAIN);
            }
            s.me().waiting_for = set;
            crate::sched::with_current(|t| t.set_state(crate::sched::task::TaskState::Blocked));
        }
        let woke = waiter.block();
        let mut s = proc.signals.lock();
        if woke == Wake::Interrupted && s.deliverable() & !set != 0 {
            s.me().waiting_for = 0;
            return Err(Errno::ERESTARTNOHAND);
        }
    }
}

/// sigaltstack(ss, old_ss).
pub fn linux_sigaltstack(a: &Args) -> SysResult {
    let (ss, old) = (a.a0(), a.a1());
    let proc = me()?;
    let rsp = crate::sched::with_user_frame(|f| f.rsp);
    let new = if ss != 0 {
        let mut b = [0u8; StackT::SIZE];
        UserSlice::new(ss, b.len())?.read_into(&mut b)?;
        Some(StackT::from_bytes(&b))
    } else {
        None
    };
    let current = proc.signals.lock().me_ref().altstack;
    let on = crate::user::sigframe_on_stack(&current, rsp);
    if old != 0 {
        let flags = if on { SS_ONSTACK } else { current.flags };
        let shown = StackT { flags, ..current };
        UserSlice::new(old, StackT::SIZE)?.write_from(&shown.to_bytes())?;
    }
    if let Some(n) = new {
        if on {
            return Err(Errno::EPERM);
        }
        let mode = n.flags & !SS_AUTODISARM;
        let set = match mode {
            SS_DISABLE => StackT { sp: 0, flags: SS_DISABLE, size: 0 },
            0 | SS_ONSTACK => {
                if n.size < MINSIGSTKSZ {
                    return Err(Errno::ENOMEM);
                }
                StackT { sp: n.sp, flags: n.flags & SS_AUTODISARM, size: n.size }
            }
            _ => return Err(Errno::EINVAL),
        };
        proc.signals.lock().me().altstack = set;
    }
    Ok(0)
}

/// rt_sigreturn().
pub fn linux_rt_sigreturn(_: &Args) -> SysResult {
    crate::user::rt_sigreturn()
}

/// A signal number for a sender: 0 (existence check) or 1..=64.
fn sender_sig(sig: usize) -> Result<u32, Errno> {
    if sig > NSIG as usize {
        return Err(Errno::EINVAL);
    }
    Ok(sig as u32)
}

/// Send `sig` (0: check only) to one process.
fn send_to(p: &Process, sig: u32, info: Siginfo) {
    if sig != 0 {
        signal::send(p, info, Sender::User);
    }
}

/// kill(pid, sig): pid > 0 one process, 0 the caller's group, -1 every
/// process but init and the caller, < -1 the group -pid.
pub fn linux_kill(a: &Args) -> SysResult {
    let pid = a.get(0) as i32;
    let sig = sender_sig(a.a1())?;
    let proc = me()?;
    let info = signal::user_info(sig, SI_USER, proc.pid);
    match pid {
        p if p > 0 => {
            // A thread's id names its whole group.
            let target = process::thread_group_of(p as usize).ok_or(Errno::ESRCH)?;
            if target.exited.load(core::sync::atomic::Ordering::Acquire) {
                return Ok(0); // Linux: a zombie still exists; the signal is lost
            }
            send_to(&target, sig, info);
        }
        -1 => {
            let all = process::select(|p| p.pid != crate::user::INIT_PID && p.pid != proc.pid);
            if all.is_empty() {
                return Err(Errno::ESRCH);
            }
            for p in &all {
                send_to(p, sig, info);
            }
        }
        i32::MIN => return Err(Errno::ESRCH),
        _ => {
            let pgid = if pid == 0 { proc.pgid() } else { (-pid) as usize };
            let members = process::select(|p| p.pgid() == pgid);
            if members.is_empty() {
                return Err(Errno::ESRCH);
            }
            for p in &members {
                send_to(p, sig, info);
            }
        }
    }
    Ok(0)
}

/// tgkill(tgid, tid, sig): thread `tid` of thread group `tgid`.
pub fn linux_tgkill(a: &Args) -> SysResult {
    let (tgid, tid) = (a.get(0) as i32, a.get(1) as i32);
    let sig = sender_sig(a.a2())?;
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    tkill(Some(tgid as usize), tid as usize, sig)
}

/// tkill(tid, sig).
pub fn linux_tkill(a: &Args) -> SysResult {
    let tid = a.get(0) as i32;
    let sig = sender_sig(a.a1())?;
    if tid <= 0 {
        return Err(Errno::EINVAL);
    }
    tkill(None, tid as usize, sig)
}

fn tkill(tgid: Option<usize>, tid: usize, sig: u32) -> SysResult {
    let proc = me()?;
    let target = process::thread_group_of(tid).ok_or(Errno::ESRCH)?;
    if tgid.is_some_and(|g| g != target.pid) || !signal::has_thread(&target, tid) {
        return Err(Errno::ESRCH); // a dead thread is gone
    }
    if sig != 0 {
        signal::send_thread(&target, tid, signal::user_info(sig, SI_TKILL, proc.pid), Sender::User);
    }
    Ok(0)
}
