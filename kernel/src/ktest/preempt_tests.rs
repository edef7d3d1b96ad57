//! Preemption tests: a spinning task is preempted by the timer tick,
//! equal-priority CPU-bound tasks share a CPU in time slices, nestable
//! `preempt_disable`/`preempt_enable` defer the switch to the last enable,
//! and an exiting task's kernel stack is reclaimed. Tasks are pinned to one
//! CPU so these single-CPU properties are observable on SMP (see
//! `sched_tests` for the method).

use super::helpers::*;
use super::Test;
use crate::arch::{irq, percpu};
use crate::kassert;
use crate::metrics::METRICS;
use crate::mm::kstack::{self, STACK_FRAMES};
use crate::sched::sleep::now;
use crate::sched::task::TaskState;
use crate::sched::{self, Priority};
use crate::sync::preempt::{preempt_disable, preempt_enable};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};

pub const TESTS: &[Test] = &[
    ("preemption: a spinning task does not starve its CPU", spinner_is_preempted),
    ("preemption: equal-priority spinners share one CPU (time slices)", time_slicing),
    ("preempt_disable/enable: nestable, switch deferred to the last enable", preempt_nesting),
    ("a task switched to can be preempted before its first instruction", preempted_at_first_instruction),
    ("task exit frees its kernel stack (100 tasks)", exit_frees_stack),
];

// ---- preemption ------------------------------------------------------------

/// Proves: a task that never yields is preempted by the timer tick, so a
/// task queued behind it on the same CPU runs within a few ticks. We are
/// the spinner; the witness is pinned to our CPU and queued with
/// `need_resched` cleared, so only the tick (or an IPI) can switch us out.
fn spinner_is_preempted() -> Result<(), String> {
    need_timer()?;
    let ran = Arc::new(AtomicUsize::new(usize::MAX));
    let ran_at = Arc::new(AtomicU64::new(0));
    let preempts = METRICS.preemptions.load(Relaxed);
    let (cpu, t0) = irq::without(|| -> Result<(usize, u64), String> {
        let cpu = percpu::cpu_id();
        let (r, ra) = (ran.clone(), ran_at.clone());
        spawn_on(cpu, "preempt-witness", Priority::Normal, move || {
            ra.store(now(), Relaxed);
            r.store(percpu::cpu_id(), Release);
        })?;
        percpu::cpu(cpu).set_need_resched(false);
        Ok((cpu, now()))
    })?;
    let s = tsc();
    while ran.load(Acquire) == usize::MAX && now() < t0 + 40 && since(s) < 40 * TSC_PER_TICK_MAX {}
    let ran_on = ran.load(Acquire);
    let waited = ran_at.load(Relaxed).wrapping_sub(t0);
    kassert!(ran_on != usize::MAX, "a task queued on our CPU never ran while we spun for {} ticks", now() - t0);
    kassert!(ran_on == cpu, "the witness pinned to CPU {cpu} ran on CPU {ran_on}");
    kassert!(waited <= LATE, "the queued task ran only after {waited} ticks");
    kassert!(METRICS.preemptions.load(Relaxed) > preempts, "METRICS.preemptions did not grow");
    Ok(())
}

/// Proves: two equal-priority CPU-bound tasks pinned to one CPU take
/// turns: each sees the other make progress at least twice within 8 ticks.
/// On one CPU the other's progress counter can only move while a task is
/// switched out, so each change it observes is one of the other's time
/// slices. (The CPU is another one than ours when there is one, so our own
/// wake-ups do not mix in.)
fn time_slicing() -> Result<(), String> {
    need_timer()?;
    let n = online_cpus().len();
    let cpu = (irq::without(percpu::cpu_id) + 1) % n;
    let sh = Arc::new(Slices {
        progress: [AtomicU64::new(0), AtomicU64::new(0)],
        turns: [AtomicUsize::new(0), AtomicUsize::new(0)],
        elsewhere: AtomicBool::new(false),
        done: AtomicUsize::new(0),
    });
    irq::without(|| -> Result<(), String> {
        for me in 0..2 {
            let sh = sh.clone();
            spawn_on(cpu, "slice-spinner", Priority::Normal, move || {
                sh.spin(me, cpu);
                sh.done.fetch_add(1, Release);
            })?;
        }
        Ok(())
    })?;
    wait_until(60, "the spinners to finish", || sh.done.load(Acquire) == 2)?;
    kassert!(!sh.elsewhere.load(Relaxed), "a spinner pinned to CPU {cpu} ran elsewhere");
    let got = [sh.turns[0].load(Relaxed), sh.turns[1].load(Relaxed)];
    kassert!(got.iter().all(|&n| n >= 2), "turns of the other task seen by each spinner over 8 ticks: {got:?} (want >= 2 each)");
    Ok(())
}

