//! Process-tree bookkeeping: pids, parent/child links, zombies, `wait`,
//! and re-parenting orphans to init. Generic over a per-process payload
//! `T` (the kernel's `Arc<Process>`), and free of locks, wait queues and
//! scheduling: the kernel wraps one [`ProcTable`] in its process-table lock
//! and does the waking and blocking itself, as told by the return values.
//!
//! **Pids** (the kernel's policy before this crate, kept): init is pid 1
//! ([`ProcTable::insert_init`]); every other process gets the lowest free
//! pid at or above the one after the last pid handed out, starting at 2.
//! So pids are not reused right after a process is reaped; they only come
//! round again after the counter passes `pid_max` and wraps to 2 (with the
//! default `pid_max = Pid::MAX` that never happens in practice; a smaller
//! `pid_max` gives Linux-style wrap-around). Pid 0 is never used.
//!
//! **Limit**: at most `max_procs` entries, zombies included (a zombie keeps
//! its slot until it is reaped): a full table refuses [`ProcTable::insert`] with
//! [`SpawnError::Full`] (the kernel's `EAGAIN`).
//!
//! **Exit and wait**: [`ProcTable::exit`] turns a process into a zombie holding its
//! status and hands its children to init (pid 1). If the exiting process
//! *is* init, or there is no init, its children become parentless instead
//! (the kernel reaps those with [`ProcTable::reap_parentless`]). The returned
//! [`ExitNotice`] says whom to wake: the parent, and init if it just
//! inherited a zombie. [`ProcTable::wait`] reaps the lowest-pid zombie child that
//! matches, returning its pid, status and payload; it fails with
//! [`WaitError::NoChild`] (`ECHILD`) when nothing matches, or
//! [`WaitError::WouldBlock`] when matching children exist but none has
//! exited: the kernel then sleeps on the parent's wait queue (still under
//! the table lock, so an exit cannot slip in between) and retries.
//!
//! How the kernel uses it: `static TABLE: IrqSpinLock<ProcTable<Arc<Process>>>`;
//! fork = `insert(Some(parent), proc)`, exit = `exit(pid, status)` then
//! wake `notice.parent` (and init if `notice.wake_init`), wait = loop over
//! `wait(me, which)` blocking on `WouldBlock`; drop the reaped payload after
//! releasing the lock.
//!
//! Invariants: every `parent` link names a live entry (Running or Zombie)
//! other than the child itself; pid 0 is never a key; `len() <= max_procs`;
//! a Zombie has no children (they were handed on at `exit`).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

pub type Pid = usize;
/// The first process; it inherits orphans.
pub const INIT_PID: Pid = 1;

/// A process's life-cycle state while it is in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Running,
    /// Exited with this status; waiting to be reaped.
    Zombie(i32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// `max_procs` entries already (`EAGAIN`).
    Full,
    /// Every pid up to `pid_max` is taken (`EAGAIN`).
    NoPid,
    /// The parent is not in the table, or is a zombie.
    NoParent,
    /// Pid 1 is taken.
    InitExists,
}

