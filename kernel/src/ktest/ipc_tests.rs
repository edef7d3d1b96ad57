//! IPC tests: spec Tests 7.4 and 7.5, and the port contract of the spec
//! and the README ABI: 16-message queues (a 17th send gives `EAGAIN`), blocking
//! receive with FIFO wake order, messages of at most 4096 bytes, ports
//! 0–255 (`EINVAL` otherwise). Truncating a long message to the user's
//! buffer is the system-call layer's job (`sys::handlers`); here the kernel
//! API is tested: `port::send(port, Vec<u8>)` (non-blocking) and
//! `port::recv(port) -> Vec<u8>` (blocking).
//!
//! Ports 200–209 belong to these tests (user programs use low ports).
//! Every test drains its ports before and after, and never leaves a task
//! blocked: on a timeout it sends filler messages so blocked receivers
//! return and exit.

use super::helpers::{check, drain, errors, new_task, release_ports, report, spawn, wait_until, Defer};
use super::Test;
use crate::error::Errno;
use crate::kassert;
use crate::metrics::METRICS;
use crate::sched::{self, task::TaskState, Priority};
use crate::sync::{LockLevel, SpinLock};
use crate::sys::port;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering::*};

pub const TESTS: &[Test] = &[
    ("7.4 IPC sender/receiver: a blocked receiver gets the message", sender_receiver),
    ("7.4 IPC: a message sent before recv waits in the queue", queued_before_recv),
    ("7.5 IPC stress: 100 ping-pong round trips between two tasks", ping_pong),
    ("IPC: 16-message queue, 17th send -> EAGAIN, FIFO delivery", queue_full),
    ("IPC: three blocked receivers are served in the order they blocked", fifo_wake_order),
    ("IPC: limits (4096 bytes ok, 4097 -> EINVAL, port 256 -> EINVAL)", limits),
];

/// Marks a message that tells a test task to give up (never a test payload).
const ABORT: &[u8] = b"ktest-abort";

type Slot = Arc<SpinLock<Option<Vec<u8>>>>;

fn slot() -> Slot {
    Arc::new(SpinLock::new(LockLevel::ProcessTable, "ktest-slot", None))
}

/// A receiver task that stores the first message it gets from `port`.
fn receiver(port_id: usize, into: Slot) -> Result<Arc<crate::sched::task::Task>, String> {
    new_task("ipc-receiver", Priority::Normal, None, move || {
        let msg = port::recv(port_id).unwrap_or_else(|e| format!("recv error {e:?}").into_bytes());
        *into.lock() = Some(msg);
    })
}

/// Unblock anything still waiting on `port_id` (after a failure), then empty it.
fn unblock_and_drain(port_id: usize, tasks: &[Arc<crate::sched::task::Task>]) {
    for t in tasks {
        if t.state() == TaskState::Blocked {
            let _ = port::send(port_id, ABORT.to_vec());
        }
    }
    let _ = wait_until(20, "blocked receivers to leave", || tasks.iter().all(|t| t.state() != TaskState::Blocked));
    drain(port_id);
}

/// Proves: a receiver blocks on an empty port (state Blocked, nothing
/// queued) and a send from another task hands it exactly that message and
/// wakes it.
fn sender_receiver() -> Result<(), String> {
    const P: usize = 200;
    drain(P);
    let got = slot();
    let rx = receiver(P, got.clone())?;
    let _cleanup = Defer(|| unblock_and_drain(P, core::slice::from_ref(&rx)));
    sched::start(rx.clone());
    wait_until(40, "the receiver to block in recv", || rx.state() == TaskState::Blocked)?;
    kassert!(port::queued(P) == 0, "a message is queued before any send");
    let (sends, wakes) = (METRICS.ipc_sends.load(Relaxed), METRICS.wake_count.load(Relaxed));
    let sent = Arc::new(SpinLock::new(LockLevel::ProcessTable, "ktest-sent", None));
    let s = sent.clone();
    spawn("ipc-sender", Priority::Normal, move || {
        *s.lock() = Some(port::send(P, b"hello from the sender".to_vec()));
    })?;
    wait_until(40, "the receiver to get the message", || got.lock().is_some())?;
    kassert!(*sent.lock() == Some(Ok(())), "send returned {:?}", *sent.lock());
    let msg = got.lock().take().unwrap_or_default();
    kassert!(msg == b"hello from the sender", "received {:?}", String::from_utf8_lossy(&msg));
    kassert!(port::queued(P) == 0, "the message was queued instead of handed to the waiter");
    kassert!(METRICS.ipc_sends.load(Relaxed) > sends, "METRICS.ipc_sends did not grow");
    kassert!(METRICS.wake_count.load(Relaxed) > wakes, "METRICS.wake_count did not grow");
    Ok(())
}

