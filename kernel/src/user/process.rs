//! Processes: the process table, fork, exit and wait.
//!
//! A [`Process`] owns a pid, an address space and its place in the process
//! tree. Each process runs exactly one task (`sched::task::Task` whose
//! data slot points back here); the task's kernel stack holds its user
//! registers while it is in the kernel.
//!
//! States (the spec's): a live process is Running (its task is Ready,
//! Running, Sleeping or Blocked); after `exit` it is a Zombie holding its
//! status until the parent's `wait` reaps it, which removes it from the
//! table (Terminated). Orphans are re-parented to init (pid 1), which then
//! reaps them.
//!
//! Locking, outermost first: `TABLE` (level `ProcessTable`) guards the pid
//! map and every parent/child link; `Process::inner` (level `Process`)
//! guards state and status; `Process::files` (level `FdTable`) guards the
//! descriptor table and working directory; `Process::space` (level
//! `AddressSpace`) guards the page tables. `exit` and `wait` take `TABLE` first, so a child's exit
//! and its parent's wait never race.

use crate::fs::ProcFiles;
use crate::mm::AddressSpace;
use crate::error::Errno;
use crate::sched::wait::WaitQueue;
use crate::sync::{IrqSpinLock, LockLevel, SpinLock};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mello_abi::limits::MAX_PROCS;

pub type Pid = usize;
/// The first process.
pub const INIT_PID: Pid = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcState {
    Running,
    Zombie(i32),
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
    /// Linux-only state (signal actions and mask, `set_tid_address`).
    pub linux: crate::sys::linux_signal::LinuxState,
}

pub struct ProcInner {
    pub state: ProcState,
    /// Parents waiting in `wait` sleep here until a child exits.
    pub child_waiters: WaitQueue,
}

struct Table {
    procs: BTreeMap<Pid, Arc<Process>>,
    /// pid -> parent pid (all links live here, under the table lock).
    parent: BTreeMap<Pid, Pid>,
    next_pid: Pid,
}

static TABLE: IrqSpinLock<Table> = IrqSpinLock::new(
    LockLevel::ProcessTable,
    "process-table",
    Table { procs: BTreeMap::new(), parent: BTreeMap::new(), next_pid: INIT_PID + 1 },
);

impl Process {
    /// The process's page-table root (for a task's CR3).
    pub fn root(&self) -> u64 {
        self.space.lock().as_ref().map_or(crate::mm::kernel_space::kernel_pml4(), |s| s.root().as_u64())
    }
}

/// Register a new process with `space` as a child of `parent` (None for
/// init and for programs the kernel runs itself). Only init gets pid 1.
/// Fails with EAGAIN when the table is full.
pub fn create(parent: Option<Pid>, name: &str, space: AddressSpace, files: ProcFiles, is_init: bool) -> Result<Arc<Process>, Errno> {
    let mut table = TABLE.lock();
    if table.procs.len() >= MAX_PROCS {
        return Err(Errno::EAGAIN);
    }
    let mut pid = if is_init { INIT_PID } else { table.next_pid.max(INIT_PID + 1) };
    while table.procs.contains_key(&pid) {
        pid += 1;
    }
    table.next_pid = pid + 1;
    let proc = Arc::new(Process {
        pid,
        name: SpinLock::new(LockLevel::Process, "proc-name", String::from(name)),
        cmdline: SpinLock::new(LockLevel::Process, "proc-cmdline", Vec::new()),
        files: SpinLock::new(LockLevel::FdTable, "fd-table", files),
        inner: SpinLock::new(LockLevel::Process, "process", ProcInner { state: ProcState::Running, child_waiters: WaitQueue::new() }),
        space: SpinLock::new(LockLevel::AddressSpace, "address-space", Some(space)),
        personality: super::personality::AtomicPersonality::new(super::personality::Personality::Native),
        linux: crate::sys::linux_signal::LinuxState::new(),
    });
    table.procs.insert(pid, proc.clone());
    if let Some(parent) = parent {
        table.parent.insert(pid, parent);
    }
    Ok(proc)
}