struct Slices {
    progress: [AtomicU64; 2],
    /// How often spinner `i` saw the other one's progress change.
    turns: [AtomicUsize; 2],
    elsewhere: AtomicBool,
    done: AtomicUsize,
}

impl Slices {
    /// Spin as spinner `me` for 8 ticks (bounded in TSC time too).
    fn spin(&self, me: usize, cpu: usize) {
        let (t0, s) = (now(), tsc());
        let mut mine = 0;
        let mut seen = self.progress[1 - me].load(Relaxed);
        while now() < t0 + 8 && since(s) < 40 * TSC_PER_TICK_MAX {
            mine += 1;
            self.progress[me].store(mine, Relaxed);
            let theirs = self.progress[1 - me].load(Relaxed);
            if theirs != seen {
                seen = theirs;
                self.turns[me].fetch_add(1, Relaxed);
            }
            if percpu::cpu_id() != cpu {
                self.elsewhere.store(true, Relaxed);
            }
        }
    }
}

/// Proves: `preempt_disable` nests; while the count is non-zero no switch
/// happens although `need_resched` is set and ticks arrive (a task pinned
/// to our CPU does not run, we stay on this CPU); the inner enable does not
/// switch; the outer one switches at once (the queued task has run when it
/// returns).
///
/// The witness is High priority: the switch at the last enable is what the
/// design promises, not that the task switched to runs its first
/// instruction before we are back. A tick pending at that moment (a vCPU
/// descheduled by the host mid-switch) preempts a Normal witness as it
/// enables interrupts in `first_run`, and round robin gives the CPU back
/// to us first: that was the intermittent "had not run ... (usize::MAX)"
/// failure, reproduced on purpose by `preempted_at_first_instruction`.
///
/// Aging is the other legitimate exception: after 8 consecutive picks of
/// higher levels while Normal waited, the scheduler serves Normal once,
/// and that pick at the last enable can be us (seen once in 10 runs of the
/// matrix under load, -smp 16). So an attempt whose witness had not run yet
/// is repeated (up to `ATTEMPTS` times, after the witness has run); every
/// other check fails at once, and a witness that is never first fails.
fn preempt_nesting() -> Result<(), String> {
    const ATTEMPTS: usize = 6;
    for _ in 0..ATTEMPTS {
        if nesting_attempt()? {
            return Ok(());
        }
    }
    Err(alloc::format!("in {ATTEMPTS} attempts the queued task never ran at the last preempt_enable"))
}

