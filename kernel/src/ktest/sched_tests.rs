//! Scheduler tests: spec Tests 7.1–7.3 (priorities, round robin,
//! sleep/wake, system calls from a task). Preemption lives in
//! `preempt_tests`, the shared helpers in `helpers`.
//!
//! **Making single-CPU properties observable on SMP.** New tasks normally
//! go to the least-loaded CPU, so on a multi-CPU boot three tasks spawned
//! together land on three CPUs and their "order" says nothing about the
//! run queue. The tests that check queue order or time sharing therefore
//! *pin* their tasks to one CPU ([`spawn_on`]; a pinned task is never
//! stolen or balanced away) and queue them with preemption disabled, so
//! none runs before all are queued. Each task also records where it ran,
//! so a broken pin shows up as a failure. The priority and round-robin
//! experiments run on every online CPU in turn, from a small controller
//! task pinned there. A round-robin run in which a timer tick fell inside
//! the experiment (a tick may legitimately preempt a task between its log
//! entry and its yield) proves nothing and is repeated, up to [`ATTEMPTS`]
//! times.
//!
//! **Bounded waits.** Every wait polls with [`wait_until`] (sleep(1)
//! between polls, or yield when there is no timer tick) and fails with a
//! message after a tick budget, also enforced in TSC cycles in case the
//! tick itself stops. Spinning tasks stop on a flag *or* a TSC budget.
//! Tests that need the timer (sleep, preemption, CPU-bound tasks) fail at
//! once with a clear message when [`timer_ticking`] finds no tick.
//!

use super::helpers::*;
use super::Test;
use crate::arch::{irq, percpu};
use crate::kassert;
use crate::metrics::METRICS;
use crate::sched::sleep::{now, sleep};
use crate::sched::{self, Priority};
use crate::sync::preempt::PreemptGuard;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};

pub const TESTS: &[Test] = &[
    ("timer: the scheduler tick advances", timer_ticks),
    ("7.1 priority scheduling: High, then Normal, then Low (each CPU)", priority_order),
    ("7.1 round robin within a priority level (each CPU)", round_robin),
    ("7.2 sleep/wake: sleep(n) returns after >= n ticks, not early, not late", sleep_wake),
    ("7.2 sleep/wake: concurrent sleepers wake in deadline order", sleepers_in_order),
    ("7.3 syscall integration: sleep, write, yield, errors from a task", syscalls_from_task),
    ("pollee: 32 waiters over all CPUs hand a turn back and forth (no lost wake-up)", pollee_wakeups),
];


/// How often a priority or round-robin run disturbed by ticks is repeated.
const ATTEMPTS: usize = 20;

fn timer_ticks() -> Result<(), String> {
    kassert!(timer_ticking(), "sleep::now() did not advance in ~1 s of TSC time: no scheduler tick");
    let (t0, m0) = (now(), METRICS.timer_ticks.load(Relaxed));
    wait_until(20, "3 ticks", || now() >= t0 + 3)?;
    let m = METRICS.timer_ticks.load(Relaxed) - m0;
    kassert!(m >= 3, "METRICS.timer_ticks grew by {m} over 3 ticks");
    Ok(())
}

// ---- 7.1 priorities --------------------------------------------------------

struct PrioRun {
    seq: AtomicUsize,
    /// 1-based position in which each priority's task first ran.
    order: [AtomicUsize; 3],
    ran_on: [AtomicUsize; 3],
    /// The CPU's timer ticks when the three were queued, and the most
    /// when one of them first ran.
    ticks_queued: AtomicU64,
    ticks_ran: AtomicU64,
    failed: AtomicBool,
}

/// Proves: on each CPU, with a Low, a Normal and a High task queued in that
/// (worst) order, the High task runs first, then Normal, then Low. An
/// attempt over which two or more ticks hit the CPU proves nothing (on an
/// overloaded host each tick can preempt a task before its first
/// instruction, and after 8 such picks aging rightly serves Low) and is
/// repeated, up to `ATTEMPTS` times.
fn priority_order() -> Result<(), String> {
    for cpu in online_cpus() {
        let mut result = Ok(());
        for _ in 0..ATTEMPTS {
            match priority_attempt(cpu)? {
                Some(order) if order != [1, 2, 3] => {
                    result = Err(format!("CPU {cpu}: first-run positions (High, Normal, Low) = {order:?}, want [1, 2, 3]"));
                    break;
                }
                Some(_) => {
                    result = Ok(());
                    break;
                }
                None => result = Err(format!("CPU {cpu}: every attempt was disturbed by 2+ ticks")),
            }
        }
        result?;
    }
    Ok(())
}

