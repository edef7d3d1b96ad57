//! CPU feature detection, control registers and MSRs.
//!
//! The features (SMAP, SMEP, x2APIC) are probed once on the BSP ([`probe_features`]); [`enable_protection`] turns on
//! NX, write protection, SMEP and SMAP (when present) on each CPU. All MSR
//! numbers live here.

use core::arch::asm;
use core::sync::atomic::{AtomicBool, Ordering};

pub const MSR_EFER: u32 = 0xC000_0080;
pub const MSR_STAR: u32 = 0xC000_0081;
pub const MSR_LSTAR: u32 = 0xC000_0082;
pub const MSR_FMASK: u32 = 0xC000_0084;
pub const MSR_FS_BASE: u32 = 0xC000_0100;
pub const MSR_GS_BASE: u32 = 0xC000_0101;
pub const MSR_KERNEL_GS_BASE: u32 = 0xC000_0102;
pub const MSR_APIC_BASE: u32 = 0x1B;
pub const MSR_TSC_AUX: u32 = 0xC000_0103;

static HAS_SMAP: AtomicBool = AtomicBool::new(false);
static HAS_SMEP: AtomicBool = AtomicBool::new(false);
static HAS_X2APIC: AtomicBool = AtomicBool::new(false);
static HAS_RDRAND: AtomicBool = AtomicBool::new(false);
static HAS_RDSEED: AtomicBool = AtomicBool::new(false);

/// `cpuid(leaf, subleaf)` -> (eax, ebx, ecx, edx).
pub fn cpuid(leaf: u32, subleaf: u32) -> (u32, u32, u32, u32) {
    let r = core::arch::x86_64::__cpuid_count(leaf, subleaf);
    (r.eax, r.ebx, r.ecx, r.edx)
}

/// Probe the features the kernel cares about (BSP, once).
pub fn probe_features() {
    let (max, ..) = cpuid(0, 0);
    let (_, _, ecx1, _) = cpuid(1, 0);
    HAS_X2APIC.store(ecx1 & (1 << 21) != 0, Ordering::Relaxed);
    HAS_RDRAND.store(ecx1 & (1 << 30) != 0, Ordering::Relaxed);
    if max >= 7 {
        let (_, ebx7, _, _) = cpuid(7, 0);
        HAS_RDSEED.store(ebx7 & (1 << 18) != 0, Ordering::Relaxed);
        HAS_SMEP.store(ebx7 & (1 << 7) != 0, Ordering::Relaxed);
        HAS_SMAP.store(ebx7 & (1 << 20) != 0, Ordering::Relaxed);
    }
}

pub fn has_smap() -> bool {
    HAS_SMAP.load(Ordering::Relaxed)
}
pub fn has_smep() -> bool {
    HAS_SMEP.load(Ordering::Relaxed)
}
pub fn has_x2apic() -> bool {
    HAS_X2APIC.load(Ordering::Relaxed)
}
pub fn has_rdrand() -> bool {
    HAS_RDRAND.load(Ordering::Relaxed)
}
pub fn has_rdseed() -> bool {
    HAS_RDSEED.load(Ordering::Relaxed)
}

/// One 64-bit value from the CPU's random-number hardware: RDSEED (a true
/// entropy source) when CPUID reports it, else RDRAND (a DRBG reseeded from
/// it). `None` if the CPU has neither, or the instruction reported
/// "no data" (CF = 0) ten times in a row, as Intel's guide allows.
pub fn hw_random() -> Option<u64> {
    let (seed, rand) = (has_rdseed(), has_rdrand());
    if !seed && !rand {
        return None;
    }
    for _ in 0..10 {
        let value: u64;
        let ok: u8;
        // SAFETY: CPUID says the instruction exists; it only writes the
        // output register and the flags, and touches no memory.
        unsafe {
            if seed {
                asm!("rdseed {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack));
            } else {
                asm!("rdrand {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack));
            }
        }
        if ok != 0 {
            return Some(value);
        }
        core::hint::spin_loop();
    }
    None
}

/// Turn on NX (EFER.NXE), CR0.WP, SMEP/SMAP if present, and allow
/// `fxsave`/SSE for user programs (CR4.OSFXSR, OSXMMEXCPT; CR0.MP, !EM).
pub fn enable_protection() {
    // SAFETY: these bits only tighten protection or enable SSE, which user
    // code needs; the kernel itself is built soft-float.
    unsafe {
        write_msr(MSR_EFER, read_msr(MSR_EFER) | (1 << 11));
        let mut cr0: u64;
        asm!("mov {}, cr0", out(reg) cr0);
        cr0 |= (1 << 16) | (1 << 1); // WP, MP
        cr0 &= !(1 << 2); // EM off
        asm!("mov cr0, {}", in(reg) cr0);
        let mut cr4: u64;
        asm!("mov {}, cr4", out(reg) cr4);
        cr4 |= (1 << 9) | (1 << 10); // OSFXSR, OSXMMEXCPT
        if has_smep() {
            cr4 |= 1 << 20;
        }
        if has_smap() {
            cr4 |= 1 << 21;
        }
        asm!("mov cr4, {}", in(reg) cr4);
    }
}

/// Read a model-specific register.
pub fn read_msr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: callers pass architectural MSRs that exist on x86-64.
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    (hi as u64) << 32 | lo as u64
}

/// Write a model-specific register.
///
/// # Safety
/// The MSR and value must be valid and must not break memory safety
/// (e.g. LSTAR must point at the syscall entry).
pub unsafe fn write_msr(msr: u32, value: u64) {
    // SAFETY: the caller's contract.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32,
             options(nostack))
    };
}

