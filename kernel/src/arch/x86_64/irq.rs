//! Interrupt-flag control for this CPU.
//!
//! `cli`, `sti` and `hlt` are deliberately *not* marked `nomem`: each is a
//! compiler barrier, so the compiler cannot move a memory access out of an
//! interrupts-off window (e.g. the per-CPU preemption-count update in
//! `preempt_disable`, or an `IrqSpinLock`'s data accesses).

use core::arch::asm;

/// Whether interrupts are enabled on this CPU (RFLAGS.IF).
#[inline]
pub fn enabled() -> bool {
    let flags: u64;
    // SAFETY: reading RFLAGS has no side effects.
    unsafe { asm!("pushfq; pop {}", out(reg) flags, options(nomem, preserves_flags)) };
    flags & (1 << 9) != 0
}

/// Disable interrupts and return whether they were enabled before.
#[inline]
pub fn save_and_disable() -> bool {
    let was = enabled();
    // SAFETY: `cli` only masks interrupts on this CPU.
    unsafe { asm!("cli", options(nostack)) };
    was
}

/// Restore the state returned by [`save_and_disable`].
#[inline]
pub fn restore(was_enabled: bool) {
    if was_enabled {
        enable();
    }
}

/// Enable interrupts on this CPU.
#[inline]
pub fn enable() {
    // SAFETY: the IDT is loaded before anything calls this.
    unsafe { asm!("sti", options(nostack)) };
}

/// Disable interrupts on this CPU.
#[inline]
pub fn disable() {
    // SAFETY: `cli` only masks interrupts on this CPU.
    unsafe { asm!("cli", options(nostack)) };
}

/// Enable interrupts and halt until the next one, atomically (no lost wake-up).
#[inline]
pub fn enable_and_halt() {
    // SAFETY: `sti; hlt` is the architected race-free idle sequence.
    unsafe { asm!("sti; hlt", options(nostack)) };
}

/// Halt forever with interrupts off.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: stops this CPU; only an NMI or reset wakes it.
        unsafe { asm!("cli; hlt", options(nostack)) };
    }
}

/// Run `f` with interrupts disabled on this CPU.
#[inline]
pub fn without<R>(f: impl FnOnce() -> R) -> R {
    let was = save_and_disable();
    let r = f();
    restore(was);
    r
}
