//! Inter-processor interrupts: reschedule, TLB shootdown, stop (NMI).
//!
//! A CPU can receive IPIs once its APIC is enabled and its IDT loaded; it
//! then sets its bit in `READY` ([`mark_ready`]). IPIs go only to ready
//! CPUs: a CPU that was never started (or is still in its trampoline) is
//! skipped, and a dense CPU id is turned into its APIC id through the
//! per-CPU data.
//!
//! ## TLB shootdown protocol (vector [`TLB_SHOOTDOWN_IPI`])
//!
//! Each sender CPU `s` owns one request slot `REQ[s]` (range + count of
//! pending acknowledgements); each CPU `t` has an inbox bitmask `INBOX[t]`
//! of senders whose request it has not handled yet. To shoot down:
//!
//! 1. with interrupts off (so a handler on this CPU cannot start a second
//!    request and preemption cannot move us), write the range into
//!    `REQ[s]`, set `pending` = number of targets;
//! 2. for each other ready CPU: set bit `s` in its inbox, send the IPI;
//! 3. spin until `pending` is 0, *servicing our own inbox meanwhile*.
//!
//! A target's handler (or a spinning sender) swaps its inbox to 0, flushes
//! each listed sender's range and decrements that sender's `pending`. The
//! range is read before the decrement, and the sender rewrites its slot only
//! after `pending` reached 0, so no request is read torn.
//!
//! Why it cannot deadlock among senders: two CPUs shooting down at once
//! with interrupts disabled each serve the other's request in step 3, so
//! both finish. A CPU spinning for a spin lock serves its inbox too
//! ([`serve_pending`], called from `sync::spin`'s wait loop), so
//! [`tlb_shootdown_to`] may be called with a spin lock held (user address
//! spaces flush under their lock: a CPU waiting for that lock with
//! interrupts off, in a page fault, still answers). [`tlb_shootdown`]
//! (kernel mappings, every CPU) keeps the stricter rule of being called
//! with no lock held (`mm::kstack`).
//!
//! State: `READY`, `INBOX`, `REQ` are atomics; no locks are taken, so
//! [`stop_other_cpus`] works from the panic path.

use super::lapic::{self, ICR_ASSERT, ICR_FIXED, ICR_NMI};
use crate::arch::{cpu, irq, percpu, trap::TrapFrame};
use crate::config::MAX_CPUS;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Vector of the TLB shootdown IPI.
pub const TLB_SHOOTDOWN_IPI: u8 = 0x31;
/// Flush everything (toggle CR4.PGE) above this many pages.
const FULL_FLUSH_PAGES: u64 = 64;

const _: () = assert!(MAX_CPUS <= 32, "CPU bitmasks are 32 bits wide");

static READY: AtomicU32 = AtomicU32::new(0);
static INBOX: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];

struct Request {
    start: AtomicU64,
    end: AtomicU64,
    pending: AtomicU32,
}

static REQ: [Request; MAX_CPUS] = [const {
    Request { start: AtomicU64::new(0), end: AtomicU64::new(0), pending: AtomicU32::new(0) }
}; MAX_CPUS];

/// This CPU can now take IPIs (APIC on, IDT loaded).
pub fn mark_ready(cpu: usize) {
    READY.fetch_or(1 << cpu, Ordering::AcqRel);
}

/// Bitmask of CPUs that can take IPIs.
pub fn ready_mask() -> u32 {
    READY.load(Ordering::Acquire)
}

fn apic_id_of(cpu: usize) -> Option<u32> {
    (cpu < MAX_CPUS && ready_mask() & (1 << cpu) != 0).then(|| percpu::cpu(cpu).apic_id.load(Ordering::Relaxed))
}

/// Send `vector` to CPU `cpu_id` (dense index). Ignored if that CPU is not
/// up (it will look at its run queue when it starts anyway).
pub fn send_ipi(cpu_id: usize, vector: u8) {
    if let Some(apic) = apic_id_of(cpu_id) {
        irq::without(|| lapic::send_icr(apic, ICR_FIXED | ICR_ASSERT | vector as u32));
    }
}

/// Send a non-maskable interrupt to CPU `cpu` (the lockup watchdog's
/// report request). Ignored if that CPU is not up.
pub fn send_nmi(cpu: usize) {
    if let Some(apic) = apic_id_of(cpu) {
        irq::without(|| lapic::send_icr(apic, ICR_NMI | ICR_ASSERT));
    }
}

