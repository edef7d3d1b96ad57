//! SMP tests (spec Phase 5): CPU bring-up, tasks on every core, load
//! balancing and cross-core IPC. Locks under contention and the mixed
//! stress are in `smp_stress_tests`.
//!
//! On a single-CPU boot the multi-core properties are vacuous; those tests
//! still run their workload (so the code paths are exercised and must not
//! deadlock) and say in the log that the cross-CPU part was skipped.
//! `5.1` prints `[KTEST] smp: N CPUs online` so a harness can compare N with
//! the `-smp` it asked for (the kernel keeps no record of the ACPI count
//! beyond the `[ACPI] Found N CPUs` log line).
//!
//! Ports 220–253 belong to these tests (230–245 are shared with the STRESS
//! group, which runs after them; each test drains its ports first).

use super::helpers::{
    check, cpu_list, cpu_ticks, drain, errors, need_timer, online_cpus, place_on, release_ports, report, since, spawn,
    spawn_on, tsc, wait_until, TSC_PER_TICK_MAX,
};
use super::Test;
use crate::arch::{irq, percpu};
use crate::kassert;
use crate::metrics::METRICS;
use crate::sched::sleep::now;
use crate::sched::{self, Priority};
use crate::sync::{LockLevel, SpinLock};
use crate::sys::port;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};

pub const TESTS: &[Test] = &[
    ("5.1 SMP: all CPUs online, dense ids, distinct APIC ids, every CPU ticks", all_cpus_online),
    ("5.2 SMP: tasks run on every CPU", tasks_on_every_cpu),
    ("5.3 SMP: load balancing migrates tasks off an overloaded CPU", migration),
    ("5.4 SMP: cross-core IPC, 1000 ping-pong round trips", cross_core_ipc),
    ("5.7 SMP: preemption counts stay balanced while tasks migrate", preempt_counts_balanced),
    ("5.8 SMP: an idle CPU steals work queued on a busy one", idle_cpus_steal),
];

fn mask_of(cpus: &[usize]) -> u32 {
    cpus.iter().fold(0, |m, &c| m | 1 << c)
}


/// Proves: the CPUs the SMP code counted are exactly the ones running a
/// scheduler (ids 0..N dense, distinct APIC ids), and each one's own
/// Local APIC timer is ticking (its per-CPU tick count grows).
fn all_cpus_online() -> Result<(), String> {
    let cpus = online_cpus();
    let n = cpus.len();
    let apic: Vec<u32> = cpus.iter().map(|&c| percpu::cpu(c).apic_id.load(Relaxed)).collect();
    crate::klog!("KTEST", "smp: {} CPUs online (APIC ids {:?})", n, apic);
    kassert!(n >= 1 && cpus == (0..n).collect::<Vec<_>>(), "online CPU ids are not 0..{n}: {cpus:?}");
    kassert!(n == crate::arch::smp::online_cpus(), "{n} CPUs marked online, SMP counted {}", crate::arch::smp::online_cpus());
    let distinct = apic.iter().enumerate().all(|(i, a)| !apic[..i].contains(a));
    kassert!(distinct, "duplicate APIC ids: {apic:?}");
    need_timer()?;
    let ticks = cpu_ticks;
    let before: Vec<u64> = cpus.iter().map(|&c| ticks(c)).collect();
    let t0 = now();
    wait_until(40, "4 ticks", || now() >= t0 + 4)?;
    let grew: Vec<u64> = cpus.iter().zip(&before).map(|(&c, &b)| ticks(c) - b).collect();
    kassert!(grew.iter().all(|&g| g >= 2), "per-CPU timer ticks over 4 global ticks: {grew:?}");
    Ok(())
}

/// Tasks that stay runnable (each occupies a CPU while it runs) and record
/// every CPU they run on (into `seen`) until `stop`. They halt between
/// interrupts, so a crowd of them costs the host little; to the scheduler
/// they are CPU-bound tasks (never blocking, preempted by the tick).
struct Busy {
    seen: AtomicU32,
    stop: AtomicBool,
    done: AtomicUsize,
    /// Tasks that ran on more than one CPU.
    moved: AtomicUsize,
}

impl Busy {
    fn new() -> Arc<Busy> {
        Arc::new(Busy { seen: AtomicU32::new(0), stop: AtomicBool::new(false), done: AtomicUsize::new(0), moved: AtomicUsize::new(0) })
    }