/// One run on `cpu`: the first-run positions, or `None` if disturbed.
fn priority_attempt(cpu: usize) -> Result<Option<Vec<usize>>, String> {
    let ticks = move || cpu_ticks(cpu);
    let run = Arc::new(PrioRun {
        seq: AtomicUsize::new(0),
        order: [const { AtomicUsize::new(0) }; 3],
        ran_on: [const { AtomicUsize::new(usize::MAX) }; 3],
        ticks_queued: AtomicU64::new(0),
        ticks_ran: AtomicU64::new(0),
        failed: AtomicBool::new(false),
    });
    let r = run.clone();
    spawn_on(cpu, "prio-ctl", Priority::High, move || {
        // Queue all three before any can run.
        let guard = PreemptGuard::new();
        for prio in [Priority::Low, Priority::Normal, Priority::High] {
            let r2 = r.clone();
            let started = spawn_on(cpu, "prio-task", prio, move || {
                let n = r2.seq.fetch_add(1, AcqRel) + 1;
                r2.ticks_ran.fetch_max(ticks(), Relaxed);
                r2.ran_on[prio.index()].store(percpu::cpu_id(), Relaxed);
                r2.order[prio.index()].store(n, Release);
            });
            if started.is_err() {
                r.failed.store(true, Relaxed);
            }
        }
        r.ticks_queued.store(ticks(), Relaxed);
        drop(guard);
    })?;
    wait_until(60, "the High, Normal and Low tasks to run", || {
        run.failed.load(Relaxed) || run.order.iter().all(|o| o.load(Acquire) != 0)
    })?;
    kassert!(!run.failed.load(Relaxed), "could not spawn the priority tasks");
    let ran_on: Vec<usize> = run.ran_on.iter().map(|c| c.load(Relaxed)).collect();
    kassert!(ran_on.iter().all(|&c| c == cpu), "tasks pinned to CPU {cpu} ran on CPUs {ran_on:?}");
    if run.ticks_ran.load(Relaxed) >= run.ticks_queued.load(Relaxed) + 2 {
        return Ok(None);
    }
    Ok(Some(run.order.iter().map(|o| o.load(Relaxed)).collect()))
}

// ---- 7.1 round robin -------------------------------------------------------

const RR_TASKS: usize = 3;
const RR_ROUNDS: usize = 8;

struct RrRun {
    /// Entries: task index + 1, in the order the tasks ran.
    log: [AtomicUsize; RR_TASKS * RR_ROUNDS],
    len: AtomicUsize,
    bad_cpu: AtomicBool,
    ticks_at_start: AtomicU64,
    /// Highest per-CPU tick count seen by a finishing task.
    ticks_at_end: AtomicU64,
    done: AtomicUsize,
    failed: AtomicBool,
}

/// Proves: three Normal tasks that each yield after every step run in
/// strict rotation A B C A B C ... on each CPU (the level is a FIFO and a
/// yielding task goes to its back).
fn round_robin() -> Result<(), String> {
    for cpu in online_cpus() {
        let mut attempts = 0;
        loop {
            attempts += 1;
            kassert!(attempts <= ATTEMPTS, "CPU {cpu}: a timer tick fell inside every attempt");
            if let Some(log) = rr_once(cpu)? {
                let first: Vec<usize> = log[..RR_TASKS].to_vec();
                let distinct = first.iter().enumerate().all(|(i, a)| !first[..i].contains(a));
                let rotates = (RR_TASKS..log.len()).all(|i| log[i] == log[i - RR_TASKS]);
                kassert!(distinct && rotates, "CPU {cpu}: run order {log:?} is not a strict rotation");
                break;
            }
        }
    }
    Ok(())
}

/// One experiment on `cpu`: the log, or `None` if a tick fell inside it.
fn rr_once(cpu: usize) -> Result<Option<Vec<usize>>, String> {
    let run = Arc::new(RrRun {
        log: [const { AtomicUsize::new(0) }; RR_TASKS * RR_ROUNDS],
        len: AtomicUsize::new(0),
        bad_cpu: AtomicBool::new(false),
        ticks_at_start: AtomicU64::new(0),
        ticks_at_end: AtomicU64::new(0),
        done: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
    });
    let ticks = move || cpu_ticks(cpu);
    let r = run.clone();
    spawn_on(cpu, "rr-ctl", Priority::High, move || {
        let guard = PreemptGuard::new();
        r.ticks_at_start.store(ticks(), Relaxed);
        for t in 0..RR_TASKS {
            let r2 = r.clone();
            let started = spawn_on(cpu, "rr-task", Priority::Normal, move || {
                for _ in 0..RR_ROUNDS {
                    if percpu::cpu_id() != cpu {
                        r2.bad_cpu.store(true, Relaxed);
                    }
                    let i = r2.len.fetch_add(1, AcqRel);
                    r2.log[i].store(t + 1, Relaxed);
                    sched::yield_now();
                }
                r2.ticks_at_end.fetch_max(ticks(), Relaxed);
                r2.done.fetch_add(1, Release);
            });
            if started.is_err() {
                r.failed.store(true, Relaxed);
            }
        }
        drop(guard);
    })?;
    wait_until(100, "the round-robin tasks to finish", || {
        run.failed.load(Relaxed) || run.done.load(Acquire) == RR_TASKS
    })?;
    kassert!(!run.failed.load(Relaxed), "could not spawn the round-robin tasks");
    kassert!(!run.bad_cpu.load(Relaxed), "a task pinned to CPU {cpu} ran elsewhere");
    if run.ticks_at_end.load(Relaxed) != run.ticks_at_start.load(Relaxed) {
        return Ok(None);
    }
    Ok(Some(run.log.iter().map(|e| e.load(Relaxed)).collect()))
}

// ---- 7.2 sleep / wake ------------------------------------------------------

/// Proves: sleep(n) keeps the caller off the CPU for at least n ticks (a
/// task pinned to the same CPU makes progress meanwhile) and wakes it
/// within n + LATE ticks; sleep(0) returns within LATE ticks.
fn sleep_wake() -> Result<(), String> {
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
fn sleepers_in_order() -> Result<(), String> {
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
fn syscalls_from_task() -> Result<(), String> {
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
fn pollee_wakeups() -> Result<(), String> {
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
