//! The Linux CPU-affinity calls, `sched_setaffinity` and
//! `sched_getaffinity`, per thread as Linux defines them, over the
//! scheduler's own API (`sched::affinity`, which knows tasks only), and
//! `getcpu` (what musl's `sched_getcpu` calls without a vDSO).
//!
//! * The target is a thread id: 0 is the calling thread, any other the
//!   thread with that tid in any thread group (a pid names its group's
//!   first thread); none → `ESRCH`.
//! * Masks are `cpu_set_t` words in user memory; the kernel's mask is one
//!   `unsigned long` (Linux's `cpumask_size()` is 8 for up to 64 CPUs).
//! * `sched_setaffinity(tid, len, mask)`: as Linux's `get_user_cpu_mask`,
//!   `min(len, 8)` bytes are read (a shorter mask has its other bits clear;
//!   a fault is `EFAULT`, checked first), then the thread is looked up
//!   (`ESRCH`), then a mask without an online CPU is `EINVAL`. The stored
//!   mask is the one given intersected with the online CPUs; when the call
//!   returns the thread runs on one of them (the scheduler moves it).
//! * `sched_getaffinity(tid, len, mask)`: `EINVAL` if `len` is not a
//!   multiple of 8 or has fewer bits than there are CPUs, `ESRCH`, then 8
//!   bytes written (`EFAULT`); the result is 8, the bytes written.
//!
//! There is no native-ABI equivalent: a native call would use the same
//! `sched::affinity::{set, get}`.

#![forbid(unsafe_code)]

use super::{ArgRegs, Args};
use crate::error::{Errno, SysResult};
use crate::sched::affinity::{self, CpuMask};
use crate::sched::{self, task::Task};
use crate::user::process;
use crate::user::uaccess::UserSlice;
use alloc::sync::Arc;

/// Bytes of the kernel's CPU mask (Linux's `cpumask_size()`).
const MASK_BYTES: usize = 8;

/// The task of thread `tid` (0: the caller).
fn thread_task(tid: i32) -> Result<Arc<Task>, Errno> {
    if tid == 0 {
        return Ok(sched::current());
    }
    if tid < 0 {
        return Err(Errno::ESRCH);
    }
    let tid = tid as usize;
    let proc = process::thread_group_of(tid).ok_or(Errno::ESRCH)?;
    let task = proc.signals.lock().threads.iter().find(|t| t.tid == tid).and_then(|t| t.task.upgrade());
    task.ok_or(Errno::ESRCH)
}

/// sched_getaffinity(tid, len, mask): the thread's mask (module doc).
pub fn linux_sched_getaffinity(a: &Args) -> SysResult {
    // `len` is an unsigned int, multiplied as Linux does (wrapping).
    let (tid, len, mask) = (a.get(0) as i32, a.get(1) as u32, a.a2());
    if (len.wrapping_mul(8) as usize) < crate::arch::smp::online_cpus() || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let task = thread_task(tid)?;
    let n = (len as usize).min(MASK_BYTES);
    UserSlice::new(mask, n)?.write_from(&affinity::get(&task).to_le_bytes()[..n])?;
    Ok(n)
}

/// sched_setaffinity(tid, len, mask): pin the thread (module doc).
pub fn linux_sched_setaffinity(a: &Args) -> SysResult {
    let (tid, len, mask) = (a.get(0) as i32, a.get(1) as u32, a.a2());
    let mut bytes = [0u8; MASK_BYTES];
    let n = (len as usize).min(MASK_BYTES);
    UserSlice::new(mask, n)?.read_into(&mut bytes[..n])?;
    let task = thread_task(tid)?;
    affinity::set(&task, CpuMask::from_le_bytes(&bytes[..n])).map_err(|affinity::NoOnlineCpu| Errno::EINVAL)?;
    Ok(0)
}

/// getcpu(cpu, node, cache): the CPU the caller runs on (already stale
/// when it returns, as on Linux) and NUMA node 0; null pointers are
/// skipped, `cache` is ignored (unused since Linux 2.6.24).
pub fn linux_getcpu(a: &Args) -> SysResult {
    let (cpu_at, node_at) = (a.a0(), a.a1());
    let cpu = crate::arch::percpu::cpu_id() as u32;
    if cpu_at != 0 {
        UserSlice::new(cpu_at, 4)?.write_from(&cpu.to_le_bytes())?;
    }
    if node_at != 0 {
        UserSlice::new(node_at, 4)?.write_from(&0u32.to_le_bytes())?;
    }
    Ok(0)
}
