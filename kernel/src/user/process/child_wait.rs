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
//! Locking: `TABLE` (level `ProcessTable`) is taken first and held while a
//! child's state is read or changed (each child's `Process::inner`, level
//! `Process`, under it), so a child's exit and its parent's wait never race:
//! the waiter queues itself before it releases `TABLE`. A reaped process is
//! dropped only after `TABLE` is released.

use super::{Exit, JobChange, Pid, ProcState, Process, INIT_PID, TABLE};
use crate::error::Errno;
use crate::sched::wait::{Wake, Waiter};
use crate::user::signal::{self, Sender};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering::Relaxed;
use mello_abi::linux::sigframe::{SigFields, Siginfo};
use mello_abi::linux::signal::{CLD_CONTINUED, CLD_STOPPED, SIGCHLD};

/// Mark `proc` a zombie that ended as `exit`, hand its children to init,
/// and tell its parent (SIGCHLD, its waiters); a parent that ignores
/// SIGCHLD gets the child reaped at once. The caller then stops the task.
pub fn make_zombie(proc: &Process, exit: Exit) {
    let mut table = TABLE.lock();
    let orphans: Vec<Pid> = table.parent.iter().filter(|(_, &p)| p == proc.pid).map(|(&c, _)| c).collect();
    let mut orphan_zombie = false;
    for child in orphans {
        table.parent.insert(child, INIT_PID);
        if let Some(c) = table.procs.get(&child) {
            orphan_zombie |= matches!(c.inner.lock().state, ProcState::Zombie(_));
        }
    }
    {
        let mut inner = proc.inner.lock();
        inner.state = ProcState::Zombie(exit);
        proc.exited.store(true, Relaxed);
        inner.vfork_done = true;
        inner.vfork_waiters.wake_all();
    }
    let parent_pid = table.parent.get(&proc.pid).copied();
    let parent = parent_pid.and_then(|p| table.procs.get(&p).cloned());
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
    let mut reaped = None;
    if let Some(parent) = &parent {
        if signal::autoreaps(parent) {
            table.parent.remove(&proc.pid);
            reaped = table.procs.remove(&proc.pid);
        }
        parent.inner.lock().child_waiters.wake_all();
    }
    if orphan_zombie {
        if let Some(init) = table.procs.get(&INIT_PID) {
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
    let table = TABLE.lock();
    proc.inner.lock().job_report = Some(change);
    let parent = table.parent.get(&proc.pid).and_then(|p| table.procs.get(p).cloned());
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
    loop {
        let waiter = Waiter::prepare(None);
        let mut table = TABLE.lock();
        let children: Vec<Pid> = table
            .parent
            .iter()
            .filter(|(&c, &p)| {
                p == me.pid
                    && match req.select {
                        Select::Any => true,
                        Select::Pid(pid) => c == pid,
                        Select::Group(g) => table.procs.get(&c).is_some_and(|c| c.pgid() == g),
                    }
            })
            .map(|(&c, _)| c)
            .collect();
        if children.is_empty() {
            return Err(Errno::ECHILD);
        }
        let mut found = None;
        for c in &children {
            let mut inner = table.procs[c].inner.lock();
            match (inner.state, inner.job_report) {
                (ProcState::Zombie(exit), _) if req.exited => {
                    found = Some(Waited::Exited(*c, exit));
                }
                (ProcState::Running, Some(JobChange::Stopped(sig))) if req.stopped => {
                    if !req.nowait {
                        inner.job_report = None;
                    }
                    found = Some(Waited::Job(*c, JobChange::Stopped(sig)));
                }
                (ProcState::Running, Some(JobChange::Continued)) if req.continued => {
                    if !req.nowait {
                        inner.job_report = None;
                    }
                    found = Some(Waited::Job(*c, JobChange::Continued));
                }
                _ => {}
            }
            if found.is_some() {
                break;
            }
        }
        if let Some(w) = found {
            let mut reaped = None;
            if let (Waited::Exited(child, _), false) = (w, req.nowait) {
                table.parent.remove(&child);
                reaped = table.procs.remove(&child);
            }
            drop(table);
            drop(reaped); // frees the process once its task is gone too
            return Ok(w);
        }
        if req.nohang {
            return Ok(Waited::Nothing);
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
/// table; returns its native status, or `None` if it is not (yet) a zombie.
pub fn reap_parentless(pid: Pid) -> Option<i32> {
    let mut table = TABLE.lock();
    let proc = table.procs.get(&pid)?;
    let ProcState::Zombie(exit) = proc.inner.lock().state else { return None };
    if table.parent.contains_key(&pid) {
        return None; // somebody's child: theirs to reap
    }
    let reaped = table.procs.remove(&pid);
    drop(table);
    drop(reaped);
    Some(exit.native_status())
}
