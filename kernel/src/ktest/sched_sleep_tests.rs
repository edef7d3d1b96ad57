//! Scheduler tests, part two: spec Tests 7.2 and 7.3 (sleep/wake, system
//! calls from a task) and the pollee wake-up test. They run in the `SCHED`
//! group: `sched_tests::TESTS` lists them, after part one's (priorities,
//! round robin), and its doc explains the method (pinned tasks, bounded
//! waits).
//!
//! Invariants: every wait is bounded ([`wait_until`], sleep(1) between
//! polls, with a tick budget also enforced in TSC cycles); spinning tasks
//! stop on a flag or a TSC budget; sleepers that must wake in order share
//! one CPU. No lock is held across a wait; the tasks share only atomics.

use super::helpers::*;
use crate::arch::{irq, percpu};
use crate::kassert;
use crate::metrics::METRICS;
use crate::sched::sleep::{now, sleep};
use crate::sched::{self, Priority};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};

// ---- 7.2 sleep / wake ------------------------------------------------------

/// Proves: sleep(n) keeps the caller off the CPU for at least n ticks (a
/// task pinned to the same CPU makes progress meanwhile) and wakes it
/// within n + LATE ticks; sleep(0) returns within LATE ticks.
pub(super) fn sleep_wake() -> Result<(), String> {
    need_timer()?;
    let t0 = now();
    sleep(0);
    kassert!(now() - t0 <= LATE, "sleep(0) took {} ticks", now() - t0);
    for n in [1u64, 2, 3, 5] {
        let t0 = now();
        sleep(n);
        let dt = now() - t0;
        kassert!(dt >= n, "sleep({n}) returned after {dt} ticks: woken early");
        kassert!(dt <= n + LATE, "sleep({n}) returned after {dt} ticks: woken late");
    }
    // While we sleep, a task queued on our CPU gets it.
    let progress = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (p, s) = (progress.clone(), stop.clone());
    let here = irq::without(percpu::cpu_id);
    spawn_on(here, "sleep-witness", Priority::Low, move || {
        let t = tsc();
        while !s.load(Relaxed) && since(t) < 40 * TSC_PER_TICK_MAX {
            p.fetch_add(1, Relaxed);
        }
    })?;
    let before = progress.load(Relaxed);
    sleep(3);
    let after = progress.load(Relaxed);
    stop.store(true, Relaxed);
    kassert!(after > before, "a task on the sleeper's CPU made no progress during sleep(3)");
    wait_until(20, "the witness to stop", || Arc::strong_count(&progress) == 1)?;
    Ok(())
}

/// Proves: several tasks sleeping at once on one CPU are each woken no
/// earlier than their deadline and within LATE ticks of it, none is lost,
/// and they wake in deadline order. The deadlines are the ticks `sleep` set
/// (`wake_tick`), not the durations' order: the five start one after
/// another, and on a busy host ticks can pass between two starts. They share one CPU (not
/// the caller's) because only there is the order promised: a sleeper on a
/// vCPU that the host has descheduled wakes when that vCPU runs again, after
/// a later deadline on another CPU.
pub(super) fn sleepers_in_order() -> Result<(), String> {
    need_timer()?;
    const DURATIONS: [u64; 5] = [7, 1, 5, 3, 9];
    let cpus = online_cpus();
    let here = irq::without(percpu::cpu_id);
    let cpu = cpus.iter().copied().find(|&c| c != here).unwrap_or(here);
    let seq = Arc::new(AtomicUsize::new(0));
    // Per sleeper: start tick, wake tick, deadline, wake position.
    let res: Arc<[[AtomicU64; 4]; 5]> = Arc::new([const { [const { AtomicU64::new(0) }; 4] }; 5]);
    for (i, &d) in DURATIONS.iter().enumerate() {
        let (seq, res) = (seq.clone(), res.clone());
        spawn_on(cpu, "sleeper", Priority::Normal, move || {
            let t0 = now();
            sleep(d);
            res[i][1].store(now(), Relaxed);
            res[i][0].store(t0, Relaxed);
            res[i][2].store(sched::current().wake_tick.load(Relaxed), Relaxed);
            res[i][3].store(seq.fetch_add(1, AcqRel) as u64 + 1, Release);
        })?;
    }
    wait_until(60, "all 5 sleepers to wake", || res.iter().all(|r| r[3].load(Acquire) != 0))?;
    let mut woke = Vec::new();
    for (i, &d) in DURATIONS.iter().enumerate() {
        let [t0, t1, deadline, pos] = res[i].each_ref().map(|v| v.load(Relaxed));
        kassert!(t1 - t0 >= d, "sleep({d}) woke after {} ticks (early)", t1 - t0);
        kassert!(t1 - t0 <= d + LATE, "sleep({d}) woke after {} ticks (late)", t1 - t0);
        woke.push((deadline, pos, d));
    }
    for &(deadline, pos, d) in &woke {
        for &(deadline2, pos2, d2) in &woke {
            kassert!(deadline >= deadline2 || pos < pos2,
                "on CPU {cpu}, sleep({d}) (deadline tick {deadline}) woke in position {pos}, after sleep({d2}) (deadline tick {deadline2}, position {pos2})");
        }
    }
    Ok(())
}

// ---- 7.3 system calls from a task ------------------------------------------

/// Run system call `nr` through the real dispatcher, as `int 0x80` would.
fn syscall(nr: usize, a0: usize, a1: usize, a2: usize) -> isize {
    let mut frame = crate::arch::trap::TrapFrame { rax: nr as u64, rdi: a0 as u64, rsi: a1 as u64, rdx: a2 as u64, ..Default::default() };
    crate::sys::dispatch(&mut frame);
    frame.rax as i64 as isize
}

