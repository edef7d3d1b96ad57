//! Processes: the process table, fork, exit and wait.
//!
//! A [`Process`] (a thread group) owns a pid, an address space, the
//! descriptor table, the signal actions and its place in the process tree.
//! It runs one or more threads: each is a `sched::task::Task` whose data
//! slot holds a [`Thread`] (its tid and the process), with its own kernel
//! stack (holding its user registers while it is in the kernel), FS base,
//! and signal mask and pending set (`user::signal::ThreadSig`). The first
//! thread's tid is the pid; later ones take ids from the same space
//! (`proctable::ProcTable::alloc_tid`), as Linux's do. The process lives while any of its
//! threads does (each task's data slot holds a reference).
//!
//! States (the spec's): a live process is Running (its task is Ready,
//! Running, Sleeping or Blocked); after `exit` it is a Zombie holding how
//! it ended ([`Exit`]) until the parent's `wait` reaps it, which removes it
//! from the table (Terminated). Orphans are re-parented to init (pid 1),
//! which then reaps them. A parent that ignores SIGCHLD (or set
//! `SA_NOCLDWAIT`) never sees zombies: its children are reaped as they exit.
//! Job control: a stopped or continued child leaves a report
//! ([`JobChange`]) that `wait` with `WUNTRACED`/`WCONTINUED` consumes.
//!
//! Groups and sessions: every process has a process-group id and a
//! session id (Linux's rules in `setpgid`/`setsid`), written only under
//! `TABLE`; the kernel's own processes (init) start in group 0, session 0,
//! as Linux's init does; children inherit both.
//!
//! The bookkeeping (pids and tids, parent links, zombies and their
//! [`Exit`], job reports, wait matching, re-parenting, auto-reaping, the
//! `MAX_PROCS`/`MAX_THREADS` limits, the `setpgid`/`setsid` rules) is the
//! host-tested `proctable` crate:
//! `TABLE` is a `ProcTable<Arc<Process>, Exit>`; this module and its two
//! siblings do only the locking, blocking, waking and signalling around it.
//! `Process::exited` mirrors "is a zombie" for readers without `TABLE`.
//!
//! Locking, outermost first: `TABLE` (level `ProcessTable`) guards the
//! whole `ProcTable` (ids, every parent/child link, states, statuses and
//! job reports); `Process::inner` (level `Process`) guards the wait queues
//! and the exec/vfork flags; `Process::signals` (level
//! `Signal`) the signal state (`user::signal`); `Process::files` (level `FdTable`) guards the
//! descriptor table and working directory; `Process::space` (level
//! `AddressSpace`) guards the page tables. `exit` and `wait` take `TABLE` first, so a child's exit
//! and its parent's wait never race.
//!
//! Files: this one holds the types, the table and its look-ups;
//! `child_wait.rs` exit (the zombie, job reports) and `wait`; `group.rs`
//! process groups and sessions.

mod child_wait;
mod group;

pub use child_wait::{make_zombie, reap_parentless, report_job_change, wait_child, Select, WaitReq, Waited};
pub use group::{group_exists, group_in_session, set_pgid, set_sid};

use super::signal::Signals;
use crate::error::Errno;
use crate::fs::ProcFiles;
use crate::mm::AddressSpace;
use crate::sched::wait::WaitQueue;
use crate::sync::{IrqSpinLock, LockLevel, SpinLock};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use mello_abi::limits::{MAX_PROCS, MAX_THREADS};
use proctable::{ProcTable, SpawnError, State};
use mello_abi::linux::process::wait;
use mello_abi::linux::signal::{CLD_DUMPED, CLD_EXITED, CLD_KILLED};

pub use proctable::{JobChange, Pid, INIT_PID};

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `exit(code)`.
    Code(u8),
    /// Killed by signal `sig` (`core`: a core dump was written; MelloOS
    /// writes none, as Linux with its default `RLIMIT_CORE` of 0).
    Signal { sig: u32, core: bool },
}

impl Exit {
    /// The native ABI's status: the code, or `128 + signal`.
    pub fn native_status(self) -> i32 {
        match self {
            Exit::Code(c) => c as i32,
            Exit::Signal { sig, .. } => mello_abi::signal::killed_status(sig as i32),
        }
    }