/// Proves: with no receiver waiting, a send is queued, and a later recv
/// returns it at once.
fn queued_before_recv() -> Result<(), String> {
    const P: usize = 201;
    drain(P);
    let _cleanup = Defer(|| drain(P));
    kassert!(port::send(P, b"early".to_vec()).is_ok(), "send to an idle port failed");
    kassert!(port::queued(P) == 1, "queued({P}) = {}, want 1", port::queued(P));
    let got = slot();
    let rx = receiver(P, got.clone())?;
    sched::start(rx.clone());
    let waited = wait_until(40, "the receiver to get the queued message", || got.lock().is_some());
    if waited.is_err() {
        unblock_and_drain(P, core::slice::from_ref(&rx));
    }
    waited?;
    let msg = got.lock().take().unwrap_or_default();
    kassert!(msg == b"early", "received {:?}", String::from_utf8_lossy(&msg));
    kassert!(port::queued(P) == 0, "the message is still queued");
    Ok(())
}

/// Proves (spec Test 7.5): 100 request/reply round trips between two tasks
/// arrive complete, in order, with the right contents, and nothing is left
/// queued.
fn ping_pong() -> Result<(), String> {
    const TO_B: usize = 202;
    const TO_A: usize = 203;
    const ROUNDS: u32 = 100;
    drain(TO_B);
    drain(TO_A);
    let errs = errors();
    let done = Arc::new(AtomicUsize::new(0));
    let (e, d) = (errs.clone(), done.clone());
    spawn("ping", Priority::Normal, move || {
        for i in 0..ROUNDS {
            if let Err(err) = port::send(TO_B, i.to_le_bytes().to_vec()) {
                return report(&e, format!("ping: send {i}: {err:?}"));
            }
            match port::recv(TO_A) {
                Ok(m) if m == ABORT => return,
                Ok(m) if m == (i + 1000).to_le_bytes() => {}
                other => return report(&e, format!("ping: round {i}: got {other:?}")),
            }
        }
        d.fetch_add(1, Release);
    })?;
    let (e, d) = (errs.clone(), done.clone());
    spawn("pong", Priority::Normal, move || {
        for i in 0..ROUNDS {
            match port::recv(TO_B) {
                Ok(m) if m == ABORT => return,
                Ok(m) if m == i.to_le_bytes() => {}
                other => return report(&e, format!("pong: round {i}: got {other:?}")),
            }
            if let Err(err) = port::send(TO_A, (i + 1000).to_le_bytes().to_vec()) {
                return report(&e, format!("pong: send {i}: {err:?}"));
            }
        }
        d.fetch_add(1, Release);
    })?;
    let finished = wait_until(400, "100 round trips", || done.load(Acquire) == 2 || !errs.lock().is_empty());
    if finished.is_err() || !errs.lock().is_empty() {
        // Unblock whichever side still waits.
        release_ports(&[TO_A, TO_B], ABORT, 1, 20, || Arc::strong_count(&done) == 1);
    }
    check(&errs)?;
    finished?;
    kassert!(port::queued(TO_A) + port::queued(TO_B) == 0, "messages left over after the exchange");
    Ok(())
}