    fn body(self: Arc<Self>) -> impl FnOnce() + Send + 'static {
        move || {
            let t = tsc();
            let mut cpus = 0u32;
            while !self.stop.load(Relaxed) && since(t) < 600 * TSC_PER_TICK_MAX {
                let c = percpu::cpu_id();
                if cpus & 1 << c == 0 {
                    cpus |= 1 << c;
                    self.seen.fetch_or(1 << c, Relaxed);
                }
                irq::enable_and_halt();
            }
            if cpus.count_ones() > 1 {
                self.moved.fetch_add(1, Relaxed);
            }
            self.done.fetch_add(1, Release);
        }
    }

    fn finish(&self, tasks: usize) -> Result<(), String> {
        self.stop.store(true, Relaxed);
        wait_until(100, "the busy tasks to stop", || self.done.load(Acquire) == tasks)
    }
}

/// Proves: with 2N CPU-bound tasks spawned normally, every online CPU runs
/// some of them, and every CPU's context-switch count grows.
fn tasks_on_every_cpu() -> Result<(), String> {
    need_timer()?; // CPU-bound tasks would never give the CPU back
    let cpus = online_cpus();
    let all = mask_of(&cpus);
    let tasks = (2 * cpus.len()).max(4);
    let switches = |c: usize| percpu::cpu(c).stats.context_switches.load(Relaxed);
    let before: Vec<u64> = cpus.iter().map(|&c| switches(c)).collect();
    let busy = Busy::new();
    for _ in 0..tasks {
        spawn("smp-busy", Priority::Low, busy.clone().body())?;
    }
    let spread = wait_until(100, "busy tasks on every CPU", || busy.seen.load(Relaxed) == all);
    busy.finish(tasks)?;
    let seen = busy.seen.load(Relaxed);
    kassert!(spread.is_ok(), "busy tasks ran only on CPUs {:?} of {:?}", cpu_list(seen), cpus);
    let grew: Vec<u64> = cpus.iter().zip(&before).map(|(&c, &b)| switches(c) - b).collect();
    kassert!(grew.iter().all(|&g| g > 0), "context switches per CPU during the test: {grew:?}");
    Ok(())
}

/// Proves: when 2N+2 CPU-bound tasks are all queued on one CPU, the
/// balancer (and stealing) moves them until every CPU runs some, and
/// METRICS.migrations grows. On one CPU only the workload runs.
fn migration() -> Result<(), String> {
    need_timer()?; // CPU-bound tasks would never give the CPU back
    let cpus = online_cpus();
    let n = cpus.len();
    let all = mask_of(&cpus);
    let tasks = 2 * n + 2;
    let migrations = METRICS.migrations.load(Relaxed);
    // Overload a CPU other than ours, so we stay responsive.
    let target = (irq::without(percpu::cpu_id) + 1) % n;
    let busy = Busy::new();
    for _ in 0..tasks {
        place_on(target, "smp-crowd", Priority::Low, busy.clone().body())?;
    }
    let spread = wait_until(400, "the crowd to spread over every CPU", || {
        busy.seen.load(Relaxed) == all && (n == 1 || METRICS.migrations.load(Relaxed) > migrations)
    });
    let elapsed_ok = spread.is_ok();
    busy.finish(tasks)?;
    let moved = METRICS.migrations.load(Relaxed) - migrations;
    if n == 1 {
        crate::klog!("KTEST", "  (1 CPU: nothing to balance)");
        return Ok(());
    }
    kassert!(elapsed_ok, "tasks queued on CPU {target} reached only CPUs {:?} of {n} ({moved} migrations)", cpu_list(busy.seen.load(Relaxed)));
    crate::klog!("KTEST", "  {moved} migrations, {} of {tasks} tasks ran on more than one CPU", busy.moved.load(Relaxed));
    Ok(())
}

/// Proves: an idle CPU takes work queued on a busy one by itself (from its
/// idle loop or as it goes idle), not only through the 100 ms balancer: two
/// busy tasks placed on one CPU soon run on two CPUs, and METRICS.steals
/// grows. The balancer may move the task first now and then, so up to 10
/// tries.
fn idle_cpus_steal() -> Result<(), String> {
    need_timer()?;
    let n = online_cpus().len();
    if n == 1 {
        crate::klog!("KTEST", "  (1 CPU: nobody to steal)");
        return Ok(());
    }
    for attempt in 1..=10 {
        let steals = METRICS.steals.load(Relaxed);
        let target = (irq::without(percpu::cpu_id) + 1) % n;
        let busy = Busy::new();
        for _ in 0..2 {
            place_on(target, "steal-me", Priority::Normal, busy.clone().body())?;
        }
        let spread = wait_until(20, "the two tasks to run on two CPUs", || busy.seen.load(Relaxed).count_ones() >= 2);
        busy.finish(2)?;
        spread?;
        if METRICS.steals.load(Relaxed) > steals {
            crate::klog!("KTEST", "  stolen on try {attempt}");
            return Ok(());
        }
    }
    Err(String::from("in 10 tries the work always moved through the balancer, never by stealing"))
}