/// One attempt of [`preempt_nesting`]: `Ok(true)` if the witness had run on
/// our CPU when the outer enable returned, `Ok(false)` if it ran only later.
fn nesting_attempt() -> Result<bool, String> {
    need_timer()?;
    let ran = Arc::new(AtomicUsize::new(usize::MAX));
    let switches_of = |cpu: usize| percpu::cpu(cpu).stats.context_switches.load(Relaxed);

    // Nothing below may return early while preemption is disabled.
    preempt_disable();
    preempt_disable();
    let cpu = percpu::cpu_id();
    let me = percpu::cpu(cpu);
    let r = ran.clone();
    let spawned = spawn_on(cpu, "preempt-witness", Priority::High, move || r.store(percpu::cpu_id(), Release));
    let depth2 = me.preempt_count();
    let (t0, s, sw0) = (now(), tsc(), switches_of(cpu));
    while spawned.is_ok() && now() < t0 + 3 && since(s) < 10 * TSC_PER_TICK_MAX {}
    let ticks_outer = now() - t0;
    let ran_nested = ran.load(Acquire);
    let resched_pending = me.need_resched();
    let same_cpu = percpu::cpu_id() == cpu;
    let switched_nested = switches_of(cpu) != sw0;
    preempt_enable();
    let depth1 = me.preempt_count();
    let t1 = now();
    while spawned.is_ok() && now() < t1 + 2 && since(s) < 20 * TSC_PER_TICK_MAX {}
    let ran_inner = ran.load(Acquire);
    let still_pending = me.need_resched();
    preempt_enable();
    let ran_outer = ran.load(Acquire);
    // Preemption is back on: now check.

    spawned?;
    kassert!(depth2 == 2 && depth1 == 1, "preempt_count was {depth2} then {depth1}, want 2 then 1");
    kassert!(ticks_outer >= 2, "only {ticks_outer} ticks passed in the disabled window");
    kassert!(same_cpu && !switched_nested, "switched out while preemption was disabled");
    kassert!(ran_nested == usize::MAX && ran_inner == usize::MAX, "the queued task ran while preemption was disabled");
    kassert!(resched_pending && still_pending, "need_resched not set while a task waited (the tick should set it)");
    if ran_outer == cpu {
        return Ok(true);
    }
    kassert!(ran_outer == usize::MAX, "the witness pinned to CPU {cpu} ran on CPU {ran_outer}");
    wait_until(LATE, "the witness to run after the last preempt_enable", || ran.load(Acquire) == cpu)?;
    Ok(false)
}

/// Proves the cause of the old `preempt_nesting` flake, deterministically:
/// an interrupt pending when we switch to a new task is taken as that task
/// enables interrupts, before its first instruction, and (the task being
/// preemptible) the scheduler may pick us again: a Normal witness, behind
/// which we are queued at the same level, has not run when our switch
/// returns; a High one has. The pending interrupt is a reschedule IPI to
/// ourselves, sent with interrupts off.
fn preempted_at_first_instruction() -> Result<(), String> {
    need_timer()?;
    let cpu = irq::without(percpu::cpu_id);
    let mut seen = [usize::MAX; 2];
    for (i, prio) in [Priority::Normal, Priority::High].into_iter().enumerate() {
        seen[i] = probe_until_alone(cpu, prio)?;
    }
    kassert!(seen[0] == usize::MAX, "a Normal witness ran before the prober was back ({}): the IPI did not preempt it", seen[0]);
    kassert!(seen[1] == cpu, "a High witness had not run when the prober was back ({})", seen[1]);
    Ok(())
}

/// One probe of [`preempted_at_first_instruction`] with a witness of
/// `prio`: what the witness had stored when the prober's switch returned
/// (its CPU, or `usize::MAX` if it had not run). The probe only counts
/// when the witness is the only task queued on `cpu` as the prober
/// switches: another one ahead of it (the ktest task itself, just woken
/// from its 1-tick poll, or a previous test's task still on its way out)
/// would take the pending IPI instead, and the witness then runs to the
/// end before the prober is back (the intermittent "(0)" failure, caught
/// once in about 40 runs). Such probes are repeated (up to 20 times).
fn probe_until_alone(cpu: usize, prio: Priority) -> Result<usize, String> {
    const ATTEMPTS: usize = 20;
    for _ in 0..ATTEMPTS {
        // [switches around schedule(), what the witness stored, done, alone]
        let out = Arc::new([AtomicUsize::new(0), AtomicUsize::new(usize::MAX), AtomicUsize::new(0), AtomicUsize::new(0)]);
        let (ran, o) = (Arc::new(AtomicUsize::new(usize::MAX)), out.clone());
        let (r, witness_ran) = (ran.clone(), ran.clone());
        // The prober is pinned (never stolen) and Normal, as the ktest task is.
        spawn_on(cpu, "preempt-prober", Priority::Normal, move || {
            let switches = irq::without(|| {
                let sw0 = percpu::cpu(cpu).stats.context_switches.load(Relaxed);
                let w = spawn_on(cpu, "preempt-witness", prio, move || r.store(percpu::cpu_id(), Release));
                o[3].store(usize::from(sched::queued(cpu) == 1), Release);
                crate::arch::apic::send_ipi(cpu, crate::arch::apic::RESCHEDULE_IPI);
                sched::schedule();
                o[1].store(ran.load(Acquire), Release);
                w.map(|_| percpu::cpu(cpu).stats.context_switches.load(Relaxed) - sw0)
            });
            o[0].store(switches.unwrap_or(0) as usize, Release);
            o[2].store(1, Release);
        })?;
        wait_until(20, "the prober to finish", || out[2].load(Acquire) == 1)?;
        let switches = out[0].load(Acquire);
        kassert!(switches >= 2, "CPU {cpu}: {switches} switches around schedule(), want >= 2 (to the witness and back)");
        if out[3].load(Acquire) == 1 {
            return Ok(out[1].load(Acquire));
        }
        // Let the other task (and this witness) finish before trying again.
        wait_until(20, "the disturbed probe's witness to run", || witness_ran.load(Acquire) != usize::MAX)?;
    }
    Err(alloc::format!("CPU {cpu} never had the witness alone in its queue in {ATTEMPTS} probes"))
}