/// Proves: a port holds exactly 16 messages; the 17th send fails with
/// EAGAIN (counted in METRICS.ipc_queue_full) without disturbing the queue;
/// the 16 come out in FIFO order; afterwards the port accepts sends again.
fn queue_full() -> Result<(), String> {
    const P: usize = 204;
    drain(P);
    let _cleanup = Defer(|| drain(P));
    let full = METRICS.ipc_queue_full.load(Relaxed);
    for i in 0..16u8 {
        let r = port::send(P, vec![i; 1 + i as usize]);
        kassert!(r.is_ok(), "send {} of 16 failed: {r:?}", i + 1);
    }
    let r = port::send(P, vec![99]);
    kassert!(r == Err(Errno::EAGAIN), "17th send returned {r:?}, want EAGAIN");
    kassert!(port::queued(P) == 16, "queued = {} after the refused send", port::queued(P));
    kassert!(METRICS.ipc_queue_full.load(Relaxed) == full + 1, "METRICS.ipc_queue_full did not grow by 1");
    for i in 0..16u8 {
        let m = port::recv(P).map_err(|e| format!("recv {i}: {e:?}"))?;
        kassert!(m == vec![i; 1 + i as usize], "message {i} out of order or corrupted: {m:?}");
    }
    kassert!(port::queued(P) == 0, "port not empty after 16 receives");
    kassert!(port::send(P, vec![1]).is_ok(), "send after draining failed");
    Ok(())
}

/// Proves: receivers blocked on one port are served first-come
/// first-served: three receivers (placed on whatever CPUs the scheduler
/// picks) that blocked in order 1, 2, 3 get messages 1, 2, 3.
fn fifo_wake_order() -> Result<(), String> {
    const P: usize = 205;
    drain(P);
    let slots: Vec<Slot> = (0..3).map(|_| slot()).collect();
    let mut rxs = Vec::new();
    for s in &slots {
        let rx = receiver(P, s.clone())?;
        sched::start(rx.clone());
        rxs.push(rx);
        let last = rxs.last().cloned();
        let blocked = wait_until(40, "a receiver to block", || last.as_ref().is_some_and(|t| t.state() == TaskState::Blocked));
        if blocked.is_err() {
            unblock_and_drain(P, &rxs);
        }
        blocked?;
    }
    let _cleanup = Defer(|| unblock_and_drain(P, &rxs));
    for k in 0..3u8 {
        kassert!(port::send(P, vec![10 + k]).is_ok(), "send {k} failed");
    }
    wait_until(40, "all three receivers to get a message", || slots.iter().all(|s| s.lock().is_some()))?;
    let got: Vec<Vec<u8>> = slots.iter().map(|s| s.lock().take().unwrap_or_default()).collect();
    kassert!(got == [vec![10], vec![11], vec![12]], "receivers (in blocking order) got {got:?}");
    Ok(())
}

/// Proves: the kernel API enforces the ABI limits itself: messages up to
/// 4096 bytes (and empty ones) pass intact, 4097 bytes and ports >= 256
/// give EINVAL and queue nothing.
fn limits() -> Result<(), String> {
    const P: usize = 206;
    drain(P);
    let _cleanup = Defer(|| drain(P));
    kassert!(port::send(256, vec![1]) == Err(Errno::EINVAL), "send to port 256 not EINVAL");
    kassert!(port::send(usize::MAX, vec![1]) == Err(Errno::EINVAL), "send to port usize::MAX not EINVAL");
    kassert!(port::recv(256) == Err(Errno::EINVAL), "recv from port 256 not EINVAL");
    let r = port::send(P, vec![0; 4097]);
    kassert!(r == Err(Errno::EINVAL), "4097-byte send returned {r:?}, want EINVAL");
    kassert!(port::queued(P) == 0, "a refused message was queued");
    kassert!(port::send(P, vec![7; 4096]).is_ok(), "4096-byte send failed");
    kassert!(port::send(P, Vec::new()).is_ok(), "empty send failed");
    let big = port::recv(P).map_err(|e| format!("{e:?}"))?;
    kassert!(big.len() == 4096 && big.iter().all(|&b| b == 7), "4096-byte message came back as {} bytes", big.len());
    let empty = port::recv(P).map_err(|e| format!("{e:?}"))?;
    kassert!(empty.is_empty(), "empty message came back as {} bytes", empty.len());
    Ok(())
}
