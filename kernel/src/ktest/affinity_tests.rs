//! CPU affinity tests: a task runs only on the CPUs of its mask, under
//! contention on every CPU, with idle CPUs looking for work to steal, while
//! masks change under running tasks; `affinity::set` moves the caller
//! before it returns and a running task soon after; masks without an
//! online CPU are refused; yielding tasks whose masks flip after every
//! sample (so they often wait in a queue their new mask excludes: the
//! claim-time check in `schedule` must refuse them) stay inside them.
//!
//! How "never outside its mask" is observed: each worker samples, with
//! interrupts off (so it cannot move in between), the mask the test last
//! published for it and then the CPU it is on; a CPU outside that mask is a
//! violation. The test changes a mask in three steps (publish old | new,
//! `set(new)`, publish new), so the published mask always contains every
//! CPU the task may legally be on at that moment: `set` promises that on
//! return the task runs only inside the new mask.

use super::helpers::{cpu_list, errors, check, new_task, online_cpus, report, wait_until, Defer};
use super::Test;
use crate::arch::{irq, percpu};
use crate::kassert;
use crate::sched::affinity::{self, CpuMask};
use crate::sched::sleep::{now, sleep};
use crate::sched::{self, task::Task, Priority};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};

pub const TESTS: &[Test] = &[
    ("AFFINITY: masks without an online CPU are refused", refused),
    ("AFFINITY: set on the caller moves it to each CPU before returning", self_pin),
    ("AFFINITY: a running task pinned by another task moves to each CPU", remote_pin),
    ("AFFINITY: tasks run only inside their masks (contention, stealing, changes)", contention),
    ("AFFINITY: blocking tasks whose masks flip without pause stay inside them", flips),
];

/// Ticks the flip test runs.
const FLIP_TICKS: u64 = 20;

/// Ticks the contention test's workers run while masks change.
const RUN_TICKS: u64 = 30;
/// Upper bound on workers (3 per CPU up to 16 CPUs).
const MAX_WORKERS: usize = 48;

/// What a worker shares with the test.
struct Worker {
    /// The mask the test last published (a superset of the legal CPUs).
    published: AtomicU64,
    /// CPUs it was seen on.
    seen: AtomicU64,
    samples: AtomicUsize,
    violations: AtomicUsize,
}

/// One sample: interrupts off, read the published mask, then the CPU.
/// Returns the CPU and whether the mask allowed it.
fn sample(w: &Worker) -> (usize, bool) {
    irq::without(|| {
        let mask = CpuMask(w.published.load(SeqCst));
        let cpu = percpu::cpu_id();
        (cpu, mask.contains(cpu))
    })
}

/// Proves: `set` refuses an empty mask and a mask of offline CPUs only,
/// leaving the task's mask as it was; `get` reports the online CPUs by
/// default.
fn refused() -> Result<(), String> {
    let me = sched::current();
    let online = affinity::online();
    kassert!(affinity::get(&me) == online, "default mask {:#x} is not the online CPUs {:#x}", affinity::get(&me).0, online.0);
    kassert!(affinity::set(&me, CpuMask::EMPTY).is_err(), "an empty mask was accepted");
    kassert!(affinity::set(&me, CpuMask::single(63)).is_err(), "a mask of an offline CPU was accepted");
    kassert!(affinity::get(&me) == online, "a refused set changed the mask to {:#x}", affinity::get(&me).0);
    Ok(())
}

/// Proves: for every online CPU, right after `set(me, {cpu})` returns the
/// caller runs on `cpu` and `get` reports exactly `{cpu}`.
fn self_pin() -> Result<(), String> {
    let me = sched::current();
    let _restore = Defer(|| {
        let _ = affinity::set(&sched::current(), CpuMask::ALL);
    });
    for round in 0..2 {
        for cpu in online_cpus() {
            kassert!(affinity::set(&me, CpuMask::single(cpu)).is_ok(), "set to CPU {cpu} refused");
            let on = percpu::cpu_id();
            kassert!(on == cpu, "round {round}: set(me, {{{cpu}}}) returned on CPU {on}");
            kassert!(affinity::get(&me) == CpuMask::single(cpu), "get after pinning to {cpu}: {:#x}", affinity::get(&me).0);
        }
    }
    Ok(())
}

