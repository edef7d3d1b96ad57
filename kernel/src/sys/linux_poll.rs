//! The Linux personality's readiness calls: `poll`, `ppoll`, `select`,
//! `pselect6`. They decode Linux's arguments (`struct pollfd` arrays,
//! `fd_set` bitmaps of whole 64-bit words, `timeval`/`timespec` timeouts)
//! and wait through `fs::poll` (one blocking wait for all of them, woken by
//! the files' pollees or by the timeout's scheduler tick).
//!
//! As Linux: `poll` with more descriptors than `RLIMIT_NOFILE` is
//! `EINVAL`, a negative descriptor is skipped, one not open reports
//! `POLLNVAL`; `select` with a descriptor that is not open in a set is
//! `EBADF`, and counts every set bit of its result sets; `select`,
//! `pselect6` and `ppoll` write the time left back into their timeout.
//! `ppoll`'s and `pselect6`'s signal masks are read and checked
//! (`EFAULT`, size `EINVAL`) but have no effect yet: no signal can arrive
//! during the wait (signals are the process layer's).

#![forbid(unsafe_code)]

use super::handlers::{file_of, me};
use super::linux_time::now_ns;
use super::Args;
use crate::error::{Errno, SysResult};
use crate::fs::poll::{deadline_after, PollEntry, PollSet};
use crate::user::uaccess::{self, UserSlice};
use alloc::vec;
use alloc::vec::Vec;
use mello_abi::fs::*;
use mello_abi::linux::fs_types::{fd_isset, fd_set, fd_set_bytes};
use mello_abi::linux::{PollFd, Timespec, Timeval};

/// `select`'s mapping of poll bits to its three sets (Linux's
/// `POLLIN_SET`, `POLLOUT_SET`, `POLLEX_SET`).
const IN_SET: u16 = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const OUT_SET: u16 = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const EX_SET: u16 = POLLPRI;

fn limit() -> Result<usize, Errno> {
    Ok(me()?.files.lock().fds.limit())
}

/// Wait on `set` for at most `timeout_ns` (`None`: no limit); returns the
/// ready count and the nanoseconds left of the timeout.
fn wait(set: &mut PollSet, timeout_ns: Option<u64>) -> Result<(usize, Option<u64>), Errno> {
    let end = timeout_ns.map(|t| now_ns().saturating_add(t));
    let n = set.wait(deadline_after(timeout_ns))?;
    Ok((n, end.map(|e| e.saturating_sub(now_ns()))))
}

fn do_poll(fds: usize, nfds: usize, timeout_ns: Option<u64>) -> Result<(usize, Option<u64>), Errno> {
    if nfds > limit()? {
        return Err(Errno::EINVAL);
    }
    let mut bytes = vec![0u8; nfds * PollFd::SIZE];
    UserSlice::new(fds, bytes.len())?.read_into(&mut bytes)?;
    let mut polls: Vec<PollFd> = bytes.chunks_exact(PollFd::SIZE).map(|c| PollFd::from_bytes(c.try_into().unwrap_or(&[0; 8]))).collect();
    let mut set = PollSet::default();
    for p in &polls {
        let skip = p.fd < 0;
        let file = if skip { None } else { file_of(p.fd as usize).ok() };
        set.entries.push(PollEntry { file, events: p.events, skip, revents: 0 });
    }
    let (n, left) = wait(&mut set, timeout_ns)?;
    for (p, e) in polls.iter_mut().zip(&set.entries) {
        p.revents = e.revents;
    }
    let out: Vec<u8> = polls.iter().flat_map(|p| p.to_bytes()).collect();
    UserSlice::new(fds, out.len())?.write_from(&out)?;
    Ok((n, left))
}

/// poll(fds, nfds, timeout_ms): a negative timeout waits for ever.
pub fn linux_poll(a: &Args) -> SysResult {
    let ms = a.get(2) as i32;
    let timeout = (ms >= 0).then(|| ms as u64 * 1_000_000);
    do_poll(a.get(0) as usize, a.get(1) as u32 as usize, timeout).map(|r| r.0)
}

/// A `timespec` timeout (`0` pointer: none); invalid is `EINVAL`.
fn read_timespec(addr: usize) -> Result<Option<u64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let mut b = [0u8; Timespec::SIZE];
    UserSlice::new(addr, b.len())?.read_into(&mut b)?;
    Timespec::from_bytes(&b).to_nanos().map(Some).ok_or(Errno::EINVAL)
}

/// Read (and ignore: module doc) a signal mask of `size` bytes.
fn check_sigmask(addr: usize, size: usize) -> Result<(), Errno> {
    if addr == 0 {
        return Ok(());
    }
    if size != mello_abi::linux::signal::SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    uaccess::read_u64(addr).map(|_| ())
}