pub fn write_gs_base(v: u64) {
    // SAFETY: GS.BASE is only used for per-CPU data, which the caller sets up.
    unsafe { write_msr(MSR_GS_BASE, v) };
}

pub fn write_kernel_gs_base(v: u64) {
    // SAFETY: the swapped-out GS base is the user's; any value is safe for the kernel.
    unsafe { write_msr(MSR_KERNEL_GS_BASE, v) };
}

/// A 64-bit random number from RDRAND, if the CPU has it and it delivered
/// (it may fail transiently: retried 10 times, as Intel advises).
pub fn rdrand64() -> Option<u64> {
    if cpuid(1, 0).2 & (1 << 30) == 0 {
        return None;
    }
    for _ in 0..10 {
        let (value, ok): (u64, u8);
        // SAFETY: CPUID says RDRAND exists; it only writes the two outputs.
        unsafe { asm!("rdrand {}", "setc {}", out(reg) value, out(reg_byte) ok, options(nomem, nostack)) };
        if ok != 0 {
            return Some(value);
        }
    }
    None
}

/// Read the time-stamp counter (instructions under `-icount shift=0`).
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc has no side effects; lfence orders it after earlier work.
    unsafe { core::arch::x86_64::_mm_lfence(); core::arch::x86_64::_rdtsc() }
}

/// The faulting address of the last page fault.
pub fn read_cr2() -> u64 {
    let v: u64;
    // SAFETY: reading CR2 has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// The current top-level page table (physical address).
pub fn read_cr3() -> u64 {
    let v: u64;
    // SAFETY: reading CR3 has no side effects.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Switch to the page tables at `pml4_phys`.
///
/// # Safety
/// The tables must map the kernel exactly as the current ones do.
pub unsafe fn write_cr3(pml4_phys: u64) {
    // SAFETY: the caller's contract.
    unsafe { asm!("mov cr3, {}", in(reg) pml4_phys, options(nostack, preserves_flags)) };
}

/// The code segment selector (its low two bits are the current ring).
pub fn read_cs() -> u16 {
    let cs: u16;
    // SAFETY: reading CS has no side effects.
    unsafe { core::arch::asm!("mov {0:x}, cs", out(reg) cs, options(nomem, nostack, preserves_flags)) };
    cs
}

/// Invalidate the TLB entry for one page on this CPU.
pub fn invlpg(addr: u64) {
    // SAFETY: invalidating a TLB entry is always safe.
    unsafe { asm!("invlpg [{}]", in(reg) addr, options(nostack, preserves_flags)) };
}

/// Invalidate every page of `[start, end)` on this CPU.
pub fn invlpg_range(start: u64, end: u64) {
    let mut va = start & !0xFFF;
    while va < end {
        invlpg(va);
        va += 4096;
    }
}

/// Allow supervisor access to user pages (SMAP) until [`clac`].
#[inline]
pub fn stac() {
    if has_smap() {
        // SAFETY: only relaxes SMAP for the caller's validated user access.
        unsafe { asm!("stac", options(nostack)) };
    }
}

/// End a user access window opened by [`stac`].
#[inline]
pub fn clac() {
    if has_smap() {
        // SAFETY: re-enables SMAP protection.
        unsafe { asm!("clac", options(nostack)) };
    }
}
