//! IPC ports: 256 numbered mailboxes with 16-message queues.
//!
//! Sending never blocks: the message is handed straight to the longest-
//! waiting receiver if there is one, otherwise queued; a full queue gives
//! `EAGAIN`. Receiving blocks until a message arrives. Receivers are served
//! strictly first-come first-served: a message is delivered into the
//! waiter's own slot before it is woken, so a receiver arriving later can
//! never overtake one that is already waiting.
//!
//! Messages live on the kernel heap; all queued messages together may use at
//! most `BUDGET` bytes, so user programs cannot exhaust the heap (a send
//! over budget gives `ENOMEM`).
//!
//! Locking: each port has its own lock (level `Port`); a waiter's slot
//! (level `WaitQueue`) is filled under the port lock and emptied by its
//! receiver after the wake-up.

use crate::error::{no_memory, Errno};
use crate::metrics::METRICS;
use crate::sched;
use crate::sched::task::{Task, TaskState};
use crate::sync::{IrqSpinLock, LockLevel};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use mello_abi::limits::{MAX_MSG, NUM_PORTS, PORT_QUEUE_LEN};

/// Most bytes queued in all ports together.
const BUDGET: usize = 4 * 1024 * 1024;
static QUEUED_BYTES: AtomicUsize = AtomicUsize::new(0);

type Slot = Arc<IrqSpinLock<Option<Vec<u8>>>>;

struct Port {
    queue: VecDeque<Vec<u8>>,
    waiters: VecDeque<(Arc<Task>, Slot)>,
}

static PORTS: [IrqSpinLock<Port>; NUM_PORTS] =
    [const { IrqSpinLock::new(LockLevel::Port, "ipc-port", Port { queue: VecDeque::new(), waiters: VecDeque::new() }) }; NUM_PORTS];

fn port(id: usize) -> Result<&'static IrqSpinLock<Port>, Errno> {
    PORTS.get(id).ok_or(Errno::EINVAL)
}

/// Queue (or hand over) `msg` on port `id` without blocking.
pub fn send(id: usize, msg: Vec<u8>) -> Result<(), Errno> {
    if msg.len() > MAX_MSG {
        return Err(Errno::EINVAL);
    }
    let mut p = port(id)?.lock();
    METRICS.ipc_sends.fetch_add(1, Ordering::Relaxed);
    if let Some((task, slot)) = p.waiters.pop_front() {
        *slot.lock() = Some(msg);
        sched::wake(&task);
        return Ok(());
    }
    if p.queue.len() >= PORT_QUEUE_LEN {
        METRICS.ipc_queue_full.fetch_add(1, Ordering::Relaxed);
        return Err(Errno::EAGAIN);
    }
    if QUEUED_BYTES.fetch_add(msg.len(), Ordering::Relaxed) + msg.len() > BUDGET {
        QUEUED_BYTES.fetch_sub(msg.len(), Ordering::Relaxed);
        return Err(Errno::ENOMEM);
    }
    p.queue.try_reserve(1).map_err(no_memory)?;
    p.queue.push_back(msg);
    Ok(())
}

/// Take the next message from port `id`, blocking until there is one.
pub fn recv(id: usize) -> Result<Vec<u8>, Errno> {
    let slot: Slot;
    {
        let mut p = port(id)?.lock();
        METRICS.ipc_recvs.fetch_add(1, Ordering::Relaxed);
        if let Some(msg) = p.queue.pop_front() {
            QUEUED_BYTES.fetch_sub(msg.len(), Ordering::Relaxed);
            return Ok(msg);
        }
        slot = Arc::new(IrqSpinLock::new(LockLevel::WaitQueue, "ipc-slot", None));
        p.waiters.try_reserve(1).map_err(no_memory)?;
        let me = sched::current();
        me.set_state(TaskState::Blocked);
        p.waiters.push_back((me, slot.clone()));
    }
    sched::wait::block();
    // Only `send` wakes a port waiter, and it fills the slot first.
    let msg = slot.lock().take().expect("IPC receiver woken without a message");
    Ok(msg)
}

/// Messages queued on port `id` (for tests).
pub fn queued(id: usize) -> usize {
    PORTS[id].lock().queue.len()
}