    /// Linux's wait status (`code << 8`, or the signal with the core bit).
    pub fn linux_status(self) -> i32 {
        match self {
            Exit::Code(c) => wait::exited(c),
            Exit::Signal { sig, core } => wait::signaled(sig, core),
        }
    }

    /// SIGCHLD's `si_code` and `si_status` for this end.
    fn chld(self) -> (i32, i32) {
        match self {
            Exit::Code(c) => (CLD_EXITED, c as i32),
            Exit::Signal { sig, core } => (if core { CLD_DUMPED } else { CLD_KILLED }, sig as i32),
        }
    }
}

/// One thread of a process: what its task's data slot holds.
pub struct Thread {
    /// The thread id (`gettid`); becomes the pid when the thread execs.
    pub tid: AtomicUsize,
    pub proc: Arc<Process>,
}

impl Thread {
    pub fn tid(&self) -> Pid {
        self.tid.load(Relaxed)
    }
}

pub struct Process {
    pub pid: Pid,
    /// Program name (for logs).
    pub name: SpinLock<String>,
    /// The arguments of the running program, each NUL-terminated (what
    /// `/proc/N/cmdline` shows).
    pub cmdline: SpinLock<Vec<u8>>,
    pub inner: SpinLock<ProcInner>,
    /// File descriptors and working directory. Emptied at exit (the files'
    /// last references are dropped there, with no lock held).
    pub files: SpinLock<ProcFiles>,
    pub space: SpinLock<Option<AddressSpace>>,
    /// Which system-call ABI the process speaks (set by exec; read on every call).
    pub personality: super::personality::AtomicPersonality,
    /// Signal actions, pending and blocked sets, job-control state.
    pub signals: Signals,
    /// Process group and session (written under `TABLE`).
    pub pgid: AtomicUsize,
    pub sid: AtomicUsize,
    /// Whether the process has the console as its controlling terminal.
    pub ctty: AtomicBool,
    /// Set when it becomes a zombie (readable without `inner`'s lock, as
    /// the terminal's interrupt-time group signals need).
    pub exited: AtomicBool,
}

pub struct ProcInner {
    /// Parents waiting in `wait` sleep here until a child changes state.
    pub child_waiters: WaitQueue,
    /// The process has run `exec` (setpgid on it is then EACCES).
    pub did_exec: bool,
    /// vfork: set when the child execs or exits; the parent waits here.
    pub vfork_done: bool,
    pub vfork_waiters: WaitQueue,
}

/// The process table: pids, tids, parent links, zombies and job reports
/// (the pure `proctable` crate), under the process-table lock.
type Table = ProcTable<Arc<Process>, Exit>;

static TABLE: IrqSpinLock<Table> =
    IrqSpinLock::new(LockLevel::ProcessTable, "process-table", ProcTable::with_limits(MAX_PROCS, MAX_THREADS, Pid::MAX));

impl Process {
    /// The process's page-table root (for a task's CR3).
    pub fn root(&self) -> u64 {
        self.space.lock().as_ref().map_or(crate::mm::kernel_space::kernel_pml4(), |s| s.root().as_u64())
    }

    pub fn pgid(&self) -> Pid {
        self.pgid.load(Relaxed)
    }

    pub fn sid(&self) -> Pid {
        self.sid.load(Relaxed)
    }
}

