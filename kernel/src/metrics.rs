//! Kernel metrics: the spec's `KernelMetrics`, lock-free atomic counters
//! any CPU may bump or read.

#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicUsize, Ordering};
use mello_abi::nr;

pub struct KernelMetrics {
    pub ctx_switches: AtomicUsize,
    pub preemptions: AtomicUsize,
    pub syscall_count: [AtomicUsize; nr::COUNT],
    pub ipc_sends: AtomicUsize,
    pub ipc_recvs: AtomicUsize,
    pub ipc_queue_full: AtomicUsize,
    pub sleep_count: AtomicUsize,
    pub wake_count: AtomicUsize,
    pub timer_ticks: AtomicUsize,
    pub migrations: AtomicUsize,
    /// Migrations by a CPU with nothing queued taking another CPU's task.
    pub steals: AtomicUsize,
}

pub static METRICS: KernelMetrics = KernelMetrics {
    ctx_switches: AtomicUsize::new(0),
    preemptions: AtomicUsize::new(0),
    syscall_count: [const { AtomicUsize::new(0) }; nr::COUNT],
    ipc_sends: AtomicUsize::new(0),
    ipc_recvs: AtomicUsize::new(0),
    ipc_queue_full: AtomicUsize::new(0),
    sleep_count: AtomicUsize::new(0),
    wake_count: AtomicUsize::new(0),
    timer_ticks: AtomicUsize::new(0),
    migrations: AtomicUsize::new(0),
    steals: AtomicUsize::new(0),
};

/// Print every counter (end of the test run, and at power-off).
pub fn print() {
    let m = &METRICS;
    let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    crate::klog!("METRICS", "context switches: {}, preemptions: {}, migrations: {} ({} steals)",
        get(&m.ctx_switches), get(&m.preemptions), get(&m.migrations), get(&m.steals));
    crate::klog!("METRICS", "timer ticks (all cores): {}, sleeps: {}, wakes: {}",
        get(&m.timer_ticks), get(&m.sleep_count), get(&m.wake_count));
    crate::klog!("METRICS", "IPC sends: {}, receives: {}, queue full: {}",
        get(&m.ipc_sends), get(&m.ipc_recvs), get(&m.ipc_queue_full));
    if crate::mm::fault_inject::enabled() {
        let r = crate::mm::fault_inject::report();
        crate::klog!("METRICS", "fault injection: {} of {} fallible heap allocations and {} of {} frame allocations failed on purpose ({} infallible heap allocations left alone)",
            r.slab_failed, r.slab_seen, r.frame_failed, r.frame_seen, r.slab_infallible);
    }
    for (i, count) in m.syscall_count.iter().enumerate() {
        let n = get(count);
        if n > 0 {
            crate::klog!("METRICS", "{}: {}", nr::name(i).unwrap_or("?"), n);
        }
    }
}
