//! wait: no children, not-our-child pids, a null status pointer, `-1`
//! (any child), a specific child among several, a bad status pointer, and
//! orphans re-parented to init (this suite runs as PID 1).

use crate::ensure;
use crate::harness::{describe, port, TestResult, KERNEL_ADDR};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use mello::abi::{nr, WAIT_ANY};
use mello::{exit, ipc_recv, ipc_send, process, raw, sleep, wait, Errno};

/// Maps an errno to `"what: errno"` for `?`.
fn fail(what: &str) -> impl FnOnce(Errno) -> String + '_ {
    move |e| format!("{}: {:?}", what, e)
}

fn recv_usize(port: usize) -> Result<usize, Errno> {
    let mut buf = [0u8; 8];
    ipc_recv(port, &mut buf)?;
    Ok(usize::from_le_bytes(buf))
}

/// `wait(-1)` with no children at all.
pub fn wait_no_children() -> TestResult {
    let r = wait(WAIT_ANY, None);
    ensure!(r == Err(Errno::ECHILD), "wait(-1) without children: expected ECHILD, got {:?}", r);
    Ok(())
}

/// Pids that are not our children: ourselves, a pid nobody has, and a
/// grandchild (which must give ECHILD at once, not block).
pub fn wait_not_our_child() -> TestResult {
    for pid in [1isize, 99_999] {
        let r = wait(pid, None);
        ensure!(r == Err(Errno::ECHILD), "wait({}): expected ECHILD, got {:?}", pid, r);
    }
    let child = process::spawn(|| {
        let grandchild = match process::spawn(|| {
            let mut go = [0u8; 1];
            ipc_recv(port::WAIT_HOLD, &mut go).map_or(1, |_| 0)
        }) {
            Ok(pid) => pid,
            Err(_) => return 1,
        };
        let _ = ipc_send(port::WAIT_PID, &grandchild.to_le_bytes());
        process::wait_for(grandchild).unwrap_or(2)
    })
    .map_err(fail("fork"))?;
    let grandchild = recv_usize(port::WAIT_PID).map_err(fail("ipc_recv"))?;
    let r = wait(grandchild as isize, None);
    let released = ipc_send(port::WAIT_HOLD, b"g");
    let status = process::wait_for(child).map_err(fail("wait(child)"))?;
    ensure!(r == Err(Errno::ECHILD), "wait(grandchild {}): expected ECHILD, got {:?}", grandchild, r);
    ensure!(released.is_ok() && status == 0, "child/grandchild did not finish cleanly (status {})", status);
    Ok(())
}

/// A null status pointer is allowed.
pub fn wait_null_status() -> TestResult {
    let pid = process::spawn(|| 7).map_err(fail("fork"))?;
    let r = wait(pid as isize, None);
    ensure!(r == Ok(pid), "wait({}, NULL): expected Ok({}), got {:?}", pid, pid, r);
    Ok(())
}

/// `wait(-1)` reaps every child once, each with its own status.
pub fn wait_any() -> TestResult {
    let mut expected: Vec<(usize, i32)> = Vec::new();
    for code in [11, 12, 13] {
        expected.push((process::spawn(move || code).map_err(fail("fork"))?, code));
    }
    for _ in 0..expected.len() {
        let (pid, status) = process::wait_any().map_err(fail("wait(-1)"))?;
        let at = expected.iter().position(|&(p, _)| p == pid);
        ensure!(at.is_some(), "wait(-1) returned pid {} which is not (or no longer) our child", pid);
        let (_, code) = expected.swap_remove(at.unwrap());
        ensure!(status == code, "wait(-1) gave pid {} status {}, expected {}", pid, status, code);
    }
    let r = wait(WAIT_ANY, None);
    ensure!(r == Err(Errno::ECHILD), "wait(-1) after reaping all: expected ECHILD, got {:?}", r);
    Ok(())
}