/// Register a new process with `space` as a child of `parent` (None for
/// init and for programs the kernel runs itself), in the parent's group
/// and session. Only init gets pid 1. Fails with EAGAIN when the table is full.
pub fn create(parent: Option<Pid>, name: &str, space: AddressSpace, files: ProcFiles, is_init: bool) -> Result<Arc<Process>, Errno> {
    // Taken by the new process; on failure dropped after `TABLE` is
    // released (freeing an address space or closing files under it would
    // break the lock order).
    let mut parts = Some((space, files));
    let mut table = TABLE.lock();
    let up = parent.and_then(|p| table.get(p));
    let (pgid, sid, ctty) = up.map_or((0, 0, false), |p| (p.pgid(), p.sid(), p.ctty.load(Relaxed)));
    let make = |pid| {
        let (space, files) = parts.take().expect("made once");
        Arc::new(Process {
            pid,
            name: SpinLock::new(LockLevel::Process, "proc-name", String::from(name)),
            cmdline: SpinLock::new(LockLevel::Process, "proc-cmdline", Vec::new()),
            files: SpinLock::new(LockLevel::FdTable, "fd-table", files),
            inner: SpinLock::new(
                LockLevel::Process,
                "process",
                ProcInner { child_waiters: WaitQueue::new(), did_exec: false, vfork_done: false, vfork_waiters: WaitQueue::new() },
            ),
            space: SpinLock::new(LockLevel::AddressSpace, "address-space", Some(space)),
            personality: super::personality::AtomicPersonality::new(super::personality::Personality::Native),
            signals: Signals::new(),
            pgid: AtomicUsize::new(pgid),
            sid: AtomicUsize::new(sid),
            ctty: AtomicBool::new(ctty),
            exited: AtomicBool::new(false),
        })
    };
    let pid = if is_init && table.get(INIT_PID).is_none() { table.insert_init_with(make) } else { table.insert_with(parent, make) };
    // Full, NoPid: EAGAIN. NoParent cannot happen (a parent forks while it
    // runs: it is a zombie only once its last thread is gone).
    let pid = pid.map_err(|e: SpawnError| match e {
        SpawnError::Full | SpawnError::NoPid | SpawnError::NoParent | SpawnError::InitExists => Errno::EAGAIN,
    })?;
    Ok(table.get(pid).expect("just inserted").clone())
}

/// A tid for a new thread of process `pid`; `EAGAIN` when `MAX_THREADS`
/// threads exist.
pub fn alloc_tid(pid: Pid) -> Result<Pid, Errno> {
    TABLE.lock().alloc_tid(pid).map_err(|_| Errno::EAGAIN)
}

/// Give back the tid of a thread that ended (or became its group's first,
/// at exec; a group's first tid is its pid and is never here).
pub fn release_tid(tid: Pid) {
    TABLE.lock().release_tid(tid);
}

/// The process (thread group) that thread `tid` belongs to (a pid names
/// its group's first thread).
pub fn thread_group_of(tid: Pid) -> Option<Arc<Process>> {
    let table = TABLE.lock();
    table.thread_group_of(tid).and_then(|pid| table.get(pid)).cloned()
}

/// The parent of `pid` (None for init, programs the kernel started, and
/// unknown pids).
pub fn parent_of(pid: Pid) -> Option<Pid> {
    TABLE.lock().parent(pid)
}

/// The process with pid `pid` (zombies included).
pub fn get(pid: Pid) -> Option<Arc<Process>> {
    TABLE.lock().get(pid).cloned()
}

/// Live (non-zombie) processes for which `pick` is true. Takes only IRQ-safe
/// locks (the terminal's ^C calls it from an interrupt handler).
pub fn select(mut pick: impl FnMut(&Process) -> bool) -> Vec<Arc<Process>> {
    let table = TABLE.lock();
    table.payloads().filter(|p| pick(p) && !p.exited.load(Relaxed)).cloned().collect()
}

/// What procfs shows of one process.
pub struct ProcInfo {
    pub pid: Pid,
    pub ppid: Pid,
    pub name: String,
    pub cmdline: Vec<u8>,
    pub zombie: bool,
    pub fds: usize,
}

/// The pids in the table (zombies included), ascending.
pub fn pids() -> Vec<Pid> {
    TABLE.lock().iter().map(|(pid, _)| pid).collect()
}

/// A snapshot of process `pid`, if it exists.
pub fn info(pid: Pid) -> Option<ProcInfo> {
    let table = TABLE.lock();
    let proc = table.get(pid)?.clone();
    let ppid = table.parent(pid).unwrap_or(0);
    let zombie = matches!(table.state(pid), Some(State::Zombie(_)));
    drop(table);
    let name = proc.name.lock().clone();
    let cmdline = proc.cmdline.lock().clone();
    let fds = proc.files.lock().fds.count();
    Some(ProcInfo { pid, ppid, name, cmdline, zombie, fds })
}

/// Whether process `pid` exists (zombies included).
pub fn exists(pid: Pid) -> bool {
    TABLE.lock().get(pid).is_some()
}