// ---- task exit -------------------------------------------------------------

/// Proves: a task's kernel stack is freed when it exits. A warm-up round
/// (leaving the page tables of the stack area in place) ends with every
/// stack provably released: we hold a handle to each task and drop it once
/// it is the last reference. Then 100 tasks spawned without handles hold
/// many stacks' worth of frames while alive, and after they exit the
/// scheduler alone must bring the count of frames that are free or in the
/// kernel-stack cache back to the baseline, and the idle loop must trim
/// the cache back to `kstack::CACHE_SIZE` stacks (unmapping the rest).
///
/// The waits are liveness bounds (10 s each): 100 tasks exiting on 16
/// vCPUs of a host at load 10 took more than the old 2 s (seen in 6 of 20
/// loaded runs); a leak never settles, however long we wait.
fn exit_frees_stack() -> Result<(), String> {
    const N: usize = 100;
    let available = available_frames;
    let trimmed = || kstack::cached_frames() <= kstack::CACHE_SIZE * STACK_FRAMES;
    {
        let gate = Gate::new();
        let mut handles = Vec::new();
        for _ in 0..N {
            let t = new_task("exit-warmup", Priority::Normal, None, gate.body())?;
            sched::start(t.clone());
            handles.push(t);
        }
        gate.open_and_wait(N)?;
        wait_until(200, "the scheduler to release the warm-up tasks", || {
            handles.iter().all(|t| t.state() == TaskState::Terminated && Arc::strong_count(t) == 1)
        })?;
    }
    wait_until(200, "the idle loop to trim the kernel-stack cache", trimmed)?;
    let baseline = available();
    let gate = Gate::new();
    for _ in 0..N {
        spawn("exit-test", Priority::Normal, gate.body())?;
    }
    wait_until(200, "all tasks to start", || gate.started() == N)?;
    // Every live task's stack is out of both the free pool and the cache
    // (stacks of other tasks exiting meanwhile may return a few: half is
    // the bar).
    let used = baseline.saturating_sub(available());
    let want = N / 2 * STACK_FRAMES;
    kassert!(used >= want, "{N} live tasks use only {used} frames, want >= {want}");
    gate.open_and_wait(N)?;
    // Tasks of earlier tests that finish exiting meanwhile can only add
    // frames, never take any: so "at least the baseline".
    let mut left = 0;
    let settled = wait_until(200, "frames to return to the baseline", || {
        left = baseline as isize - available() as isize;
        left <= 0
    });
    kassert!(
        settled.is_ok(),
        "{left} frames not returned after {N} tasks exited (baseline {baseline}: now {} free + {} in cached stacks; {} stack slots in use, {} tasks alive)",
        crate::mm::pmm::free_frames(),
        kstack::cached_frames(),
        kstack::slots_in_use(),
        sched::task::live_tasks()
    );
    wait_until(200, "the idle loop to trim the kernel-stack cache again", trimmed)?;
    Ok(())
}

