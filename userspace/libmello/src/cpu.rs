//! Unprivileged CPU instructions that tests and benchmarks need.
//!
//! Under QEMU's `-icount shift=0` the time-stamp counter advances by one per
//! executed instruction, so `rdtsc` deltas count instructions.

use core::arch::asm;

/// The time-stamp counter, read after all earlier instructions completed
/// (`lfence; rdtsc`).
#[inline(always)]
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: lfence and rdtsc read no memory and have no side effects
    // (rdtsc is allowed in ring 3 unless CR4.TSD is set).
    unsafe { asm!("lfence", "rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// `rdtscp`: the time-stamp counter and `IA32_TSC_AUX`, in which the
/// MelloOS kernel stores the id of the CPU we are running on.
#[inline(always)]
pub fn rdtscp() -> (u64, u32) {
    let (lo, hi, aux): (u32, u32, u32);
    // SAFETY: rdtscp reads no memory and has no side effects.
    unsafe { asm!("rdtscp", out("eax") lo, out("edx") hi, out("ecx") aux, options(nomem, nostack)) };
    ((u64::from(hi) << 32) | u64::from(lo), aux)
}

/// The id of the CPU we are running on (from `rdtscp`).
pub fn cpu_id() -> u32 {
    rdtscp().1
}

/// The initial APIC id of the CPU we are running on (`cpuid` leaf 1,
/// EBX bits 31..24): a CPU identity that needs no help from the kernel.
pub fn apic_id() -> u32 {
    // SAFETY: cpuid is available on every x86-64 CPU and has no side
    // effects (older toolchains declare the intrinsic unsafe).
    #[allow(unused_unsafe)]
    let leaf = unsafe { core::arch::x86_64::__cpuid(1) };
    leaf.ebx >> 24
}

/// The current privilege level: the low two bits of `cs` (3 in user mode).
pub fn cpl() -> u16 {
    let cs: u16;
    // SAFETY: reading a segment register has no side effects.
    unsafe { asm!("mov {0:x}, cs", out(reg) cs, options(nomem, nostack, preserves_flags)) };
    cs & 3
}
