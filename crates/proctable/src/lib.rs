//! Process-tree bookkeeping: pids and thread ids, parent/child links,
//! zombies, job-control reports, `wait`, and re-parenting orphans to init.
//! Generic over a per-process payload `T` (the kernel's `Arc<Process>`)
//! and an exit status `S` (the kernel's `Exit`; `i32` by default), and free
//! of locks, wait queues, signals and scheduling: the kernel wraps one
//! [`ProcTable`] in its process-table lock and does the waking, blocking
//! and signalling itself, as told by the return values.
//!
//! **Ids** (the kernel's policy before this crate, kept): init is pid 1
//! ([`ProcTable::insert_init`]); every other process, and every thread but
//! a process's first (whose tid is the pid), gets the lowest id at or above
//! the one after the last id handed out, starting at 2, that is neither a
//! pid in the table nor a live tid: pids and tids share one number space,
//! as Linux's do ([`ProcTable::alloc_tid`]). So ids are not reused right
//! after a process is reaped or a thread ends; they only come round again
//! after the counter passes `pid_max` and wraps to 2 (with the default
//! `pid_max = Pid::MAX` that never happens in practice; a smaller `pid_max`
//! gives Linux-style wrap-around). Id 0 is never used.
//!
//! **Limits**: at most `max_procs` entries, zombies included (a zombie keeps
//! its slot until it is reaped): a full table refuses [`ProcTable::insert`]
//! with [`SpawnError::Full`] (the kernel's `EAGAIN`); at most `max_threads`
//! extra thread ids ([`ProcTable::alloc_tid`], also `EAGAIN`).
//!
//! **Exit and wait** (`exit_wait.rs`): [`ProcTable::exit`] turns a process
//! into a zombie holding its status and hands its children to init (pid 1);
//! [`ProcTable::exit_with`] also reaps it at once when asked to (its parent
//! ignores SIGCHLD). [`ProcTable::report_job`] leaves a stop/continue
//! report; [`ProcTable::wait_for`] finds a child's exit or report the way
//! `wait4`/`waitid` do and reaps it unless told to peek (`WNOWAIT`).
//!
//! **Groups and sessions** (`groups.rs`): the `setpgid`/`setsid` rules and
//! group membership, over ids the payload holds.
//!
//! How the kernel uses it: `static TABLE: IrqSpinLock<ProcTable<Arc<Process>, Exit>>`;
//! fork = `insert_with(Some(parent), |pid| proc)`, exit = `exit_with(pid,
//! status, autoreap)` then wake `notice.parent` (and init if
//! `notice.wake_init`), wait = loop over `wait_for(me, which, opts, ..)`
//! blocking on `WouldBlock`; drop reaped payloads after releasing the lock.
//!
//! Invariants: every `parent` link names a live entry (Running or Zombie)
//! other than the child itself; id 0 is never a key; no id is both a pid
//! and a tid; `len() <= max_procs`; a Zombie has no children (they were
//! handed on at `exit`). The table has no lock of its own: its owner's
//! lock protects all of it.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod exit_wait;
mod groups;

pub use exit_wait::{Found, WaitOpts};
pub use groups::{GroupError, Ids};

use alloc::collections::BTreeMap;

pub type Pid = usize;
/// The first process; it inherits orphans.
pub const INIT_PID: Pid = 1;

/// A process's life-cycle state while it is in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State<S = i32> {
    Running,
    /// Exited with this status; waiting to be reaped.
    Zombie(S),
}

/// A job-control change a parent's `wait` may report
/// (`WUNTRACED`/`WCONTINUED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobChange {
    /// Stopped by this signal.
    Stopped(u32),
    Continued,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// `max_procs` entries (or `max_threads` thread ids) already (`EAGAIN`).
    Full,
    /// Every id up to `pid_max` is taken (`EAGAIN`).
    NoPid,
    /// The parent is not in the table, or is a zombie.
    NoParent,
    /// Pid 1 is taken.
    InitExists,
}

/// Which children `wait` is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitFor {
    Any,
    Pid(Pid),
    /// Children in this process group (as the caller's `group_of` says).
    Group(Pid),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitError {
    /// No child matches (`ECHILD`).
    NoChild,
    /// Matching children exist, none has anything to report yet: block
    /// and retry (or return nothing, for `WNOHANG`).
    WouldBlock,
}

/// `exit` on a pid that is not running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitError {
    NoSuchProcess,
    AlreadyZombie,
}

/// Whom to wake after an `exit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitNotice {
    /// The exited process's parent (it may be waiting for it).
    pub parent: Option<Pid>,
    /// Init inherited at least one zombie: wake it so it reaps.
    pub wake_init: bool,
    /// How many children were handed on.
    pub orphans: usize,
}

/// A reaped process.
#[derive(Debug, PartialEq, Eq)]
pub struct Reaped<T, S = i32> {
    pub pid: Pid,
    pub status: S,
    pub payload: T,
}

struct Entry<T, S> {
    parent: Option<Pid>,
    state: State<S>,
    /// A stop or continue not yet consumed by the parent's `wait`.
    job: Option<JobChange>,
    payload: T,
}

/// The process table. See the crate documentation.
pub struct ProcTable<T, S = i32> {
    procs: BTreeMap<Pid, Entry<T, S>>,
    /// tid -> pid of every thread but a process's first.
    tids: BTreeMap<Pid, Pid>,
    next_pid: Pid,
    max_procs: usize,
    max_threads: usize,
    pid_max: Pid,
}

impl<T, S: Copy> ProcTable<T, S> {
    /// An empty table of at most `max_procs` processes (threads unlimited).
    pub const fn new(max_procs: usize) -> Self {
        Self::with_limits(max_procs, usize::MAX, Pid::MAX)
    }

