//! A process's end as its parent sees it: the zombie and the job-control
//! reports a child leaves, and `wait`, which finds and reaps them.
//!
//! * [`make_zombie`] marks an exiting process a zombie holding its
//!   [`Exit`], hands its children to init, sends the parent its exit signal
//!   (SIGCHLD) and wakes the parent's `child_waiters`; a parent that ignores
//!   SIGCHLD (or set `SA_NOCLDWAIT`) has the child reaped at once.
//! * [`report_job_change`] leaves a stop or continue report for the
//!   parent's `wait` (`WUNTRACED`/`WCONTINUED`).
//! * [`wait_child`] matches the caller's children against a [`WaitReq`]
//!   and reaps a zombie it reports (unless `WNOWAIT`); it blocks
//!   interruptibly on the caller's `child_waiters` otherwise.
//!
//! The decisions (who inherits orphans, whether init must be woken, which
//! child a wait reports, what it consumes, the auto-reap) are
//! `proctable`'s; this file takes the locks, signals, wakes and blocks.
//!
//! Locking: `TABLE` (level `ProcessTable`) is taken first and held while a
//! child's state is read or changed (the state lives in the table; the
//! wait queues in `Process::inner`, level `Process`, under it), so a
//! child's exit and its parent's wait never race:
//! the waiter queues itself before it releases `TABLE`. A reaped process is
//! dropped only after `TABLE` is released.

use super::{Exit, JobChange, Pid, Process, INIT_PID, TABLE};
use crate::error::Errno;
use crate::sched::wait::{Wake, Waiter};
use crate::user::signal::{self, Sender};
use alloc::sync::Arc;
use core::sync::atomic::Ordering::Release;
use mello_abi::linux::sigframe::{SigFields, Siginfo};
use mello_abi::linux::signal::{CLD_CONTINUED, CLD_STOPPED, SIGCHLD};
use proctable::{Found, WaitError, WaitFor, WaitOpts};

/// Mark `proc` a zombie that ended as `exit`, hand its children to init,
/// and tell its parent (SIGCHLD, its waiters); a parent that ignores
/// SIGCHLD gets the child reaped at once. The caller then stops the task.
pub fn make_zombie(proc: &Process, exit: Exit) {
    let mut table = TABLE.lock();
    let parent = table.parent(proc.pid).and_then(|p| table.get(p).cloned());
    // Read before the exit signal is sent, not after as before the table
    // was a crate: sending SIGCHLD changes no disposition, and both happen
    // under `TABLE`, so nobody can tell.
    let autoreap = parent.as_ref().is_some_and(|p| signal::autoreaps(p));
    let (wake_init, reaped) = match table.exit_with(proc.pid, exit, autoreap) {
        Ok((notice, reaped)) => (notice.wake_init, reaped),
        Err(_) => (false, None), // not in the table (never happens)
    };
    {
        let mut inner = proc.inner.lock();
        proc.exited.store(true, Release);
        inner.vfork_done = true;
        inner.vfork_waiters.wake_all();
    }
    // The exit signal is pending before the parent can see the zombie (as
    // Linux's exit_notify, under tasklist_lock): a parent whose wait4 reaps
    // the child has its SIGCHLD delivered on that call's way out, never in
    // the middle of a later call (which it would cut short with EINTR).
    // SIGCONT (a clone exit signal could be any) reports a job change,
    // which takes the table: that one goes after it is released.
    let exit_signal = proc.signals.lock().exit_signal;
    let chld_info = || {
        let (code, status) = exit.chld();
        Siginfo { signo: exit_signal as i32, errno: 0, code, fields: SigFields::Child { pid: proc.pid as i32, uid: 0, status } }
    };
    let signal_late = exit_signal == mello_abi::linux::signal::SIGCONT;
    if let (Some(parent), true, false) = (&parent, exit_signal != 0, signal_late) {
        signal::send(parent, chld_info(), Sender::Kernel);
    }
    if let Some(parent) = &parent {
        parent.inner.lock().child_waiters.wake_all();
    }
    if wake_init {
        if let Some(init) = table.get(INIT_PID) {
            init.inner.lock().child_waiters.wake_all();
        }
    }
    drop(table);
    if let (Some(parent), true) = (&parent, signal_late) {
        signal::send(parent, chld_info(), Sender::Kernel);
    }
    drop(reaped);
}

