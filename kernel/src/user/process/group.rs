//! Process groups and sessions: `setpgid`, `setsid` and the membership
//! tests job control and the terminal use.
//!
//! Every process has a process-group id and a session id (Linux's rules in
//! `setpgid`/`setsid`, which are `proctable`'s: `ProcTable::setpgid_target`
//! and `setsid_allowed`, host-tested); the kernel's own processes (init)
//! start in group 0, session 0, as Linux's init does; children inherit
//! both. This file reads the ids for the crate and stores its answers.
//!
//! Locking: `Process::pgid` and `Process::sid` are written only under
//! `TABLE` (level `ProcessTable`), which every function here takes, so a
//! group's membership cannot change while it is checked; a child's
//! `did_exec` is read under its `Process::inner` (level `Process`), inside
//! `TABLE`.

use super::{Pid, Process, TABLE};
use crate::error::Errno;
use alloc::sync::Arc;
use core::sync::atomic::Ordering::Relaxed;
use proctable::{GroupError, Ids};

/// A process's ids, as the table's group rules read them.
fn ids(p: &Arc<Process>) -> Ids {
    Ids { pgid: p.pgid(), sid: p.sid() }
}

fn errno(e: GroupError) -> Errno {
    match e {
        GroupError::NoSuchProcess => Errno::ESRCH,
        GroupError::NotPermitted => Errno::EPERM,
        GroupError::Execed => Errno::EACCES,
    }
}

/// `setpgid(pid, pgid)` by `me` (Linux's rules): `pid` 0 is `me`, `pgid` 0
/// is `pid`.
pub fn set_pgid(me: &Process, pid: Pid, pgid: Pid) -> Result<(), Errno> {
    let table = TABLE.lock();
    let (pid, pgid) = table.setpgid_target(me.pid, pid, pgid, ids, |p| p.inner.lock().did_exec).map_err(errno)?;
    table.get(pid).ok_or(Errno::ESRCH)?.pgid.store(pgid, Relaxed);
    Ok(())
}

/// `setsid()`: a new session and group led by `me`, without a controlling
/// terminal; `EPERM` for a group leader (or if the group id is in use).
pub fn set_sid(me: &Process) -> Result<Pid, Errno> {
    let table = TABLE.lock();
    table.setsid_allowed(me.pid, ids).map_err(errno)?;
    me.pgid.store(me.pid, Relaxed);
    me.sid.store(me.pid, Relaxed);
    me.ctty.store(false, Relaxed);
    Ok(me.pid)
}

/// Whether some process is in group `pgid` of session `sid`.
pub fn group_in_session(pgid: Pid, sid: Pid) -> bool {
    TABLE.lock().group_in_session(pgid, sid, ids)
}

/// Whether some process is in group `pgid`.
pub fn group_exists(pgid: Pid) -> bool {
    TABLE.lock().group_exists(pgid, ids)
}