/// Proves: a task that spins (never blocks or yields) is moved by another
/// task's `set` to each online CPU in turn: every sample it takes after
/// the call returned is on the new CPU.
fn remote_pin() -> Result<(), String> {
    let w = Arc::new(Worker { published: AtomicU64::new(u64::MAX), seen: AtomicU64::new(0), samples: AtomicUsize::new(0), violations: AtomicUsize::new(0) });
    let last = Arc::new(AtomicUsize::new(usize::MAX));
    let stop = Arc::new(AtomicBool::new(false));
    let (w2, l2, s2) = (w.clone(), last.clone(), stop.clone());
    let task = new_task("aff-spinner", Priority::Normal, None, move || {
        while !s2.load(Relaxed) {
            let (cpu, ok) = sample(&w2);
            l2.store(cpu, SeqCst);
            w2.samples.fetch_add(1, SeqCst);
            if !ok {
                w2.violations.fetch_add(1, Relaxed);
            }
            for i in 0..200u32 {
                core::hint::black_box(i);
            }
        }
    })?;
    sched::start(task.clone());
    let _stop = Defer(|| stop.store(true, Relaxed));
    let cpus = online_cpus();
    for round in 0..2 {
        for &cpu in cpus.iter().rev() {
            w.published.store(w.published.load(SeqCst) | CpuMask::single(cpu).0, SeqCst);
            kassert!(affinity::set(&task, CpuMask::single(cpu)).is_ok(), "set to CPU {cpu} refused");
            w.published.store(CpuMask::single(cpu).0, SeqCst);
            let from = w.samples.load(SeqCst);
            wait_until(200, "the spinner to sample again", || w.samples.load(SeqCst) >= from + 2)?;
            let on = last.load(SeqCst);
            kassert!(on == cpu, "round {round}: spinner pinned to CPU {cpu} sampled CPU {on}");
        }
    }
    kassert!(w.violations.load(Relaxed) == 0, "{} samples outside the mask", w.violations.load(Relaxed));
    Ok(())
}

/// Proves, on every CPU count: 3 workers per CPU (up to 48) with masks of
/// one CPU (each CPU has one), two CPUs (each CPU and the next), or the
/// lower half of the CPUs (so that the upper half, idle whenever its own
/// workers sleep, tries to steal them), sampling, spinning, yielding and
/// sleeping for 30 ticks while the test moves the two-CPU ones from CPU to
/// CPU, are never seen outside their masks; every worker took samples,
/// and with 2+ CPUs each moved worker was seen on 2+ CPUs.
fn contention() -> Result<(), String> {
    let cpus = online_cpus();
    let n = cpus.len();
    let at = |i: usize| cpus[i % n];
    let count = (3 * n).min(MAX_WORKERS);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let errs = errors();
    let mut workers: Vec<(Arc<Worker>, Arc<Task>, CpuMask)> = Vec::new();
    let _stop = Defer(|| stop.store(true, Relaxed));
    for i in 0..count {
        let mask = match i % 3 {
            0 => CpuMask::single(at(i / 3)),
            1 => CpuMask::single(at(i / 3)).with(at(i / 3 + 1)),
            _ => cpus[..n.div_ceil(2)].iter().fold(CpuMask::EMPTY, |m, &c| m.with(c)),
        };
        let w = Arc::new(Worker { published: AtomicU64::new(mask.0), seen: AtomicU64::new(0), samples: AtomicUsize::new(0), violations: AtomicUsize::new(0) });
        let (w2, st, d, e) = (w.clone(), stop.clone(), done.clone(), errs.clone());
        let task = new_task("aff-worker", Priority::Normal, None, move || {
            let mut k = 0u32;
            while !st.load(Relaxed) {
                let (cpu, ok) = sample(&w2);
                w2.seen.fetch_or(1 << cpu, Relaxed);
                w2.samples.fetch_add(1, Relaxed);
                if !ok && w2.violations.fetch_add(1, Relaxed) == 0 {
                    report(&e, format!("worker {i} ran on CPU {cpu}, mask {:#x}", w2.published.load(SeqCst)));
                }
                for j in 0..500u32 {
                    core::hint::black_box(j);
                }
                k = k.wrapping_add(1);
                if k.is_multiple_of(64) {
                    sleep(1);
                } else if k.is_multiple_of(8) {
                    sched::yield_now();
                }
            }
            d.fetch_add(1, Release);
        })?;
        // Set before it starts: placement must honour it too.
        kassert!(affinity::set(&task, mask).is_ok(), "worker {i}: mask {:#x} refused", mask.0);
        sched::start(task.clone());
        workers.push((w, task, mask));
    }
    // Move every third worker (the two-CPU ones) around, one CPU at a time.
    let steals0 = crate::metrics::METRICS.steals.load(Relaxed);
    let t0 = now();
    let mut round = 0;
    while now() - t0 < RUN_TICKS {
        for (i, (w, task, _)) in workers.iter().enumerate().filter(|(i, _)| i % 3 == 1) {
            let new = CpuMask::single(at(i / 3 + round + 1));
            w.published.store(w.published.load(SeqCst) | new.0, SeqCst);
            kassert!(affinity::set(task, new).is_ok(), "moving worker {i} to {:#x} refused", new.0);
            w.published.store(new.0, SeqCst);
        }
        round += 1;
        sleep(1);
    }
    stop.store(true, Relaxed);
    wait_until(400, "the workers to stop", || done.load(Acquire) == count)?;
    let total: usize = workers.iter().map(|(w, _, _)| w.samples.load(Relaxed)).sum();
    let bad: usize = workers.iter().map(|(w, _, _)| w.violations.load(Relaxed)).sum();
    let steals = crate::metrics::METRICS.steals.load(Relaxed) - steals0;
    crate::klog!("KTEST", "  {count} workers on {n} CPUs: {total} samples, {bad} outside their masks, {round} rounds of moves, {steals} steals");
    check(&errs)?;
    kassert!(bad == 0, "{bad} samples outside the mask");
    for (i, (w, _, mask)) in workers.iter().enumerate() {
        let (samples, seen) = (w.samples.load(Relaxed), w.seen.load(Relaxed));
        kassert!(samples > 0, "worker {i} (mask {:#x}) never ran", mask.0);
        if i % 3 == 1 && n >= 2 && round >= 2 {
            kassert!(seen.count_ones() >= 2, "moved worker {i} was only seen on CPUs {:?}", cpu_list(seen as u32));
        }
    }
    Ok(())
}