/// Which child `wait` is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitFor {
    Any,
    Pid(Pid),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitError {
    /// No child matches (`ECHILD`).
    NoChild,
    /// Matching children exist, none has exited yet: block and retry.
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
pub struct Reaped<T> {
    pub pid: Pid,
    pub status: i32,
    pub payload: T,
}

struct Entry<T> {
    parent: Option<Pid>,
    state: State,
    payload: T,
}

/// The process table. See the crate documentation.
pub struct ProcTable<T> {
    procs: BTreeMap<Pid, Entry<T>>,
    next_pid: Pid,
    max_procs: usize,
    pid_max: Pid,
}

impl<T> ProcTable<T> {
    /// An empty table of at most `max_procs` processes.
    pub const fn new(max_procs: usize) -> Self {
        Self::with_pid_max(max_procs, Pid::MAX)
    }

    /// The same, with pids wrapping round to 2 after `pid_max` (at least 2).
    pub const fn with_pid_max(max_procs: usize, pid_max: Pid) -> Self {
        let pid_max = if pid_max < 2 { 2 } else { pid_max };
        ProcTable { procs: BTreeMap::new(), next_pid: INIT_PID + 1, max_procs, pid_max }
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
        if self.procs.contains_key(&INIT_PID) {
            return Err(SpawnError::InitExists);
        }
        self.check_room()?;
        self.procs.insert(INIT_PID, Entry { parent: None, state: State::Running, payload });
        Ok(INIT_PID)
    }

    /// Register a new process as a child of `parent` (`None`: a process
    /// the kernel runs itself) and return its pid.
    pub fn insert(&mut self, parent: Option<Pid>, payload: T) -> Result<Pid, SpawnError> {
        if let Some(p) = parent {
            if self.state(p) != Some(State::Running) {
                return Err(SpawnError::NoParent);
            }
        }
        self.check_room()?;
        let pid = self.free_pid().ok_or(SpawnError::NoPid)?;
        self.next_pid = if pid >= self.pid_max { INIT_PID + 1 } else { pid + 1 };
        self.procs.insert(pid, Entry { parent, state: State::Running, payload });
        Ok(pid)
    }

    fn check_room(&self) -> Result<(), SpawnError> {
        if self.procs.len() >= self.max_procs {
            return Err(SpawnError::Full);
        }
        Ok(())
    }

    /// The first free pid from `next_pid` upwards, wrapping from `pid_max`
    /// to 2. At most `len() + 1` candidates are looked at.
    fn free_pid(&self) -> Option<Pid> {
        let mut pid = self.next_pid.clamp(INIT_PID + 1, self.pid_max);
        for _ in 0..=self.procs.len().min(self.pid_max - 1) {
            if !self.procs.contains_key(&pid) {
                return Some(pid);
            }
            pid = if pid >= self.pid_max { INIT_PID + 1 } else { pid + 1 };
        }
        None
    }

    /// The payload of `pid`.
    pub fn get(&self, pid: Pid) -> Option<&T> {
        self.procs.get(&pid).map(|e| &e.payload)
    }

    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut T> {
        self.procs.get_mut(&pid).map(|e| &mut e.payload)
    }

    /// The state of `pid`, or `None` if it is not in the table.
    pub fn state(&self, pid: Pid) -> Option<State> {
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

    /// `pid` exited with `status`: it becomes a zombie and its children
    /// go to init (or become parentless if it is init or there is none).
    pub fn exit(&mut self, pid: Pid, status: i32) -> Result<ExitNotice, ExitError> {
        let entry = self.procs.get_mut(&pid).ok_or(ExitError::NoSuchProcess)?;
        if let State::Zombie(_) = entry.state {
            return Err(ExitError::AlreadyZombie);
        }
        entry.state = State::Zombie(status);
        let parent = entry.parent;
        let heir = (pid != INIT_PID && self.state(INIT_PID) == Some(State::Running)).then_some(INIT_PID);
        let orphans: Vec<Pid> = self.children(pid).collect();
        let mut wake_init = false;
        for child in &orphans {
            let e = self.procs.get_mut(child).expect("a child is in the table");
            e.parent = heir;
            wake_init |= heir.is_some() && matches!(e.state, State::Zombie(_));
        }
        Ok(ExitNotice { parent, wake_init, orphans: orphans.len() })
    }

    /// Reap a zombie child of `parent` matching `which` (the lowest pid
    /// first).
    pub fn wait(&mut self, parent: Pid, which: WaitFor) -> Result<Reaped<T>, WaitError> {
        let mut any = false;
        let mut zombie = None;
        for (&pid, e) in &self.procs {
            let wanted = match which {
                WaitFor::Any => true,
                WaitFor::Pid(p) => p == pid,
            };
            if e.parent != Some(parent) || !wanted {
                continue;
            }
            any = true;
            if let State::Zombie(status) = e.state {
                zombie = Some((pid, status));
                break;
            }
        }
        let (pid, status) = zombie.ok_or(if any { WaitError::WouldBlock } else { WaitError::NoChild })?;
        let entry = self.procs.remove(&pid).expect("found above");
        Ok(Reaped { pid, status, payload: entry.payload })
    }

    /// Remove a parentless zombie (a process the kernel started itself, or
    /// an orphan of init) and return it; `None` if `pid` is not a zombie,
    /// or has a parent (who will reap it).
    pub fn reap_parentless(&mut self, pid: Pid) -> Option<Reaped<T>> {
        let e = self.procs.get(&pid)?;
        let (None, State::Zombie(status)) = (e.parent, e.state) else { return None };
        let entry = self.procs.remove(&pid)?;
        Some(Reaped { pid, status, payload: entry.payload })
    }
}
