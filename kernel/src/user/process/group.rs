//! Process groups and sessions: `setpgid`, `setsid` and the membership
//! tests job control and the terminal use.
//!
//! Every process has a process-group id and a session id (Linux's rules in
//! `setpgid`/`setsid`); the kernel's own processes (init) start in group 0,
//! session 0, as Linux's init does; children inherit both.
//!
//! Locking: `Process::pgid` and `Process::sid` are written only under
//! `TABLE` (level `ProcessTable`), which every function here takes, so a
//! group's membership cannot change while it is checked; a child's
//! `did_exec` is read under its `Process::inner` (level `Process`), inside
//! `TABLE`.

use super::{Pid, Process, TABLE};
use crate::error::Errno;
use core::sync::atomic::Ordering::Relaxed;

/// `setpgid(pid, pgid)` by `me` (Linux's rules): `pid` 0 is `me`, `pgid` 0
/// is `pid`.
pub fn set_pgid(me: &Process, pid: Pid, pgid: Pid) -> Result<(), Errno> {
    let table = TABLE.lock();
    let pid = if pid == 0 { me.pid } else { pid };
    let pgid = if pgid == 0 { pid } else { pgid };
    let target = table.get(pid).ok_or(Errno::ESRCH)?;
    if pid != me.pid {
        if table.parent(pid) != Some(me.pid) {
            return Err(Errno::ESRCH);
        }
        if target.sid() != me.sid() {
            return Err(Errno::EPERM);
        }
        if target.inner.lock().did_exec {
            return Err(Errno::EACCES);
        }
    }
    if target.sid() == target.pid {
        return Err(Errno::EPERM); // a session leader
    }
    if pgid != pid {
        let exists = table.payloads().any(|p| p.pgid() == pgid && p.sid() == me.sid());
        if !exists {
            return Err(Errno::EPERM);
        }
    }
    target.pgid.store(pgid, Relaxed);
    Ok(())
}

/// `setsid()`: a new session and group led by `me`, without a controlling
/// terminal; `EPERM` for a group leader (or if the group id is in use).
pub fn set_sid(me: &Process) -> Result<Pid, Errno> {
    let table = TABLE.lock();
    if table.payloads().any(|p| p.pgid() == me.pid) {
        return Err(Errno::EPERM);
    }
    me.pgid.store(me.pid, Relaxed);
    me.sid.store(me.pid, Relaxed);
    me.ctty.store(false, Relaxed);
    Ok(me.pid)
}

/// Whether some process is in group `pgid` of session `sid`.
pub fn group_in_session(pgid: Pid, sid: Pid) -> bool {
    TABLE.lock().payloads().any(|p| p.pgid() == pgid && p.sid() == sid)
}

/// Whether some process is in group `pgid`.
pub fn group_exists(pgid: Pid) -> bool {
    TABLE.lock().payloads().any(|p| p.pgid() == pgid)
}