const ROUND_TRIPS: u32 = 1000;

/// Proves: 1000 request/reply round trips between two tasks pinned to two
/// different CPUs all arrive, in order, intact; and (N >= 2) messages
/// really crossed CPUs (each carries its sender's CPU id).
fn cross_core_ipc() -> Result<(), String> {
    const TO_B: usize = 220;
    const TO_A: usize = 221;
    drain(TO_A);
    drain(TO_B);
    let cpus = online_cpus();
    let n = cpus.len();
    let me = irq::without(percpu::cpu_id);
    let (cpu_a, cpu_b) = if n >= 3 { ((me + 1) % n, (me + 2) % n) } else { (0, n - 1) };
    let errs = errors();
    let done = Arc::new(AtomicUsize::new(0));
    let cross = Arc::new(AtomicUsize::new(0));
    let abort = Arc::new(AtomicBool::new(false));
    let msg = |i: u32| {
        let mut m = i.to_le_bytes().to_vec();
        m.extend_from_slice(&(percpu::cpu_id() as u32).to_le_bytes());
        m
    };
    let parse = |m: &[u8]| -> Option<(u32, u32)> {
        (m.len() == 8).then(|| (u32::from_le_bytes(m[..4].try_into().unwrap()), u32::from_le_bytes(m[4..].try_into().unwrap())))
    };
    // A sends first and B replies; otherwise the two sides are the same.
    for (name, cpu, rx, tx, sends_first) in [("xcore-a", cpu_a, TO_A, TO_B, true), ("xcore-b", cpu_b, TO_B, TO_A, false)] {
        let (e, d, x, ab) = (errs.clone(), done.clone(), cross.clone(), abort.clone());
        spawn_on(cpu, name, Priority::Normal, move || {
            for i in 0..ROUND_TRIPS {
                let send = || port::send(tx, msg(i)).map_err(|err| format!("{name}: send {i}: {err:?}"));
                if sends_first {
                    if let Err(why) = send() {
                        return report(&e, why);
                    }
                }
                let r = port::recv(rx);
                if ab.load(Acquire) {
                    return;
                }
                match r.as_deref().ok().and_then(parse) {
                    Some((j, from)) if j == i => {
                        if from as usize != percpu::cpu_id() {
                            x.fetch_add(1, Relaxed);
                        }
                    }
                    _ => return report(&e, format!("{name}: round {i}: got {r:?}")),
                }
                if !sends_first {
                    if let Err(why) = send() {
                        return report(&e, why);
                    }
                }
            }
            d.fetch_add(1, Release);
        })?;
    }
    let t0 = now();
    let finished = wait_until(1200, "1000 round trips", || done.load(Acquire) == 2 || !errs.lock().is_empty());
    let ticks = now() - t0;
    if finished.is_err() || !errs.lock().is_empty() {
        abort.store(true, Release);
        release_ports(&[TO_A, TO_B], &[], 1, 40, || Arc::strong_count(&done) == 1);
    }
    check(&errs)?;
    finished?;
    let crossed = cross.load(Relaxed);
    crate::klog!("KTEST", "  CPUs {cpu_a} <-> {cpu_b}: {crossed} of {} messages crossed CPUs, {ticks} ticks", 2 * ROUND_TRIPS);
    if n >= 2 {
        kassert!(crossed == 2 * ROUND_TRIPS as usize, "only {crossed} of {} messages crossed CPUs (tasks on CPUs {cpu_a} and {cpu_b})", 2 * ROUND_TRIPS);
    }
    Ok(())
}


static CHURN_LOCK: SpinLock<u64> = SpinLock::new(LockLevel::ProcessTable, "ktest-churn", 0);
const CHURN_PORTS: usize = 222;

fn churn(n: usize) {
    for _ in 0..n {
        *CHURN_LOCK.lock() += 1;
    }
}

