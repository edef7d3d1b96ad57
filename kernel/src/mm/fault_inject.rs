//! Fault injection: the command line's `failslab=N` makes every Nth kernel
//! heap allocation fail (a null pointer from the global allocator) and
//! `failframe=N` every Nth physical frame allocation (`pmm::alloc_frame`
//! returns `OutOfMemory`), so that the paths that handle running out of
//! memory run for real: a system call must then fail with `ENOMEM` (or
//! `EAGAIN`), nothing may panic and nothing may leak.
//!
//! Failures start only when [`arm`] is called (by `user::spawn_init`,
//! after the initrd is unpacked, before init is loaded):
//! booting is allowed to assume memory. A task the exemption hook names
//! ([`set_exempt_hook`]: the user layer exempts init, the harness that
//! reports) never gets an injected failure: init dying of a failed
//! copy-on-write copy would end the run before its leak check. The counters are lock-free atomics,
//! safe from any context (allocations happen with locks held and in
//! interrupt handlers); [`report`] says how many allocations were failed on
//! purpose (printed with the metrics when init exits).

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

/// Set the periods (`None`: that kind never fails).
pub fn configure(slab: Option<u32>, frame: Option<u32>) {
    SLAB_EVERY.store(slab.unwrap_or(0), Relaxed);
    FRAME_EVERY.store(frame.unwrap_or(0), Relaxed);
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

/// Called by the heap for each allocation: fail this one?
pub(super) fn fail_slab() -> bool {
    tick(&SLAB_EVERY, &SLAB_SEEN, &SLAB_FAILED)
}

/// Called by the frame allocator for each allocation: fail this one?
pub(super) fn fail_frame() -> bool {
    tick(&FRAME_EVERY, &FRAME_SEEN, &FRAME_FAILED)
}

/// (heap allocations failed, frame allocations failed) so far.
pub fn report() -> (u64, u64) {
    (SLAB_FAILED.load(Relaxed), FRAME_FAILED.load(Relaxed))
}
