//! Fault injection: the command line's `failslab=N` makes every Nth
//! fallible kernel heap allocation fail (a null pointer from the global
//! allocator) and
//! `failframe=N` every Nth physical frame allocation (`pmm::alloc_frame`
//! returns `OutOfMemory`), so that the paths that handle running out of
//! memory run for real: a system call must then fail with `ENOMEM` (or
//! `EAGAIN`), nothing may panic and nothing may leak.
//!
//! Fallible means made inside a `fallible::in_scope` bracket (every
//! `try_reserve` of the kernel and the `fallible` collections the VFS
//! uses): Rust's infallible allocations (`Box::new`, `Arc::new`,
//! `BTreeMap` nodes) abort the kernel on failure by construction, so
//! failing them would test nothing but that. The scope hooks registered
//! by [`configure`] disable interrupts for the bracket and mark the CPU
//! (`IN_SCOPE`), so that an interrupt handler's allocation never counts
//! as the bracketed one. The heap counts both kinds ([`report`]).
//!
//! Failures start only when [`arm`] is called (by `user::spawn_init`,
//! once init is loaded and started):
//! booting is allowed to assume memory. A task the exemption hook names
//! ([`set_exempt_hook`]: the user layer exempts init, the harness that
//! reports) never gets an injected failure: init dying of a failed
//! copy-on-write copy would end the run before its leak check. The counters are lock-free atomics,
//! safe from any context (allocations happen with locks held and in
//! interrupt handlers); [`report`] says how many allocations were failed on
//! purpose (printed with the metrics when init exits).

use crate::arch::irq;
use crate::arch::percpu::cpu_id;
use crate::config::MAX_CPUS;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering, Ordering::Relaxed};

/// Whether the current task is exempt from injected failures.
pub type ExemptHook = fn() -> bool;
fn never_exempt() -> bool {
    false
}
static EXEMPT: AtomicPtr<()> = AtomicPtr::new(never_exempt as *mut ());

/// Register the exemption hook (once, at boot; a service's function).
pub fn set_exempt_hook(hook: ExemptHook) {
    EXEMPT.store(hook as *mut (), Ordering::Release);
}

fn exempt() -> bool {
    let p = EXEMPT.load(Ordering::Acquire);
    // SAFETY: EXEMPT only ever holds an `ExemptHook` (the default or one
    // stored by `set_exempt_hook` from a value of that type).
    let hook: ExemptHook = unsafe { core::mem::transmute::<*mut (), ExemptHook>(p) };
    hook()
}

static ARMED: AtomicBool = AtomicBool::new(false);
static SLAB_EVERY: AtomicU32 = AtomicU32::new(0);
static FRAME_EVERY: AtomicU32 = AtomicU32::new(0);
static SLAB_SEEN: AtomicU64 = AtomicU64::new(0);
static FRAME_SEEN: AtomicU64 = AtomicU64::new(0);
static SLAB_FAILED: AtomicU64 = AtomicU64::new(0);
static FRAME_FAILED: AtomicU64 = AtomicU64::new(0);

/// Per CPU: inside a fallible-allocation bracket (interrupts are off).
static IN_SCOPE: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// Heap allocations made outside any bracket while armed (never failed).
static SLAB_INFALLIBLE: AtomicU64 = AtomicU64::new(0);

/// `fallible`'s scope entry: interrupts off, this CPU marked. The token
/// keeps the interrupt state (bit 0) and the previous mark (bit 1).
fn scope_enter() -> usize {
    let irqs = irq::save_and_disable();
    let previous = IN_SCOPE[cpu_id()].swap(true, Relaxed);
    usize::from(irqs) | usize::from(previous) << 1
}

fn scope_leave(token: usize) {
    IN_SCOPE[cpu_id()].store(token & 2 != 0, Relaxed);
    irq::restore(token & 1 != 0);
}

/// Set the periods (`None`: that kind never fails).
pub fn configure(slab: Option<u32>, frame: Option<u32>) {
    SLAB_EVERY.store(slab.unwrap_or(0), Relaxed);
    FRAME_EVERY.store(frame.unwrap_or(0), Relaxed);
    if slab.is_some() {
        fallible::set_scope_hooks(fallible::ScopeHooks { enter: scope_enter, leave: scope_leave });
    }
}

/// Start failing (after boot).
pub fn arm() {
    ARMED.store(true, Relaxed);
}

/// Whether any injection is configured.
pub fn enabled() -> bool {
    SLAB_EVERY.load(Relaxed) != 0 || FRAME_EVERY.load(Relaxed) != 0
}

fn tick(every: &AtomicU32, seen: &AtomicU64, failed: &AtomicU64) -> bool {
    if !ARMED.load(Relaxed) {
        return false;
    }
    let n = u64::from(every.load(Relaxed));
    if n == 0 || seen.fetch_add(1, Relaxed) % n != n - 1 || exempt() {
        return false;
    }
    failed.fetch_add(1, Relaxed);
    true
}

/// Called by the heap for each allocation: fail this one? Only
/// bracketed (fallible) allocations count.
pub(super) fn fail_slab() -> bool {
    if !ARMED.load(Relaxed) || SLAB_EVERY.load(Relaxed) == 0 {
        return false;
    }
    if !IN_SCOPE[cpu_id()].load(Relaxed) {
        SLAB_INFALLIBLE.fetch_add(1, Relaxed);
        return false;
    }
    tick(&SLAB_EVERY, &SLAB_SEEN, &SLAB_FAILED)
}

/// Called by the frame allocator for each allocation: fail this one?
pub(super) fn fail_frame() -> bool {
    tick(&FRAME_EVERY, &FRAME_SEEN, &FRAME_FAILED)
}

/// What injection did so far.
pub struct Report {
    /// Fallible heap allocations seen, and how many of them were failed.
    pub slab_seen: u64,
    pub slab_failed: u64,
    /// Infallible heap allocations seen (never failed).
    pub slab_infallible: u64,
    /// Frame allocations seen, and failed.
    pub frame_seen: u64,
    pub frame_failed: u64,
}

/// The counters so far.
pub fn report() -> Report {
    Report {
        slab_seen: SLAB_SEEN.load(Relaxed),
        slab_failed: SLAB_FAILED.load(Relaxed),
        slab_infallible: SLAB_INFALLIBLE.load(Relaxed),
        frame_seen: FRAME_SEEN.load(Relaxed),
        frame_failed: FRAME_FAILED.load(Relaxed),
    }
}