/// Proves (2+ CPUs): tasks that yield all the time (and sleep a tick every
/// 32 samples) while the test flips each one's mask between two single
/// CPUs after every sample it takes are never seen outside the published
/// mask, and each was seen on both CPUs. This is where a task is still
/// switching away, or being queued, when its mask changes, so it waits in
/// a queue its new mask excludes: the claim-time check must refuse it.
fn flips() -> Result<(), String> {
    let cpus = online_cpus();
    let n = cpus.len();
    if n < 2 {
        crate::klog!("KTEST", "  skipped: needs 2 CPUs");
        return Ok(());
    }
    let count = n.min(8);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let _stop = Defer(|| stop.store(true, Relaxed));
    let mut workers = Vec::new();
    for i in 0..count {
        let (a, b) = (cpus[i % n], cpus[(i + 1) % n]);
        let w = Arc::new(Worker { published: AtomicU64::new(CpuMask::single(a).0), seen: AtomicU64::new(0), samples: AtomicUsize::new(0), violations: AtomicUsize::new(0) });
        let (w2, st, d) = (w.clone(), stop.clone(), done.clone());
        let task = new_task("aff-flipper", Priority::Normal, None, move || {
            let mut k = 0u32;
            while !st.load(Relaxed) {
                let (cpu, ok) = sample(&w2);
                w2.seen.fetch_or(1 << cpu, Relaxed);
                w2.samples.fetch_add(1, Relaxed);
                if !ok {
                    w2.violations.fetch_add(1, Relaxed);
                }
                k = k.wrapping_add(1);
                if k.is_multiple_of(32) { sleep(1) } else { sched::yield_now() }
            }
            d.fetch_add(1, Release);
        })?;
        kassert!(affinity::set(&task, CpuMask::single(a)).is_ok(), "flipper {i}: CPU {a} refused");
        sched::start(task.clone());
        workers.push((w, task, a, b));
    }
    let (t0, mut flips, mut rounds) = (now(), 0u64, 0u64);
    let mut last = alloc::vec![(0usize, false); count];
    while now() - t0 < FLIP_TICKS {
        for (j, (w, task, a, b)) in workers.iter().enumerate() {
            // Flip each worker once per sample it takes (so that it runs
            // between flips), as soon as it took one.
            let s = w.samples.load(Relaxed);
            if s == last[j].0 {
                continue;
            }
            last[j].0 = s;
            last[j].1 = !last[j].1;
            let to = if last[j].1 { *b } else { *a };
            flips += 1;
            w.published.store(w.published.load(SeqCst) | CpuMask::single(to).0, SeqCst);
            kassert!(affinity::set(task, CpuMask::single(to)).is_ok(), "flip to CPU {to} refused");
            w.published.store(CpuMask::single(to).0, SeqCst);
        }
        rounds += 1;
        if rounds.is_multiple_of(16) {
            sched::yield_now();
        }
    }
    stop.store(true, Relaxed);
    wait_until(400, "the flippers to stop", || done.load(Acquire) == count)?;
    let total: usize = workers.iter().map(|(w, ..)| w.samples.load(Relaxed)).sum();
    let bad: usize = workers.iter().map(|(w, ..)| w.violations.load(Relaxed)).sum();
    crate::klog!("KTEST", "  {count} flippers on {n} CPUs: {flips} flips, {total} samples, {bad} outside their masks");
    kassert!(bad == 0, "{bad} samples outside the mask");
    for (i, (w, _, a, b)) in workers.iter().enumerate() {
        let seen = w.seen.load(Relaxed);
        kassert!(seen & (1 << a) != 0 && seen & (1 << b) != 0, "flipper {i} was seen on CPUs {:?}, not both {a} and {b}", cpu_list(seen as u32));
    }
    Ok(())
}
