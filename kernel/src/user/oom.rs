//! The out-of-memory killer. A page fault from user mode that finds no
//! free frame cannot fail the way a system call does, so, as Linux's OOM
//! killer, the kernel ends the process with the most resident pages with
//! SIGKILL and one log line, and the faulting access is retried (the
//! faulting process keeps running, or is the victim and dies on its way
//! back to user space).
//!
//! A failure while frames are still free (`failframe=` fault injection)
//! is not exhaustion: only the faulting process is killed.
//!
//! One victim at a time: while the last victim still exists (its pages
//! come back only when it has exited), a fault that finds no memory just
//! retries, without choosing again. Init is never chosen (Linux's
//! `SIGNAL_UNKILLABLE`); when init is the only candidate, the fault is
//! not resolved and init dies of it as of any fault.
//!
//! Locking: each candidate's address-space lock, one at a time, with none
//! held by the caller; `CHOOSING` lets one fault choose at a time (the
//! others retry), and the victim pid is an atomic.

use super::process::{self, Process, INIT_PID};
use super::sigsend::{self, Sender};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use mello_abi::linux::signal::SIGKILL;

/// The pid of the last victim (0: none yet).
static VICTIM: AtomicUsize = AtomicUsize::new(0);
/// Free frames under which a failed allocation means memory is exhausted
/// (others may be freeing a few meanwhile).
const EXHAUSTED_BELOW: usize = 16;
/// Set while a fault chooses a victim.
static CHOOSING: AtomicBool = AtomicBool::new(false);

/// `faulting` found no memory for a user page fault: make some, unless a
/// victim is already on its way out. `true` if the access should be
/// retried.
pub(super) fn out_of_memory(faulting: &Process) -> bool {
    // One chooser at a time (Linux's oom_lock); the others retry.
    if CHOOSING.swap(true, Ordering::Acquire) {
        return true;
    }
    let retry = choose(faulting);
    CHOOSING.store(false, Ordering::Release);
    retry
}

fn choose(faulting: &Process) -> bool {
    if crate::mm::pmm::free_frames() > EXHAUSTED_BELOW {
        // Not exhaustion (an injected failure): the allocation failed for
        // this fault alone, and so its process alone ends.
        crate::klog!("OOM", "page fault of pid {}: frame allocation failed with memory free: killed", faulting.pid);
        sigsend::send(faulting, sigsend::kernel_info(SIGKILL), Sender::Kernel);
        return true;
    }
    let last = VICTIM.load(Ordering::Relaxed);
    if last != 0 && process::get(last).is_some_and(|p| !p.exited.load(Ordering::Acquire)) {
        return true;
    }
    let mut best: Option<(Arc<Process>, usize)> = None;
    for p in process::select(|p| p.pid != INIT_PID) {
        let pages = p.space.lock().as_mut().map_or(0, |s| s.resident_pages());
        if best.as_ref().is_none_or(|(_, most)| pages > *most) {
            best = Some((p, pages));
        }
    }
    let Some((victim, pages)) = best else {
        crate::klog!("OOM", "out of memory: no process to kill but init (pid {} faulted)", faulting.pid);
        return false;
    };
    VICTIM.store(victim.pid, Ordering::Release);
    let name = victim.name.lock();
    crate::klog!(
        "OOM",
        "out of memory (pid {} faulted): killed pid {} ({}), {} KiB resident",
        faulting.pid,
        victim.pid,
        &*name,
        pages * 4
    );
    drop(name);
    sigsend::send(&victim, sigsend::kernel_info(SIGKILL), Sender::Kernel);
    true
}
