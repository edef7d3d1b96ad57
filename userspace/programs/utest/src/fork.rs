//! fork, exit and copy-on-write: a chain of ten nested forks, exit-status
//! truncation, and memory isolation between parent and child in both
//! directions (a global and a heap value).

use crate::ensure;
use crate::harness::{child_status, port, TestResult};
use alloc::boxed::Box;
use alloc::format;
use core::sync::atomic::{AtomicU64, Ordering};
use mello::{ipc_recv, ipc_send, process, Errno};

const CHAIN: i32 = 10;

/// Runs in the process at `depth` (1..=CHAIN): forks the next one, waits
/// for it, and returns its own depth if the child's status was right.
/// Failures are codes >= 100 passed up unchanged: 100 + depth for a wrong
/// status seen at `depth`, 150 + depth for a failed fork or wait.
fn chain(depth: i32) -> i32 {
    if depth == CHAIN {
        return depth;
    }
    let next = depth + 1;
    match process::spawn(move || chain(next)).and_then(process::wait_for) {
        Ok(status) if status == next => depth,
        Ok(status) if status >= 100 => status,
        Ok(_) => 100 + depth,
        Err(_) => 150 + depth,
    }
}

/// Ten processes, each forking the next and checking its exit status.
pub fn fork_chain() -> TestResult {
    let status = child_status(|| chain(1))?;
    ensure!(
        status == 1,
        "chain reported {}: {}",
        status,
        match status {
            101..=149 => format!("process at depth {} saw a wrong exit status", status - 100),
            151..=199 => format!("process at depth {} could not fork or wait", status - 150),
            _ => alloc::string::String::from("expected 1"),
        }
    );
    Ok(())
}

/// `wait` reports `code & 0xff`.
pub fn exit_status_truncated() -> TestResult {
    for (code, want) in [(0x1234, 0x34), (-1, 255), (256, 0), (255, 255)] {
        let got = child_status(move || code)?;
        ensure!(got == want, "exit({:#x}): wait reported {}, expected {}", code, got, want);
    }
    Ok(())
}

static GLOBAL: AtomicU64 = AtomicU64::new(0);

/// Child of [`cow_isolation`]: returns a bit mask of what it saw wrong.
fn cow_child(heap: &AtomicU64) -> i32 {
    let mut bad = 0;
    let mut token = [0u8; 1];
    if ipc_recv(port::COW_TO_CHILD, &mut token).is_err() {
        return 32;
    }
    // The parent has written 2 by now: we must still see the pre-fork 1.
    bad |= (GLOBAL.load(Ordering::SeqCst) != 1) as i32;
    bad |= ((heap.load(Ordering::SeqCst) != 1) as i32) << 1;
    GLOBAL.store(3, Ordering::SeqCst);
    heap.store(3, Ordering::SeqCst);
    bad |= ((GLOBAL.load(Ordering::SeqCst) != 3) as i32) << 2;
    bad |= ((heap.load(Ordering::SeqCst) != 3) as i32) << 3;
    if ipc_send(port::COW_TO_PARENT, b"w").is_err() {
        bad |= 16;
    }
    bad
}

/// After fork the parent writes a global and a heap value; the child still
/// sees the old ones, then writes its own, which the parent must not see.
pub fn cow_isolation() -> TestResult {
    GLOBAL.store(1, Ordering::SeqCst);
    let heap = Box::new(AtomicU64::new(1));
    let pid = process::spawn(|| cow_child(&heap)).map_err(|e| format!("fork: {:?}", e))?;
    GLOBAL.store(2, Ordering::SeqCst);
    heap.store(2, Ordering::SeqCst);
    ipc_send(port::COW_TO_CHILD, b"w").map_err(|e| format!("ipc_send: {:?}", e))?;
    let mut token = [0u8; 1];
    let reply: Result<usize, Errno> = ipc_recv(port::COW_TO_PARENT, &mut token);
    let (global, boxed) = (GLOBAL.load(Ordering::SeqCst), heap.load(Ordering::SeqCst));
    let status = process::wait_for(pid).map_err(|e| format!("wait: {:?}", e))?;
    ensure!(reply.is_ok(), "ipc_recv from the child: {:?}", reply);
    ensure!(global == 2 && boxed == 2, "parent sees global={} heap={} after the child wrote 3, expected 2", global, boxed);
    let what = [
        "child saw the parent's post-fork global",
        "child saw the parent's post-fork heap value",
        "child's global write did not stick",
        "child's heap write did not stick",
        "child's ipc_send failed",
        "child's ipc_recv failed",
    ];
    ensure!(
        status == 0,
        "child status {}: {}",
        status,
        what.iter()
            .enumerate()
            .filter(|(i, _)| status & (1 << i) != 0 && status < 64)
            .map(|(_, w)| *w)
            .collect::<alloc::vec::Vec<_>>()
            .join(", ")
    );
    Ok(())
}
