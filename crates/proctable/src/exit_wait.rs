//! A process's end as its parent sees it: `exit` (the zombie, orphans
//! handed to init, the optional reap at once), job-control reports, and
//! `wait`, which finds a child's exit or report and reaps it.
//!
//! Matching (`wait4`/`waitid`): the children of the caller that
//! [`WaitFor`] selects (any, one pid, one process group as the caller's
//! `group_of` tells it) are looked at in pid order, and the first with
//! something the [`WaitOpts`] ask for is reported: a zombie (`exited`), or
//! a running child's stop (`stopped`) or continue (`continued`) report. A
//! zombie's status is reported, never its leftover job report. Unless
//! `nowait` (`WNOWAIT`), a reported zombie is removed and a report
//! consumed. No matching child: [`WaitError::NoChild`]; children but
//! nothing to report: [`WaitError::WouldBlock`].
//!
//! Locking: none here; the owner's lock (the kernel's `TABLE`) protects
//! the whole table, so an exit and a parent's wait never interleave.

use super::{Entry, ExitError, ExitNotice, JobChange, Pid, ProcTable, Reaped, State, WaitError, WaitFor, INIT_PID};
use alloc::vec::Vec;

/// What a `wait` is to report besides a match (`wait4`/`waitid` options).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitOpts {
    /// Zombies (`WEXITED`; always for `wait4`).
    pub exited: bool,
    /// Stop reports (`WUNTRACED`/`WSTOPPED`).
    pub stopped: bool,
    /// Continue reports (`WCONTINUED`).
    pub continued: bool,
    /// Leave what is reported in place (`WNOWAIT`).
    pub nowait: bool,
}

impl WaitOpts {
    /// Exits only, reaping: the plain `wait`.
    pub const EXITED: WaitOpts = WaitOpts { exited: true, stopped: false, continued: false, nowait: false };
}

/// What [`ProcTable::wait_for`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Found<T, S = i32> {
    /// A zombie child; `payload` is the removed entry's (`None` under
    /// `nowait`: the zombie stays).
    Exited { pid: Pid, status: S, payload: Option<T> },
    /// A running child's stop or continue report.
    Job { pid: Pid, change: JobChange },
}

impl<T, S: Copy> ProcTable<T, S> {
    /// `pid` exited with `status`: it becomes a zombie and its children
    /// go to init (or become parentless if it is init or there is none).
    pub fn exit(&mut self, pid: Pid, status: S) -> Result<ExitNotice, ExitError> {
        self.exit_with(pid, status, false).map(|(notice, _)| notice)
    }

    /// [`ProcTable::exit`]; then, if `autoreap` (the parent ignores SIGCHLD
    /// or set `SA_NOCLDWAIT`) and it has a parent, the zombie is removed at
    /// once and returned: nobody ever sees it. A parentless zombie stays
    /// for [`ProcTable::reap_parentless`].
    pub fn exit_with(&mut self, pid: Pid, status: S, autoreap: bool) -> Result<(ExitNotice, Option<Reaped<T, S>>), ExitError> {
        let entry = self.procs.get_mut(&pid).ok_or(ExitError::NoSuchProcess)?;
        if let State::Zombie(_) = entry.state {
            return Err(ExitError::AlreadyZombie);
        }
        entry.state = State::Zombie(status);
        let parent = entry.parent;
        let heir = (pid != INIT_PID && matches!(self.state(INIT_PID), Some(State::Running))).then_some(INIT_PID);
        let orphans: Vec<Pid> = self.children(pid).collect();
        let mut wake_init = false;
        for child in &orphans {
            let e = self.procs.get_mut(child).expect("a child is in the table");
            e.parent = heir;
            wake_init |= heir.is_some() && matches!(e.state, State::Zombie(_));
        }
        let notice = ExitNotice { parent, wake_init, orphans: orphans.len() };
        let reaped = if autoreap && parent.is_some() { self.remove(pid) } else { None };
        Ok((notice, reaped))
    }

    fn remove(&mut self, pid: Pid) -> Option<Reaped<T, S>> {
        let Entry { state: State::Zombie(status), payload, .. } = self.procs.remove(&pid)? else {
            unreachable!("only zombies are removed")
        };
        Some(Reaped { pid, status, payload })
    }

    /// Record that `pid` stopped or continued (replacing an unconsumed
    /// report); returns its parent, to wake and signal. Nothing for a pid
    /// not in the table.
    pub fn report_job(&mut self, pid: Pid, change: JobChange) -> Option<Pid> {
        let e = self.procs.get_mut(&pid)?;
        e.job = Some(change);
        e.parent
    }

    /// The unconsumed job report of `pid`.
    pub fn job_report(&self, pid: Pid) -> Option<JobChange> {
        self.procs.get(&pid).and_then(|e| e.job)
    }

    /// Reap a zombie child of `parent` matching `which` (the lowest pid
    /// first): the plain `wait`. Knows no groups: with
    /// [`WaitFor::Group`] every child counts as in group 0.
    pub fn wait(&mut self, parent: Pid, which: WaitFor) -> Result<Reaped<T, S>, WaitError> {
        match self.wait_for(parent, which, WaitOpts::EXITED, |_| 0)? {
            Found::Exited { pid, status, payload: Some(payload) } => Ok(Reaped { pid, status, payload }),
            _ => unreachable!("exits only, reaping"),
        }
    }

    /// Find what a `wait` of `parent` for `which` with `opts` reports
    /// (see the module documentation); `group_of` gives a child's process
    /// group, for [`WaitFor::Group`].
    pub fn wait_for(&mut self, parent: Pid, which: WaitFor, opts: WaitOpts, group_of: impl Fn(&T) -> Pid) -> Result<Found<T, S>, WaitError> {
        let mut any = false;
        let mut found = None;
        for (&pid, e) in &self.procs {
            let wanted = match which {
                WaitFor::Any => true,
                WaitFor::Pid(p) => p == pid,
                WaitFor::Group(g) => group_of(&e.payload) == g,
            };
            if e.parent != Some(parent) || !wanted {
                continue;
            }
            any = true;
            found = match (e.state, e.job) {
                (State::Zombie(status), _) if opts.exited => Some((pid, Ok(status))),
                (State::Running, Some(change @ JobChange::Stopped(_))) if opts.stopped => Some((pid, Err(change))),
                (State::Running, Some(JobChange::Continued)) if opts.continued => Some((pid, Err(JobChange::Continued))),
                _ => None,
            };
            if found.is_some() {
                break;
            }
        }
        let (pid, what) = found.ok_or(if any { WaitError::WouldBlock } else { WaitError::NoChild })?;
        Ok(match what {
            Ok(status) => Found::Exited { pid, status, payload: if opts.nowait { None } else { self.remove(pid).map(|r| r.payload) } },
            Err(change) => {
                if !opts.nowait {
                    self.procs.get_mut(&pid).expect("found above").job = None;
                }
                Found::Job { pid, change }
            }
        })
    }

    /// Remove a parentless zombie (a process the kernel started itself, or
    /// an orphan of an init-less table) and return it; `None` if `pid` is
    /// not a zombie, or has a parent (who will reap it).
    pub fn reap_parentless(&mut self, pid: Pid) -> Option<Reaped<T, S>> {
        let e = self.procs.get(&pid)?;
        let (None, State::Zombie(_)) = (e.parent, e.state) else { return None };
        self.remove(pid)
    }
}
