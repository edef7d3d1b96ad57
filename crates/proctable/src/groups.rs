//! Process groups and sessions: Linux's rules for `setpgid` and `setsid`,
//! and the membership tests job control and the terminal use.
//!
//! The table does not store the ids: the caller's payload does (the
//! kernel's `Process::pgid`/`sid`, atomics its signal and terminal code
//! read without the table's lock), and every function here is told how to
//! read them (`ids`). The rules decide; the caller stores the result,
//! under the same lock it holds the table with, so a group's membership
//! cannot change between the check and the store.
//!
//! Rules (Linux's `setpgid`): `pid` 0 means the caller, `pgid` 0 means
//! `pid`. The target must be the caller or a child of it (`ESRCH`); a child
//! must be in the caller's session (`EPERM`) and must not have run `exec`
//! (`EACCES`); a session leader cannot move (`EPERM`); a group other than
//! the target's own pid must already exist in the caller's session
//! (`EPERM`). `setsid`: refused (`EPERM`) when any process, zombies
//! included, has the caller's pid as its group id (the caller leads a
//! group, or the id is in use).
//!
//! Invariants: none of the table's own are touched here (read only).

use super::{Pid, ProcTable};

/// A process's group and session ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    pub pgid: Pid,
    pub sid: Pid,
}

/// Why `setpgid`/`setsid` refuse (each variant names the errno the
/// kernel returns for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupError {
    /// No such process, or not the caller or its child (`ESRCH`).
    NoSuchProcess,
    /// Another session, a session leader, no such group (`EPERM`).
    NotPermitted,
    /// The child has run `exec` (`EACCES`).
    Execed,
}

impl<T, S: Copy> ProcTable<T, S> {
    /// Check `setpgid(pid, pgid)` by `me`; returns the target's pid and
    /// the group it is to join (0s resolved). `did_exec` is asked only of
    /// a child of `me` in its session.
    pub fn setpgid_target(
        &self,
        me: Pid,
        pid: Pid,
        pgid: Pid,
        ids: impl Fn(&T) -> Ids,
        did_exec: impl Fn(&T) -> bool,
    ) -> Result<(Pid, Pid), GroupError> {
        let pid = if pid == 0 { me } else { pid };
        let pgid = if pgid == 0 { pid } else { pgid };
        let my_sid = ids(self.get(me).ok_or(GroupError::NoSuchProcess)?).sid;
        let target = self.get(pid).ok_or(GroupError::NoSuchProcess)?;
        let target_ids = ids(target);
        if pid != me {
            if self.parent(pid) != Some(me) {
                return Err(GroupError::NoSuchProcess);
            }
            if target_ids.sid != my_sid {
                return Err(GroupError::NotPermitted);
            }
            if did_exec(target) {
                return Err(GroupError::Execed);
            }
        }
        if target_ids.sid == pid {
            return Err(GroupError::NotPermitted); // a session leader
        }
        if pgid != pid && !self.group_in_session(pgid, my_sid, &ids) {
            return Err(GroupError::NotPermitted);
        }
        Ok((pid, pgid))
    }

    /// Check `setsid()` by `me`: refused while any process is in group
    /// `me` (then the caller makes `me` its group and session, and drops
    /// its controlling terminal).
    pub fn setsid_allowed(&self, me: Pid, ids: impl Fn(&T) -> Ids) -> Result<(), GroupError> {
        if self.group_exists(me, ids) {
            return Err(GroupError::NotPermitted);
        }
        Ok(())
    }

    /// Whether some process (zombies included) is in group `pgid`.
    pub fn group_exists(&self, pgid: Pid, ids: impl Fn(&T) -> Ids) -> bool {
        self.payloads().any(|p| ids(p).pgid == pgid)
    }

    /// Whether some process (zombies included) is in group `pgid` of
    /// session `sid`.
    pub fn group_in_session(&self, pgid: Pid, sid: Pid, ids: impl Fn(&T) -> Ids) -> bool {
        self.payloads().any(|p| ids(p) == Ids { pgid, sid })
    }
}
