//! IPC ports: 256 numbered mailboxes with 16-message queues.
//!
//! Sending never blocks: the message is handed straight to the longest-
//! waiting receiver if there is one, otherwise queued; a full queue gives
//! `EAGAIN`. Receiving blocks until a message arrives. Receivers are served
//! strictly first-come first-served: a message is delivered into the
//! waiter's own slot before it is woken, so a receiver arriving later can
//! never overtake one that is already waiting.
//!
//! Small messages (up to 64 bytes) travel inline; larger ones live on the
//! kernel heap, and all queued heap messages together may use at most
//! `BUDGET` bytes, so user programs cannot exhaust the heap (a send over
//! budget gives `ENOMEM`).
//!
//! Locking: each port has its own lock (level `Port`), which guards its
//! queue, its waiters and the messages delivered to woken waiters; a woken
//! receiver takes the lock again to collect its message.

use crate::error::{no_memory, Errno};
use crate::metrics::METRICS;
use crate::sched;
use crate::sched::task::{Task, TaskId, TaskState};
use crate::sync::{IrqSpinLock, LockLevel};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use mello_abi::limits::{MAX_MSG, NUM_PORTS, PORT_QUEUE_LEN};

/// Most bytes queued in all ports together.
const BUDGET: usize = 4 * 1024 * 1024;
static QUEUED_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Messages up to this size travel inline, without touching the heap.
const INLINE: usize = 64;

/// One IPC message.
pub enum Message {
    Inline { len: u8, data: [u8; INLINE] },
    Heap(Vec<u8>),
}

impl Message {
    /// Copy `bytes` into a message (inline when small).
    pub fn from_slice(bytes: &[u8]) -> Result<Message, Errno> {
        if bytes.len() <= INLINE {
            let mut data = [0; INLINE];
            data[..bytes.len()].copy_from_slice(bytes);
            return Ok(Message::Inline { len: bytes.len() as u8, data });
        }
        let mut v = Vec::new();
        fallible::in_scope(|| v.try_reserve_exact(bytes.len())).map_err(no_memory)?;
        v.extend_from_slice(bytes);
        Ok(Message::Heap(v))
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            Message::Inline { len, data } => &data[..*len as usize],
            Message::Heap(v) => v,
        }
    }

    /// Heap bytes this message holds (counted against the budget).
    fn heap_len(&self) -> usize {
        match self {
            Message::Inline { .. } => 0,
            Message::Heap(v) => v.len(),
        }
    }
}

struct Port {
    queue: VecDeque<Message>,
    /// Blocked receivers, longest-waiting first.
    waiters: VecDeque<Arc<Task>>,
    /// Messages handed to woken receivers that have not collected them yet.
    /// A receiver reserves its entry's room before it blocks, so a sender
    /// never allocates here.
    delivered: VecDeque<(TaskId, Message)>,
}

const EMPTY: Port = Port { queue: VecDeque::new(), waiters: VecDeque::new(), delivered: VecDeque::new() };
static PORTS: [IrqSpinLock<Port>; NUM_PORTS] = [const { IrqSpinLock::new(LockLevel::Port, "ipc-port", EMPTY) }; NUM_PORTS];

fn port(id: usize) -> Result<&'static IrqSpinLock<Port>, Errno> {
    PORTS.get(id).ok_or(Errno::EINVAL)
}

/// Queue (or hand over) `msg` on port `id` without blocking.
pub fn send_msg(id: usize, msg: Message) -> Result<(), Errno> {
    if msg.as_slice().len() > MAX_MSG {
        return Err(Errno::EINVAL);
    }
    let mut p = port(id)?.lock();
    METRICS.ipc_sends.fetch_add(1, Ordering::Relaxed);
    if let Some(task) = p.waiters.pop_front() {
        p.delivered.push_back((task.id, msg));
        sched::wake(&task);
        return Ok(());
    }
    if p.queue.len() >= PORT_QUEUE_LEN {
        METRICS.ipc_queue_full.fetch_add(1, Ordering::Relaxed);
        return Err(Errno::EAGAIN);
    }
    let heap = msg.heap_len();
    if QUEUED_BYTES.fetch_add(heap, Ordering::Relaxed) + heap > BUDGET {
        QUEUED_BYTES.fetch_sub(heap, Ordering::Relaxed);
        return Err(Errno::ENOMEM);
    }
    fallible::in_scope(|| p.queue.try_reserve(1)).map_err(no_memory)?;
    p.queue.push_back(msg);
    Ok(())
}

/// Take the next message from port `id`, blocking until there is one.
pub fn recv_msg(id: usize) -> Result<Message, Errno> {
    let port = port(id)?;
    let me = {
        let mut p = port.lock();
        METRICS.ipc_recvs.fetch_add(1, Ordering::Relaxed);
        if let Some(msg) = p.queue.pop_front() {
            QUEUED_BYTES.fetch_sub(msg.heap_len(), Ordering::Relaxed);
            return Ok(msg);
        }
        // Room for us in both lists: the sender must not allocate.
        fallible::in_scope(|| p.waiters.try_reserve(1)).map_err(no_memory)?;
        // Every waiter, us included, may be delivered to before anyone collects.
        let room = p.waiters.len() + 1;
        fallible::in_scope(|| p.delivered.try_reserve(room)).map_err(no_memory)?;
        let me = sched::current();
        me.set_state(TaskState::Blocked);
        p.waiters.push_back(me.clone());
        me.id
    };
    sched::wait::block();
    // Only `send_msg` wakes a port waiter, and it delivers to us first.
    let mut p = port.lock();
    // Usually ours is the first (waiters are served in order).
    if p.delivered.front().is_some_and(|(t, _)| *t == me) {
        return Ok(p.delivered.pop_front().expect("front").1);
    }
    let at = p.delivered.iter().position(|(t, _)| *t == me).expect("IPC receiver woken without a message");
    Ok(p.delivered.remove(at).expect("found").1)
}

/// `send_msg` for a byte vector (kernel callers).
pub fn send(id: usize, msg: Vec<u8>) -> Result<(), Errno> {
    send_msg(id, Message::Heap(msg))
}

/// `recv_msg` returning a byte vector (kernel callers).
pub fn recv(id: usize) -> Result<Vec<u8>, Errno> {
    recv_msg(id).map(|m| m.as_slice().to_vec())
}

/// Messages queued on port `id` (for tests).
pub fn queued(id: usize) -> usize {
    PORTS[id].lock().queue.len()
}
