//! A process's file descriptors and working directory ([`ProcFiles`]).
//!
//! * Descriptors are `0..OPEN_MAX` (1,024); a new one is always the lowest
//!   free number (POSIX), and none free is `EMFILE`.
//! * A slot holds an `Arc<OpenFile>` (shared with `dup` copies and, after
//!   `fork`, with the child: one description, one position) and the
//!   close-on-exec flag, which belongs to the descriptor, not the file.
//! * The working directory is a pinned inode (`None`: the root), so a
//!   removed working directory stays valid (getcwd gives `ENOENT`).
//! * Beside them, what Linux keeps per process that these calls read: the
//!   file-creation mask (`umask`, 022 for the first process, inherited by
//!   `fork` with the rest of `ProcFiles`) and the resource limits set by
//!   `setrlimit` (`None`: Linux's defaults, `sys::linux_sys`), and the
//!   executable (`exe`, what `/proc/N/exe` names). The table
//!   enforces `RLIMIT_NOFILE`: descriptors are below [`FdTable::limit`].
//!
//! Locking: `Process::files` (level `FdTable`) guards the whole
//! `ProcFiles`. Callers take a file out (`get` clones the `Arc`) and use it
//! after releasing the lock; files that leave the table are returned to
//! the caller so their last reference (which may unpin an inode or close a
//! pipe end) is dropped outside the lock.

use super::file::OpenFile;
use super::mounts::Pinned;
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mello_abi::fs::OPEN_MAX;
use mello_abi::linux::fs_types::rlimit::RLIM_NLIMITS;
use mello_abi::linux::Rlimit;
use mello_abi::Errno;
use vfs::Location;

#[derive(Clone)]
struct Slot {
    file: Arc<OpenFile>,
    cloexec: bool,
}

/// The descriptor table.
#[derive(Clone)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
    /// Descriptors are `0..limit` (`RLIMIT_NOFILE`, at most `OPEN_MAX`).
    limit: usize,
}

impl Default for FdTable {
    fn default() -> Self {
        FdTable { slots: Vec::new(), limit: OPEN_MAX }
    }
}

impl FdTable {
    /// One more than the highest descriptor number allowed.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Set `RLIMIT_NOFILE` (clamped to `OPEN_MAX`); open descriptors above
    /// it stay open, as on Linux.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.min(OPEN_MAX);
    }

    /// Install `file` at the lowest free descriptor `>= min`.
    pub fn alloc(&mut self, file: Arc<OpenFile>, cloexec: bool, min: usize) -> Result<usize, Errno> {
        let fd = (min..self.limit).find(|&fd| self.slots.get(fd).is_none_or(Option::is_none)).ok_or(Errno::EMFILE)?;
        if fd >= self.slots.len() {
            fallible::in_scope(|| self.slots.try_reserve(fd + 1 - self.slots.len())).map_err(|_| Errno::ENOMEM)?;
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd] = Some(Slot { file, cloexec });
        Ok(fd)
    }

    /// The file behind `fd` (`EBADF` if none).
    pub fn get(&self, fd: usize) -> Result<Arc<OpenFile>, Errno> {
        self.slot(fd).map(|s| s.file.clone())
    }

    fn slot(&self, fd: usize) -> Result<&Slot, Errno> {
        self.slots.get(fd).and_then(Option::as_ref).ok_or(Errno::EBADF)
    }

    /// Remove `fd`; the caller drops the file after releasing the lock.
    pub fn close(&mut self, fd: usize) -> Result<Arc<OpenFile>, Errno> {
        let slot = self.slots.get_mut(fd).and_then(Option::take).ok_or(Errno::EBADF)?;
        Ok(slot.file)
    }

    /// `dup2(old, new)`: `new` becomes a copy of `old` (close-on-exec
    /// clear); whatever `new` held is returned for dropping.
    pub fn dup2(&mut self, old: usize, new: usize) -> Result<Option<Arc<OpenFile>>, Errno> {
        self.dup3(old, new, false)
    }

    /// `dup3(old, new, flags)`: as `dup2` with the close-on-exec flag given
    /// (`old == new` leaves everything as it is; `dup3` refuses it first).
    pub fn dup3(&mut self, old: usize, new: usize, cloexec: bool) -> Result<Option<Arc<OpenFile>>, Errno> {
        let file = self.get(old)?;
        if new >= self.limit {
            return Err(Errno::EBADF);
        }
        if old == new {
            return Ok(None);
        }
        if new >= self.slots.len() {
            fallible::in_scope(|| self.slots.try_reserve(new + 1 - self.slots.len())).map_err(|_| Errno::ENOMEM)?;
            self.slots.resize(new + 1, None);
        }
        Ok(self.slots[new].replace(Slot { file, cloexec }).map(|s| s.file))
    }

    pub fn cloexec(&self, fd: usize) -> Result<bool, Errno> {
        self.slot(fd).map(|s| s.cloexec)
    }

    pub fn set_cloexec(&mut self, fd: usize, on: bool) -> Result<(), Errno> {
        let slot = self.slots.get_mut(fd).and_then(Option::as_mut).ok_or(Errno::EBADF)?;
        slot.cloexec = on;
        Ok(())
    }

    /// `exec`: remove every close-on-exec descriptor; returns the files.
    pub fn take_cloexec(&mut self) -> Vec<Arc<OpenFile>> {
        let mut out = Vec::new();
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(|s| s.cloexec) {
                if let Some(s) = slot.take() {
                    out.push(s.file);
                }
            }
        }
        out
    }

    /// The open descriptors and their files, ascending (`/proc/N/fd`).
    pub fn open_fds(&self) -> impl Iterator<Item = (usize, &Arc<OpenFile>)> + '_ {
        self.slots.iter().enumerate().filter_map(|(fd, s)| s.as_ref().map(|s| (fd, &s.file)))
    }

    /// How many descriptors are open.
    pub fn count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

/// Everything file-related a process owns.
#[derive(Clone)]
pub struct ProcFiles {
    pub fds: FdTable,
    /// The working directory; `None` is `/`.
    pub cwd: Option<Pinned>,
    /// The file-creation mask (`umask`), permission bits only.
    pub umask: u32,
    /// Resource limits set by `setrlimit` (`None`: never set, Linux's
    /// defaults), indexed by `RLIMIT_*`.
    pub rlimits: Option<Box<[Rlimit; RLIM_NLIMITS]>>,
    /// The running program (`/proc/N/exe`): its inode, kept alive, and its
    /// absolute path as `execve` resolved it; set by exec, kept by fork.
    pub exe: Option<(Pinned, Arc<[u8]>)>,
}

impl Default for ProcFiles {
    fn default() -> Self {
        ProcFiles { fds: FdTable::default(), cwd: None, umask: super::open::UMASK, rlimits: None, exe: None }
    }
}

impl ProcFiles {
    /// Where relative paths start.
    pub fn cwd_loc(&self) -> Location {
        self.cwd.as_ref().map_or_else(super::mounts::root, Pinned::loc)
    }
}