/// Record that `proc` stopped or continued: its parent's `wait` may report
/// it, and the parent gets SIGCHLD unless it set `SA_NOCLDSTOP`.
pub fn report_job_change(proc: &Process, change: JobChange) {
    let mut table = TABLE.lock();
    let parent = table.report_job(proc.pid, change).and_then(|p| table.get(p).cloned());
    if let Some(p) = &parent {
        p.inner.lock().child_waiters.wake_all();
    }
    drop(table);
    if let Some(parent) = parent {
        if !signal::nocldstop(&parent) {
            let (code, status) = match change {
                JobChange::Stopped(sig) => (CLD_STOPPED, sig as i32),
                JobChange::Continued => (CLD_CONTINUED, mello_abi::linux::signal::SIGCONT as i32),
            };
            let info = Siginfo { signo: SIGCHLD as i32, errno: 0, code, fields: SigFields::Child { pid: proc.pid as i32, uid: 0, status } };
            signal::send(&parent, info, Sender::Kernel);
        }
    }
}

/// Which children a `wait` is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Select {
    Any,
    Pid(Pid),
    Group(Pid),
}

/// A `wait` request (`wait4`/`waitid` options).
#[derive(Clone, Copy, Debug)]
pub struct WaitReq {
    pub select: Select,
    pub exited: bool,
    pub stopped: bool,
    pub continued: bool,
    pub nohang: bool,
    /// Leave the child waitable (`WNOWAIT`).
    pub nowait: bool,
}

impl WaitReq {
    /// The native `wait(pid)`: exits only, blocking.
    pub fn native(pid: isize) -> WaitReq {
        let select = if pid == mello_abi::WAIT_ANY { Select::Any } else { Select::Pid(pid as Pid) };
        WaitReq { select, exited: true, stopped: false, continued: false, nohang: false, nowait: false }
    }
}

/// What a `wait` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waited {
    Exited(Pid, Exit),
    Job(Pid, JobChange),
    /// `WNOHANG` and no child is ready.
    Nothing,
}

/// Wait for a child of `me` matching `req`; reap it (unless `nowait`).
/// `ECHILD` if there is no matching child; `ERESTARTSYS` if a signal
/// interrupted the wait.
pub fn wait_child(me: &Arc<Process>, req: &WaitReq) -> Result<Waited, Errno> {
    let which = match req.select {
        Select::Any => WaitFor::Any,
        Select::Pid(pid) => WaitFor::Pid(pid),
        Select::Group(g) => WaitFor::Group(g),
    };
    let opts = WaitOpts { exited: req.exited, stopped: req.stopped, continued: req.continued, nowait: req.nowait };
    loop {
        let waiter = Waiter::prepare(None);
        let mut table = TABLE.lock();
        match table.wait_for(me.pid, which, opts, |c| c.pgid()) {
            Ok(Found::Exited { pid, status, payload }) => {
                drop(table);
                drop(payload); // frees the process once its task is gone too
                return Ok(Waited::Exited(pid, status));
            }
            Ok(Found::Job { pid, change }) => return Ok(Waited::Job(pid, change)),
            Err(WaitError::NoChild) => return Err(Errno::ECHILD),
            Err(WaitError::WouldBlock) if req.nohang => return Ok(Waited::Nothing),
            Err(WaitError::WouldBlock) => {}
        }
        me.inner.lock().child_waiters.enqueue_current();
        drop(table);
        let woke = waiter.block();
        me.inner.lock().child_waiters.remove(&crate::sched::current());
        if woke == Wake::Interrupted {
            return Err(Errno::ERESTARTSYS);
        }
    }
}

/// Remove a parentless zombie (started by the kernel itself) from the
/// table; returns its native status, or `None` if it is not (yet) a zombie
/// or is somebody's child (theirs to reap).
pub fn reap_parentless(pid: Pid) -> Option<i32> {
    let reaped = TABLE.lock().reap_parentless(pid)?;
    let status = reaped.status.native_status();
    drop(reaped); // with the table released
    Some(status)
}