/// `wait(pid)` returns that child even while another one is still alive.
pub fn wait_specific() -> TestResult {
    let blocked = process::spawn(|| {
        let mut go = [0u8; 1];
        ipc_recv(port::WAIT_HOLD, &mut go).map_or(1, |_| 0)
    })
    .map_err(fail("fork"))?;
    let quick = process::spawn(|| 5).map_err(fail("fork"))?;
    let first = process::wait_for(quick);
    let released = ipc_send(port::WAIT_HOLD, b"g");
    let second = process::wait_for(blocked);
    ensure!(first == Ok(5), "wait({}) for the exited child: expected status 5, got {:?}", quick, first);
    ensure!(released.is_ok() && second == Ok(0), "the blocked child: release {:?}, status {:?}", released, second);
    Ok(())
}

/// A kernel-address status pointer gives EFAULT.
pub fn wait_bad_status_pointer() -> TestResult {
    let pid = process::spawn(|| 9).map_err(fail("fork"))?;
    // SAFETY: the kernel must refuse to write to a kernel address.
    let r = unsafe { raw::syscall6(nr::WAIT, [pid, KERNEL_ADDR, 0, 0, 0, 0]) };
    // Reap it if the failed wait did not (either is allowed).
    let cleanup = wait(pid as isize, None);
    ensure!(r == Errno::EFAULT.as_ret(), "wait({}, kernel address): expected EFAULT, got {}", pid, describe(r));
    ensure!(cleanup == Ok(pid) || cleanup == Err(Errno::ECHILD), "wait after EFAULT: {:?}", cleanup);
    Ok(())
}

/// A child forks a grandchild and exits first; the live grandchild is
/// re-parented to init (us), and our `wait(-1)` reaps it.
pub fn orphan_reparented() -> TestResult {
    let child = process::spawn(|| {
        let grandchild = process::spawn(|| {
            let mut go = [0u8; 1];
            ipc_recv(port::ORPHAN_GO, &mut go).map_or(1, |_| 42)
        });
        match grandchild {
            Ok(pid) => ipc_send(port::ORPHAN_PID, &pid.to_le_bytes()).map_or(2, |_| 0),
            Err(_) => 1,
        }
    })
    .map_err(fail("fork"))?;
    let grandchild = recv_usize(port::ORPHAN_PID).map_err(fail("ipc_recv"))?;
    let status = process::wait_for(child).map_err(fail("wait(child)"))?;
    ensure!(status == 0, "child exited with {}", status);
    ipc_send(port::ORPHAN_GO, b"g").map_err(fail("ipc_send"))?;
    let r = process::wait_any();
    ensure!(r == Ok((grandchild, 42)), "wait(-1) for the orphan {}: expected Ok(({}, 42)), got {:?}", grandchild, grandchild, r);
    Ok(())
}

/// The grandchild exits before its parent does (a zombie whose parent then
/// dies): init must still be able to reap it.
pub fn orphan_zombie_reaped() -> TestResult {
    let child = process::spawn(|| {
        let Ok(grandchild) = process::spawn(|| {
            let _ = ipc_send(port::ORPHAN_DONE, b"d");
            43
        }) else {
            return 1;
        };
        let mut done = [0u8; 1];
        let _ = ipc_recv(port::ORPHAN_DONE, &mut done);
        let _ = sleep(2); // let the grandchild finish exiting
        let _ = ipc_send(port::ORPHAN_PID, &grandchild.to_le_bytes());
        exit(0) // without waiting for the grandchild
    })
    .map_err(fail("fork"))?;
    let grandchild = recv_usize(port::ORPHAN_PID).map_err(fail("ipc_recv"))?;
    let status = process::wait_for(child).map_err(fail("wait(child)"))?;
    ensure!(status == 0, "child exited with {}", status);
    let r = process::wait_any();
    ensure!(r == Ok((grandchild, 43)), "wait(-1) for the orphaned zombie {}: expected Ok(({}, 43)), got {:?}", grandchild, grandchild, r);
    Ok(())
}