/// Proves: the dispatcher runs sleep/yield/write for a task, counts them in
/// the metrics, and rejects bad numbers, fds, ports, lengths and pointers
/// (kernel or unmapped) with the ABI's errno values instead of faulting.
pub(super) fn syscalls_from_task() -> Result<(), String> {
    use crate::error::Errno;
    use mello_abi::nr;
    need_timer()?;
    let count = |n: usize| METRICS.syscall_count[n].load(Relaxed);
    let (sleeps, yields, writes) = (count(nr::SLEEP), count(nr::YIELD), count(nr::WRITE));
    let t0 = now();
    let r = syscall(nr::SLEEP, 2, 0, 0);
    let dt = now() - t0;
    kassert!(r == 0 && dt >= 2, "sleep(2) syscall returned {r} after {dt} ticks");
    kassert!(syscall(nr::YIELD, 0, 0, 0) == 0, "yield syscall failed");

    let kbuf = b"kernel buffer";
    let cases: [(&str, usize, [usize; 3], isize); 11] = [
        ("write of a kernel buffer", nr::WRITE, [1, kbuf.as_ptr() as usize, kbuf.len()], Errno::EFAULT.as_ret()),
        ("write of an unmapped user buffer", nr::WRITE, [1, 0x40_0000, 16], Errno::EFAULT.as_ret()),
        ("write of a wrapping range", nr::WRITE, [1, usize::MAX - 4, 16], Errno::EFAULT.as_ret()),
        ("write to fd 3", nr::WRITE, [3, 0x40_0000, 1], Errno::EBADF.as_ret()),
        ("write of 0 bytes", nr::WRITE, [1, 0x40_0000, 0], 0),
        ("ipc_send to port 256", nr::IPC_SEND, [256, 0x40_0000, 4], Errno::EINVAL.as_ret()),
        ("ipc_send of 4097 bytes", nr::IPC_SEND, [204, 0x40_0000, 4097], Errno::EINVAL.as_ret()),
        ("ipc_send of a kernel buffer", nr::IPC_SEND, [204, kbuf.as_ptr() as usize, 4], Errno::EFAULT.as_ret()),
        ("ipc_recv from port 256", nr::IPC_RECV, [256, 0x40_0000, 4], Errno::EINVAL.as_ret()),
        ("syscall number 10", nr::COUNT, [0, 0, 0], Errno::ENOSYS.as_ret()),
        ("syscall number 9999", 9999, [0, 0, 0], Errno::ENOSYS.as_ret()),
    ];
    for (what, n, a, want) in cases {
        let got = syscall(n, a[0], a[1], a[2]);
        kassert!(got == want, "{what}: got {got}, want {want}");
    }
    kassert!(crate::sys::port::queued(204) == 0, "a rejected ipc_send queued a message");
    kassert!(count(nr::SLEEP) == sleeps + 1, "SYS_SLEEP count did not grow by 1");
    kassert!(count(nr::YIELD) == yields + 1, "SYS_YIELD count did not grow by 1");
    kassert!(count(nr::WRITE) == writes + 5, "SYS_WRITE count grew by {}, want 5", count(nr::WRITE) - writes);
    Ok(())
}


/// Proves: `pollee::wait_until` loses no wake-up. 16 pairs of tasks spread
/// over every CPU hand a turn back and forth 50 times each through two
/// pollees; a notify racing with a waiter's second attempt must still wake
/// it, or the pair stalls. A stall is told apart from slowness (16 vCPUs on
/// a loaded 2-core host): the stuck pairs' turns must not move for 40 more
/// ticks.
pub(super) fn pollee_wakeups() -> Result<(), String> {
    use crate::sched::pollee::{wait_until as pollee_wait, Pollee};
    use mello_abi::Errno;
    const PAIRS: usize = 16;
    const ROUNDS: u64 = 50;
    struct Pair {
        turn: AtomicU64,
        ping: Pollee,
        pong: Pollee,
    }
    let done = Arc::new(AtomicUsize::new(0));
    let pairs: Vec<Arc<Pair>> = (0..PAIRS).map(|_| Arc::new(Pair { turn: AtomicU64::new(0), ping: Pollee::new(), pong: Pollee::new() })).collect();
    for p in &pairs {
        for side in 0..2u64 {
            let (p, done) = (p.clone(), done.clone());
            spawn("pollee-pair", Priority::Normal, move || {
                for round in 0..ROUNDS {
                    let mine = 2 * round + side;
                    let (wait_on, wake) = if side == 0 { (&p.ping, &p.pong) } else { (&p.pong, &p.ping) };
                    let r = pollee_wait(&[wait_on], || if p.turn.load(Acquire) == mine { Ok(()) } else { Err(Errno::EAGAIN) });
                    if r.is_err() {
                        return;
                    }
                    p.turn.store(mine + 1, Release);
                    wake.notify();
                }
                done.fetch_add(1, Release);
            })?;
        }
    }
    let turns = || -> Vec<u64> { pairs.iter().map(|p| p.turn.load(Acquire)).collect() };
    let mut before = turns();
    while wait_until(200, "every pair to finish", || done.load(Acquire) == 2 * PAIRS).is_err() {
        let now = turns();
        let stalled = now.iter().zip(&before).filter(|(n, b)| n == b && **n < 2 * ROUNDS).count();
        kassert!(stalled == 0, "{stalled} pairs made no progress in 200 ticks (lost wake-up): turns {now:?}");
        before = now;
    }
    Ok(())
}
