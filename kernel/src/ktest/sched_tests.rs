//! Scheduler tests: spec Tests 7.1–7.3 (priorities, round robin,
//! sleep/wake, system calls from a task). Preemption lives in
//! `preempt_tests`, the shared helpers in `helpers`; 7.2, 7.3 and the
//! pollee test are in `sched_sleep_tests` (listed here, in one `SCHED`
//! group).
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
use super::sched_sleep_tests;
use super::Test;
use crate::arch::percpu;
use crate::kassert;
use crate::metrics::METRICS;
use crate::sched::sleep::now;
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
    ("7.2 sleep/wake: sleep(n) returns after >= n ticks, not early, not late", sched_sleep_tests::sleep_wake),
    ("7.2 sleep/wake: concurrent sleepers wake in deadline order", sched_sleep_tests::sleepers_in_order),
    ("7.3 syscall integration: sleep, write, yield, errors from a task", sched_sleep_tests::syscalls_from_task),
    ("pollee: 32 waiters over all CPUs hand a turn back and forth (no lost wake-up)", sched_sleep_tests::pollee_wakeups),
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