/// The parent of `pid` (None for init, programs the kernel started, and
/// unknown pids).
pub fn parent_of(pid: Pid) -> Option<Pid> {
    TABLE.lock().parent.get(&pid).copied()
}

/// Mark `proc` a zombie with `status`, hand its children to init and wake
/// its parent. The caller then frees the address space and stops the task.
pub fn make_zombie(proc: &Process, status: i32) {
    let mut table = TABLE.lock();
    let orphans: Vec<Pid> = table.parent.iter().filter(|(_, &p)| p == proc.pid).map(|(&c, _)| c).collect();
    let mut orphan_zombie = false;
    for child in orphans {
        table.parent.insert(child, INIT_PID);
        if let Some(c) = table.procs.get(&child) {
            orphan_zombie |= matches!(c.inner.lock().state, ProcState::Zombie(_));
        }
    }
    proc.inner.lock().state = ProcState::Zombie(status);
    let parent = table.parent.get(&proc.pid).copied();
    for (pid, wake) in [(parent, true), (Some(INIT_PID), orphan_zombie)] {
        if let (Some(pid), true) = (pid, wake) {
            if let Some(p) = table.procs.get(&pid) {
                p.inner.lock().child_waiters.wake_all();
            }
        }
    }
}

/// Wait for a child of `me` matching `pid` (`WAIT_ANY`: any) to exit; reap it and
/// return (pid, status). `ECHILD` if there is no matching child.
pub fn wait_child(me: &Arc<Process>, pid: isize) -> Result<(Pid, i32), Errno> {
    loop {
        let mut table = TABLE.lock();
        let children: Vec<Pid> = table
            .parent
            .iter()
            .filter(|(&c, &p)| p == me.pid && (pid == mello_abi::WAIT_ANY || c as isize == pid))
            .map(|(&c, _)| c)
            .collect();
        if children.is_empty() {
            return Err(Errno::ECHILD);
        }
        let zombie = children.iter().find_map(|c| match table.procs[c].inner.lock().state {
            ProcState::Zombie(status) => Some((*c, status)),
            ProcState::Running => None,
        });
        if let Some((child, status)) = zombie {
            table.parent.remove(&child);
            let reaped = table.procs.remove(&child);
            drop(table);
            drop(reaped); // frees the process once its task is gone too
            return Ok((child, status));
        }
        me.inner.lock().child_waiters.enqueue_current();
        drop(table);
        crate::sched::wait::block();
    }
}

/// Remove a parentless zombie (started by the kernel itself) from the
/// table; returns its status, or `None` if it is not (yet) a zombie.
pub fn reap_parentless(pid: Pid) -> Option<i32> {
    let mut table = TABLE.lock();
    let proc = table.procs.get(&pid)?;
    let ProcState::Zombie(status) = proc.inner.lock().state else { return None };
    if table.parent.contains_key(&pid) {
        return None; // somebody's child: theirs to reap
    }
    let reaped = table.procs.remove(&pid);
    drop(table);
    drop(reaped);
    Some(status)
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
    TABLE.lock().procs.keys().copied().collect()
}

/// A snapshot of process `pid`, if it exists.
pub fn info(pid: Pid) -> Option<ProcInfo> {
    let table = TABLE.lock();
    let proc = table.procs.get(&pid)?.clone();
    let ppid = table.parent.get(&pid).copied().unwrap_or(0);
    let zombie = matches!(proc.inner.lock().state, ProcState::Zombie(_));
    drop(table);
    let name = proc.name.lock().clone();
    let cmdline = proc.cmdline.lock().clone();
    let fds = proc.files.lock().fds.count();
    Some(ProcInfo { pid, ppid, name, cmdline, zombie, fds })
}

/// Whether process `pid` exists (zombies included).
pub fn exists(pid: Pid) -> bool {
    TABLE.lock().procs.contains_key(&pid)
}