/// Proves: `preempt_disable` counts on the CPU the task runs on, even when
/// an interrupt switches the task away in the middle and it resumes
/// elsewhere. Unpinned "churn" tasks take and drop a plain SpinLock (which
/// disables preemption) in a tight loop, yielding now and then, for 30
/// ticks; meanwhile pinned pairs play IPC ping-pong across CPUs, so each
/// message is an IPI that lands at a random point of a churner, and a CPU
/// whose pinned task blocks steals a churner from another CPU. Afterwards
/// every CPU, idle again, must be back at count 0 (a count left on a CPU
/// would keep it from ever preempting again); in debug builds the other
/// half of such a bug is the panic "preempt_enable without preempt_disable".
fn preempt_counts_balanced() -> Result<(), String> {
    need_timer()?;
    let cpus = online_cpus();
    let n = cpus.len();
    let pairs = n.clamp(2, 16);
    let ports = CHURN_PORTS..CHURN_PORTS + 2 * pairs;
    ports.clone().for_each(drain);
    let done = Arc::new(AtomicUsize::new(0));
    let errs = errors();
    let deadline = now() + 30;
    for p in 0..pairs {
        let (to_b, to_a) = (CHURN_PORTS + 2 * p, CHURN_PORTS + 2 * p + 1);
        let (d, e) = (done.clone(), errs.clone());
        spawn_on(p % n, "pingpong-a", Priority::Normal, move || {
            loop {
                let stop = now() >= deadline;
                if let Err(err) = port::send(to_b, alloc::vec![stop as u8]) {
                    return report(&e, format!("pair {p}: send: {err:?}"));
                }
                if stop {
                    break;
                }
                if port::recv(to_a).is_err() {
                    return report(&e, format!("pair {p}: recv failed"));
                }
            }
            d.fetch_add(1, Release);
        })?;
        let (d, e) = (done.clone(), errs.clone());
        spawn_on((p + 1) % n, "pingpong-b", Priority::Normal, move || {
            loop {
                match port::recv(to_b).as_deref() {
                    Ok([0]) => {}
                    Ok(_) => break,
                    Err(_) => return report(&e, format!("pair {p}: recv failed")),
                }
                if let Err(err) = port::send(to_a, alloc::vec![0]) {
                    return report(&e, format!("pair {p}: send: {err:?}"));
                }
            }
            d.fetch_add(1, Release);
        })?;
    }
    // Fewer churners than CPUs: a CPU whose pinned task blocks often has
    // nothing queued and steals a churner (maybe one just preempted).
    let churners = (n / 2).max(1);
    for _ in 0..churners {
        let d = done.clone();
        spawn("churn", Priority::Normal, move || {
            let t = tsc();
            while now() < deadline && since(t) < 60 * TSC_PER_TICK_MAX {
                churn(16);
                sched::yield_now();
            }
            d.fetch_add(1, Release);
        })?;
    }
    let all = 2 * pairs + churners;
    let finished = wait_until(200, "the tasks to finish", || done.load(Acquire) == all || !errs.lock().is_empty());
    if finished.is_err() || !errs.lock().is_empty() {
        let ports: Vec<usize> = ports.clone().collect();
        release_ports(&ports, &[1], 1, 40, || Arc::strong_count(&done) == 1);
    }
    check(&errs)?;
    finished?;
    let mine = irq::without(|| percpu::try_this_cpu().map_or(0, |c| c.preempt_count()));
    kassert!(mine == 0, "preempt_count is {mine} in task context on our CPU");
    // Other CPUs are idle now, but each is inside an interrupt (count 1) now
    // and then: CPU 0's timer tick even wakes our `sleep`, so a sample taken
    // right after one finds it inside that tick. So poll every CPU for 5
    // ticks without sleeping: a CPU fails only if no sample found it at 0.
    let mut stuck: Vec<(usize, u32)> = cpus.iter().map(|&c| (c, u32::MAX)).collect();
    let end = now() + 5;
    while now() < end {
        for (c, min) in stuck.iter_mut() {
            *min = (*min).min(percpu::cpu(*c).preempt_count());
        }
        core::hint::spin_loop();
    }
    let me = irq::without(percpu::cpu_id);
    stuck.retain(|&(c, min)| min != 0 && c != me);
    crate::klog!("KTEST", "  {pairs} pairs, {} lock round trips, {} migrations so far", *CHURN_LOCK.lock(), METRICS.migrations.load(Relaxed));
    kassert!(stuck.is_empty(), "CPUs left with preemption disabled (cpu, count): {stuck:?}");
    kassert!(ports.clone().map(port::queued).sum::<usize>() == 0, "messages left queued");
    Ok(())
}