/// Stop every other CPU with an NMI (panic path: no locks, no waiting).
/// Each one halts in `panic::on_nmi`.
pub fn stop_other_cpus() {
    if !lapic::ready() {
        return;
    }
    let me = percpu::cpu_id();
    for cpu in (0..MAX_CPUS).filter(|&c| c != me) {
        if let Some(apic) = apic_id_of(cpu) {
            irq::without(|| lapic::send_icr(apic, ICR_NMI | ICR_ASSERT));
        }
    }
}

/// Invalidate `[start, end)` on this CPU (all of it if the range is big).
pub fn flush_local(start: u64, end: u64) {
    if end.saturating_sub(start) / 4096 > FULL_FLUSH_PAGES {
        // SAFETY: toggling CR4.PGE flushes the whole TLB, global entries
        // included; the bit is restored at once.
        unsafe {
            let cr4: u64;
            core::arch::asm!("mov {}, cr4", out(reg) cr4, options(nomem, nostack));
            core::arch::asm!("mov cr4, {}", in(reg) cr4 ^ (1 << 7), options(nostack));
            core::arch::asm!("mov cr4, {}", in(reg) cr4, options(nostack));
        }
    } else {
        cpu::invlpg_range(start, end);
    }
}

/// Handle every shootdown request queued for this CPU.
fn service_inbox(me: usize) {
    let mut senders = INBOX[me].swap(0, Ordering::AcqRel);
    while senders != 0 {
        let s = senders.trailing_zeros() as usize;
        senders &= senders - 1;
        let req = &REQ[s];
        flush_local(req.start.load(Ordering::Acquire), req.end.load(Ordering::Acquire));
        req.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serve this CPU's queued shootdown requests, if any (a CPU spinning for
/// a lock calls this, so a lock holder's shootdown cannot wait on it).
#[inline]
pub fn serve_pending() {
    if ready_mask() == 0 {
        return;
    }
    irq::without(|| {
        if let Some(c) = percpu::try_this_cpu() {
            if INBOX[c.cpu_id].load(Ordering::Relaxed) != 0 {
                service_inbox(c.cpu_id);
            }
        }
    });
}

/// Invalidate kernel mappings of `[start, end)` on every other online CPU
/// and wait until all have done it (the caller flushes its own TLB). Safe
/// with interrupts disabled; see the module doc for the one rule.
pub fn tlb_shootdown(start: u64, end: u64) {
    // Another CPU may be spinning, interrupts off, for a lock we hold: it
    // would never acknowledge, and we would wait for it forever.
    debug_assert!(!crate::sync::lock_ordering::holds_any(), "TLB shootdown while holding a lock");
    tlb_shootdown_to(u32::MAX, start, end);
}

/// Invalidate `[start, end)` on the ready CPUs of `cpus` other than this
/// one and wait until they have (the caller flushes its own TLB). May be
/// called with spin locks held (module doc).
pub fn tlb_shootdown_to(cpus: u32, start: u64, end: u64) {
    if end <= start || !lapic::ready() {
        return;
    }
    let was = irq::save_and_disable();
    let me = percpu::cpu_id();
    let targets = ready_mask() & cpus & !(1 << me);
    if targets != 0 {
        let req = &REQ[me];
        req.start.store(start, Ordering::Relaxed);
        req.end.store(end, Ordering::Relaxed);
        req.pending.store(targets.count_ones(), Ordering::Release);
        let mut left = targets;
        while left != 0 {
            let t = left.trailing_zeros() as usize;
            left &= left - 1;
            INBOX[t].fetch_or(1 << me, Ordering::AcqRel);
            let apic = percpu::cpu(t).apic_id.load(Ordering::Relaxed);
            lapic::send_icr(apic, ICR_FIXED | ICR_ASSERT | TLB_SHOOTDOWN_IPI as u32);
        }
        while req.pending.load(Ordering::Acquire) != 0 {
            service_inbox(me);
            core::hint::spin_loop();
        }
    }
    irq::restore(was);
}

/// TLB shootdown IPI handler.
pub fn shootdown_handler(_frame: &mut TrapFrame) {
    lapic::eoi();
    service_inbox(percpu::cpu_id());
}

/// RESCHEDULE_IPI handler: acknowledge, then tell the scheduler.
pub fn resched_handler(_frame: &mut TrapFrame) {
    lapic::eoi();
    crate::sched::resched_ipi();
}
