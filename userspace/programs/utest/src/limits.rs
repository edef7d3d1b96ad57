//! Process-limit exhaustion and recovery: fork until `EAGAIN` (at most
//! `MAX_PROCS` live processes, counting us), with every child blocked in
//! `ipc_recv`; then release and reap them all, and do it again: the same
//! number of forks must succeed the second time (no slot leaked).

use crate::ensure;
use crate::harness::{port, TestResult};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use mello::limits::MAX_PROCS;
use mello::{exit, fork, ipc_recv, ipc_send, process, yield_now, Errno};

/// Forks blocked children until fork fails; returns their pids and the
/// error that stopped us (`None`: no limit within MAX_PROCS + 4 forks).
fn fork_until_full() -> (Vec<usize>, Option<Errno>) {
    let mut pids = Vec::with_capacity(MAX_PROCS + 8);
    loop {
        match fork() {
            Ok(0) => {
                let mut go = [0u8; 1];
                exit(if ipc_recv(port::LIMIT, &mut go).is_ok() { 0 } else { 1 });
            }
            Ok(pid) => pids.push(pid),
            Err(e) => return (pids, Some(e)),
        }
        if pids.len() > MAX_PROCS + 4 {
            return (pids, None);
        }
    }
}

/// Releases every blocked child (retrying while the port's queue is full)
/// and reaps them; returns how many exited with a status other than 0.
fn release_and_reap(pids: &[usize]) -> Result<usize, String> {
    for _ in pids {
        loop {
            match ipc_send(port::LIMIT, b"g") {
                Ok(_) => break,
                Err(Errno::EAGAIN) => {
                    let _ = yield_now();
                }
                Err(e) => return Err(format!("ipc_send release: {:?}", e)),
            }
        }
    }
    let mut bad = 0;
    for _ in pids {
        let (pid, status) = process::wait_any().map_err(|e| format!("wait(-1): {:?}", e))?;
        ensure!(pids.contains(&pid), "wait(-1) returned {} which we never forked", pid);
        bad += (status != 0) as usize;
    }
    Ok(bad)
}

pub fn process_limit() -> TestResult {
    let mut counts = Vec::new();
    for round in 1..=2 {
        let (pids, stop) = fork_until_full();
        let reaped = release_and_reap(&pids);
        ensure!(stop == Some(Errno::EAGAIN), "round {}: fork stopped after {} children with {:?}, expected EAGAIN", round, pids.len(), stop);
        let bad = reaped?;
        ensure!(bad == 0, "round {}: {} children exited with a non-zero status", round, bad);
        counts.push(pids.len());
    }
    ensure!(counts[0] == MAX_PROCS - 1, "fork succeeded {} times with only us alive, expected MAX_PROCS - 1 = {}", counts[0], MAX_PROCS - 1);
    ensure!(counts[1] == counts[0], "after reaping, only {} forks succeeded (first round: {}): slots leaked", counts[1], counts[0]);
    let status = process::spawn(|| 0).and_then(process::wait_for);
    ensure!(status == Ok(0), "fork after recovery: {:?}", status);
    Ok(())
}