/// ppoll(fds, nfds, tmo_p, sigmask, sigsetsize).
pub fn linux_ppoll(a: &Args) -> SysResult {
    let tsp = a.get(2) as usize;
    let timeout = read_timespec(tsp)?;
    check_sigmask(a.get(3) as usize, a.get(4) as usize)?;
    let (n, left) = do_poll(a.get(0) as usize, a.get(1) as u32 as usize, timeout)?;
    if let Some(left) = left {
        UserSlice::new(tsp, Timespec::SIZE)?.write_from(&Timespec::from_nanos(left).to_bytes())?;
    }
    Ok(n)
}

/// The core of `select` and `pselect6`.
fn do_select(nfds: i32, sets: [usize; 3], timeout_ns: Option<u64>) -> Result<(usize, Option<u64>), Errno> {
    if nfds < 0 {
        return Err(Errno::EINVAL);
    }
    let nfds = (nfds as usize).min(limit()?);
    let len = fd_set_bytes(nfds);
    let mut bits = [vec![0u8; len], vec![0u8; len], vec![0u8; len]];
    for (addr, b) in sets.iter().zip(bits.iter_mut()) {
        if *addr != 0 {
            UserSlice::new(*addr, len)?.read_into(b)?;
        }
    }
    let mut set = PollSet { always: 0, ..PollSet::default() };
    let mut fds = Vec::new();
    for fd in 0..nfds {
        let events = [IN_SET, OUT_SET, EX_SET]
            .iter()
            .zip(&bits)
            .filter(|(_, b)| fd_isset(b, fd))
            .fold(0, |acc, (ev, _)| acc | ev);
        if events == 0 {
            continue;
        }
        set.entries.push(PollEntry { file: Some(file_of(fd)?), events, skip: false, revents: 0 });
        fds.push(fd);
    }
    let (_, left) = wait(&mut set, timeout_ns)?;
    let mut out = [vec![0u8; len], vec![0u8; len], vec![0u8; len]];
    let mut count = 0;
    for (e, &fd) in set.entries.iter().zip(&fds) {
        for (i, mask) in [IN_SET, OUT_SET, EX_SET].iter().enumerate() {
            if fd_isset(&bits[i], fd) && e.revents & mask != 0 {
                fd_set(&mut out[i], fd);
                count += 1;
            }
        }
    }
    for (addr, b) in sets.iter().zip(&out) {
        if *addr != 0 {
            UserSlice::new(*addr, len)?.write_from(b)?;
        }
    }
    Ok((count, left))
}

/// select(nfds, readfds, writefds, exceptfds, timeout).
pub fn linux_select(a: &Args) -> SysResult {
    let tvp = a.get(4) as usize;
    let timeout = if tvp == 0 {
        None
    } else {
        let mut b = [0u8; Timeval::SIZE];
        UserSlice::new(tvp, b.len())?.read_into(&mut b)?;
        let tv = Timeval::from_bytes(&b);
        if tv.tv_sec < 0 || !(0..1_000_000).contains(&tv.tv_usec) {
            return Err(Errno::EINVAL);
        }
        Some((tv.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(tv.tv_usec as u64 * 1000))
    };
    let sets = [a.get(1) as usize, a.get(2) as usize, a.get(3) as usize];
    let (n, left) = do_select(a.get(0) as i32, sets, timeout)?;
    if let Some(left) = left {
        UserSlice::new(tvp, Timeval::SIZE)?.write_from(&Timeval::from_nanos(left).to_bytes())?;
    }
    Ok(n)
}

/// pselect6(nfds, readfds, writefds, exceptfds, timeout, sigdata):
/// `sigdata` points at `{ const sigset_t *ss; size_t ss_len; }`.
pub fn linux_pselect6(a: &Args) -> SysResult {
    let tsp = a.get(4) as usize;
    let timeout = read_timespec(tsp)?;
    let sig = a.get(5) as usize;
    if sig != 0 {
        let mut b = [0u8; 16];
        UserSlice::new(sig, 16)?.read_into(&mut b)?;
        let ss = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8])) as usize;
        let len = u64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8])) as usize;
        check_sigmask(ss, len)?;
    }
    let sets = [a.get(1) as usize, a.get(2) as usize, a.get(3) as usize];
    let (n, left) = do_select(a.get(0) as i32, sets, timeout)?;
    if let Some(left) = left {
        UserSlice::new(tsp, Timespec::SIZE)?.write_from(&Timespec::from_nanos(left).to_bytes())?;
    }
    Ok(n)
}