    /// The same, with ids wrapping round to 2 after `pid_max` (at least 2).
    pub const fn with_pid_max(max_procs: usize, pid_max: Pid) -> Self {
        Self::with_limits(max_procs, usize::MAX, pid_max)
    }

    /// At most `max_procs` processes and `max_threads` extra thread ids,
    /// ids wrapping after `pid_max` (at least 2).
    pub const fn with_limits(max_procs: usize, max_threads: usize, pid_max: Pid) -> Self {
        let pid_max = if pid_max < 2 { 2 } else { pid_max };
        ProcTable { procs: BTreeMap::new(), tids: BTreeMap::new(), next_pid: INIT_PID + 1, max_procs, max_threads, pid_max }
    }

    /// Number of entries (zombies included).
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// Register init as pid 1 (no parent).
    pub fn insert_init(&mut self, payload: T) -> Result<Pid, SpawnError> {
        self.insert_init_with(|_| payload)
    }

    /// [`ProcTable::insert_init`] with the payload built from the pid.
    pub fn insert_init_with(&mut self, make: impl FnOnce(Pid) -> T) -> Result<Pid, SpawnError> {
        if self.procs.contains_key(&INIT_PID) {
            return Err(SpawnError::InitExists);
        }
        self.check_room()?;
        self.procs.insert(INIT_PID, Entry { parent: None, state: State::Running, job: None, payload: make(INIT_PID) });
        Ok(INIT_PID)
    }

    /// Register a new process as a child of `parent` (`None`: a process
    /// the kernel runs itself) and return its pid.
    pub fn insert(&mut self, parent: Option<Pid>, payload: T) -> Result<Pid, SpawnError> {
        self.insert_with(parent, |_| payload)
    }

    /// [`ProcTable::insert`] with the payload built from the new pid
    /// (`make` runs only once the insert cannot fail).
    pub fn insert_with(&mut self, parent: Option<Pid>, make: impl FnOnce(Pid) -> T) -> Result<Pid, SpawnError> {
        if let Some(p) = parent {
            if !matches!(self.state(p), Some(State::Running)) {
                return Err(SpawnError::NoParent);
            }
        }
        self.check_room()?;
        let pid = self.take_id()?;
        self.procs.insert(pid, Entry { parent, state: State::Running, job: None, payload: make(pid) });
        Ok(pid)
    }

    fn check_room(&self) -> Result<(), SpawnError> {
        if self.procs.len() >= self.max_procs {
            return Err(SpawnError::Full);
        }
        Ok(())
    }

    /// The first id from `next_pid` upwards that is neither a pid nor a
    /// tid, wrapping from `pid_max` to 2; the counter moves past it.
    fn take_id(&mut self) -> Result<Pid, SpawnError> {
        let mut id = self.next_pid.clamp(INIT_PID + 1, self.pid_max);
        let used = self.procs.len() + self.tids.len();
        for _ in 0..=used.min(self.pid_max - 1) {
            if !self.procs.contains_key(&id) && !self.tids.contains_key(&id) {
                self.next_pid = if id >= self.pid_max { INIT_PID + 1 } else { id + 1 };
                return Ok(id);
            }
            id = if id >= self.pid_max { INIT_PID + 1 } else { id + 1 };
        }
        Err(SpawnError::NoPid)
    }

    /// A thread id for a new thread of process `pid`, from the pids'
    /// number space; [`SpawnError::Full`] when `max_threads` are out.
    pub fn alloc_tid(&mut self, pid: Pid) -> Result<Pid, SpawnError> {
        if self.tids.len() >= self.max_threads {
            return Err(SpawnError::Full);
        }
        let tid = self.take_id()?;
        self.tids.insert(tid, pid);
        Ok(tid)
    }

    /// Give back a thread id (a thread ended, or became its process's
    /// first at exec). A pid is never a tid here, so this leaves pids be.
    pub fn release_tid(&mut self, tid: Pid) {
        self.tids.remove(&tid);
    }

    /// Number of extra thread ids out.
    pub fn tids(&self) -> usize {
        self.tids.len()
    }

    /// The pid of the process thread `tid` belongs to (a pid names its
    /// process's first thread), if that process is in the table.
    pub fn thread_group_of(&self, tid: Pid) -> Option<Pid> {
        let pid = self.tids.get(&tid).copied().unwrap_or(tid);
        self.procs.contains_key(&pid).then_some(pid)
    }

    /// The payload of `pid`.
    pub fn get(&self, pid: Pid) -> Option<&T> {
        self.procs.get(&pid).map(|e| &e.payload)
    }

    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut T> {
        self.procs.get_mut(&pid).map(|e| &mut e.payload)
    }

    /// The state of `pid`, or `None` if it is not in the table.
    pub fn state(&self, pid: Pid) -> Option<State<S>> {
        self.procs.get(&pid).map(|e| e.state)
    }

    /// The parent of `pid` (`None`: no such process, or parentless).
    pub fn parent(&self, pid: Pid) -> Option<Pid> {
        self.procs.get(&pid).and_then(|e| e.parent)
    }

    /// The children of `pid`, in pid order (zombies included).
    pub fn children(&self, pid: Pid) -> impl Iterator<Item = Pid> + '_ {
        self.procs.iter().filter(move |(_, e)| e.parent == Some(pid)).map(|(&c, _)| c)
    }

    /// Every pid in the table with its payload, in pid order.
    pub fn iter(&self) -> impl Iterator<Item = (Pid, &T)> + '_ {
        self.procs.iter().map(|(&p, e)| (p, &e.payload))
    }

    /// The payloads alone, in pid order.
    pub fn payloads(&self) -> impl Iterator<Item = &T> + '_ {
        self.procs.values().map(|e| &e.payload)
    }
}
