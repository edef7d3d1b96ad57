//! Linux signal state: `rt_sigaction` and `rt_sigprocmask`, and the rest of
//! a process's Linux-only state ([`LinuxState`]: the actions, the blocked
//! mask, `set_tid_address`'s pointer).
//!
//! Signals are *recorded* here exactly as Linux records them (the actions
//! of signals 1..=64, SIGKILL and SIGSTOP unchangeable and never blocked,
//! the old values returned), but not yet *delivered*: no signal is raised
//! to a handler and nothing consults the mask yet (a fault still kills the
//! process with `128 + signal`, as for native programs). Delivery (the
//! signal frame, `rt_sigreturn`, `kill`) is the next step of the Linux
//! personality.
//!
//! Exec resets handled signals to `SIG_DFL` and keeps ignored ones and the
//! mask ([`LinuxState::reset_on_exec`]), as `execve(2)` says; fork copies
//! everything ([`LinuxState::copy_from`]).
//!
//! Locking: one `SpinLock` (level `Process`) per process around the state,
//! never held across a user copy.

#![forbid(unsafe_code)]

use super::{ArgRegs, Args};
use crate::error::{Errno, SysResult};
use crate::sync::{LockLevel, SpinLock};
use crate::user::uaccess::UserSlice;
use mello_abi::linux::signal::{self, NSIG, SIGSET_SIZE, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, UNBLOCKABLE};
use mello_abi::linux::KernelSigaction;

#[derive(Clone, Copy)]
struct Inner {
    actions: [KernelSigaction; NSIG as usize],
    blocked: u64,
    clear_child_tid: u64,
}

const DEFAULT: Inner = Inner {
    actions: [KernelSigaction { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0 }; NSIG as usize],
    blocked: 0,
    clear_child_tid: 0,
};

/// The Linux-only state of a process (see the module doc).
pub struct LinuxState {
    inner: SpinLock<Inner>,
}

impl Default for LinuxState {
    fn default() -> Self {
        Self::new()
    }
}

impl LinuxState {
    pub const fn new() -> Self {
        LinuxState { inner: SpinLock::new(LockLevel::Process, "linux-state", DEFAULT) }
    }

    /// Take `parent`'s state (fork, before the child runs).
    pub fn copy_from(&self, parent: &LinuxState) {
        let copy = *parent.inner.lock();
        *self.inner.lock() = copy;
    }

    /// What survives exec: ignored actions and the mask.
    pub fn reset_on_exec(&self) {
        let mut s = self.inner.lock();
        for a in s.actions.iter_mut() {
            if a.handler != SIG_IGN {
                *a = KernelSigaction { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0 };
            }
        }
        s.clear_child_tid = 0;
    }

    /// `set_tid_address`'s pointer (cleared and woken at thread exit once
    /// there are threads; with one thread per process nothing can wait on it).
    pub fn set_clear_child_tid(&self, ptr: u64) {
        self.inner.lock().clear_child_tid = ptr;
    }
}

fn state() -> Result<alloc::sync::Arc<crate::user::Process>, Errno> {
    crate::user::current_process().ok_or(Errno::EINVAL)
}

/// rt_sigaction(sig, act, oldact, sigsetsize).
pub fn linux_rt_sigaction(a: &Args) -> SysResult {
    let (sig, act, old, size) = (a.a0(), a.a1(), a.a2(), a.get(3) as usize);
    if size != SIGSET_SIZE || sig == 0 || sig > NSIG as usize {
        return Err(Errno::EINVAL);
    }
    let sig = sig as u32;
    let new = if act != 0 {
        if signal::bit(sig) & UNBLOCKABLE != 0 {
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
    let proc = state()?;
    let previous = {
        let mut s = proc.linux.inner.lock();
        let slot = &mut s.actions[sig as usize - 1];
        let previous = *slot;
        if let Some(new) = new {
            *slot = new;
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
    let new = if set != 0 {
        let mut b = [0u8; 8];
        UserSlice::new(set, 8)?.read_into(&mut b)?;
        Some(u64::from_le_bytes(b) & !UNBLOCKABLE)
    } else {
        None
    };
    let proc = state()?;
    let previous = {
        let mut s = proc.linux.inner.lock();
        let previous = s.blocked;
        if let Some(new) = new {
            s.blocked = match how as u32 {
                SIG_BLOCK => previous | new,
                SIG_UNBLOCK => previous & !new,
                SIG_SETMASK => new,
                _ => return Err(Errno::EINVAL),
            };
        }
        previous
    };
    if old != 0 {
        UserSlice::new(old, 8)?.write_from(&previous.to_le_bytes())?;
    }
    Ok(0)
}
