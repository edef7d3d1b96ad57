//! Permission rules above the filesystem, as Linux's `fs/namei.c`
//! (`generic_permission`, `acl_permission_check`), `fs/open.c` (`chown`
//! clearing set-ID bits) and the umask: pure functions of a [`Stat`] and
//! the caller's [`Cred`]. No locking concerns.
//!
//! * [`may_access`]: `access(2)`/`open`'s check of `R_OK`/`W_OK`/`X_OK`
//!   (bits 4, 2, 1). The owner's bits apply to the owner, the group's to a
//!   member of the file's group, the others' to everyone else. uid 0 has
//!   `CAP_DAC_OVERRIDE`: reading and writing always pass, executing needs
//!   an execute bit somewhere or a directory (`capable_wrt_inode_uidgid`).
//! * [`create_mode`]: a new inode's permission bits (`mode & ~umask`,
//!   `0o7777` kept).
//! * [`chown_mode`]: what `chown` leaves of a non-directory's mode: the
//!   set-user-ID bit goes, and the set-group-ID bit if group-execute is
//!   set (otherwise it marks mandatory locking and stays), whoever calls.

use crate::types::{Cred, Stat, S_ISGID, S_ISUID, S_IXGRP};
use crate::Result;
use mello_abi::Errno;

/// `access` mode bits.
pub const MAY_EXEC: u32 = 1;
pub const MAY_WRITE: u32 = 2;
pub const MAY_READ: u32 = 4;

/// Whether `cred` may do `mask` (`MAY_*` bits) to the inode `st`: `Ok`,
/// or `EACCES`. (Read-only mounts, `EROFS`, are the caller's.)
pub fn may_access(st: &Stat, cred: Cred, mask: u32) -> Result<()> {
    let mask = mask & (MAY_READ | MAY_WRITE | MAY_EXEC);
    if cred.uid == 0 {
        let any_exec = st.mode & 0o111 != 0 || st.is_dir();
        return if mask & MAY_EXEC == 0 || any_exec { Ok(()) } else { Err(Errno::EACCES) };
    }
    let class = if cred.uid == st.uid {
        (st.mode >> 6) & 7
    } else if cred.gid == st.gid {
        (st.mode >> 3) & 7
    } else {
        st.mode & 7
    };
    if mask & !class == 0 {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// Permission bits of a new inode made with `mode` under `umask`.
pub const fn create_mode(mode: u32, umask: u32) -> u32 {
    mode & !umask & 0o7777
}

/// The mode `chown` leaves a file with (`is_dir`: directories keep theirs).
pub const fn chown_mode(mode: u32, is_dir: bool) -> u32 {
    if is_dir {
        return mode;
    }
    let mut mode = mode & !S_ISUID;
    if mode & (S_ISGID | S_IXGRP) == (S_ISGID | S_IXGRP) {
        mode &= !S_ISGID;
    }
    mode
}
