//! Waiting for readiness on many files at once: the kernel side of
//! `poll`, `ppoll`, `select` and `pselect6` (the Linux personality decodes
//! their arguments in `sys/linux_poll.rs`).
//!
//! * [`PollSet`]: the files asked about, each with the events wanted; its
//!   [`scan`](PollSet::scan) fills in what each is ready for now
//!   (`OpenFile::poll`, Linux's bits: no per-type code here) and counts
//!   the ready ones. `POLLERR` and `POLLHUP` are always reported, as in
//!   Linux; a descriptor that is not open is `POLLNVAL`.
//! * [`wait_any`]: the one blocking wait, `sched::pollee::wait_until_deadline`
//!   over every file's pollee: a non-blocking attempt retried each time a
//!   pollee is notified, or the deadline passes (a scheduler tick wakes
//!   it), never a busy loop. Everything that blocks for `poll`/`select`
//!   goes through this function, so making it interruptible (signals:
//!   `EINTR`) is a change in one place.
//!
//! Locking: none held here; each `OpenFile::poll` takes its object's own
//! lock briefly. The files are `Arc`s taken from the descriptor table
//! before waiting, so a concurrent `close` does not free them under us.

use super::file::OpenFile;
use crate::sched::pollee::{self, Pollee};
use alloc::sync::Arc;
use alloc::vec::Vec;
use mello_abi::fs::{POLLERR, POLLHUP, POLLNVAL};
use mello_abi::Errno;

/// One file asked about.
pub struct PollEntry {
    /// `None`: the descriptor is not open (`POLLNVAL`), or negative
    /// (ignored: `skip`).
    pub file: Option<Arc<OpenFile>>,
    pub events: u16,
    /// The descriptor was negative: report nothing.
    pub skip: bool,
    /// Filled by `scan`.
    pub revents: u16,
}

/// The files of one `poll`/`select` call.
pub struct PollSet {
    pub entries: Vec<PollEntry>,
    /// Reported whether asked for or not: `POLLERR | POLLHUP` for `poll`;
    /// nothing for `select`, whose sets ask for them explicitly.
    pub always: u16,
}

impl Default for PollSet {
    fn default() -> Self {
        PollSet { entries: Vec::new(), always: POLLERR | POLLHUP }
    }
}

impl PollSet {
    /// Fill in every entry's `revents`; the number of entries with any.
    pub fn scan(&mut self) -> usize {
        let mut ready = 0;
        for e in &mut self.entries {
            e.revents = match (&e.file, e.skip) {
                (_, true) => 0,
                (None, false) => POLLNVAL,
                (Some(f), false) => f.poll().0 & (e.events | self.always),
            };
            if e.revents != 0 {
                ready += 1;
            }
        }
        ready
    }

    /// Block until at least one entry is ready or the scheduler tick
    /// reaches `deadline` (`None`: no limit; a deadline already passed
    /// scans once). Returns how many are ready (0 on timeout).
    pub fn wait(&mut self, deadline: Option<u64>) -> Result<usize, Errno> {
        let files: Vec<Arc<OpenFile>> = self.entries.iter().filter_map(|e| e.file.clone()).collect();
        let pollees: Vec<&Pollee> = files.iter().filter_map(|f| f.poll().1).collect();
        let result = wait_any(&pollees, deadline, || match self.scan() {
            0 => Err(Errno::EAGAIN),
            n => Ok(n),
        });
        match result {
            Err(Errno::ETIMEDOUT) => Ok(0),
            other => other,
        }
    }
}

/// The blocking wait behind `poll`/`select` (module doc): run `attempt`
/// until it is not `EAGAIN`, sleeping on `pollees` between tries;
/// `ETIMEDOUT` once the tick reaches `deadline`.
pub fn wait_any<R>(pollees: &[&Pollee], deadline: Option<u64>, attempt: impl FnMut() -> Result<R, Errno>) -> Result<R, Errno> {
    pollee::wait_until_deadline(pollees, deadline, attempt)
}

/// The scheduler tick by which `ns` nanoseconds from now have surely
/// passed (rounded up to whole ticks, plus the tick in progress), as
/// `sched::sleep` counts; `None` for no limit.
pub fn deadline_after(ns: Option<u64>) -> Option<u64> {
    let ns = ns?;
    let tick_ns = 1_000_000_000 / crate::config::SCHED_HZ;
    let now = crate::sched::sleep::now();
    Some(if ns == 0 { now } else { now.saturating_add(ns.div_ceil(tick_ns)).saturating_add(1) })
}
