//! Local APIC register access, in xAPIC (MMIO) or x2APIC (MSR) mode.
//!
//! The mode is chosen once on the BSP ([`select_mode`]): x2APIC when the CPU
//! has it (unless [`FORCE_XAPIC`]), else xAPIC through an uncached mapping
//! of the register page. Every CPU then enables its own APIC in that mode
//! ([`enable_this_cpu`]). Register offsets are the xAPIC MMIO offsets; in
//! x2APIC mode register `off` is MSR `0x800 + off / 16`.
//!
//! Differences handled here: x2APIC ids are 32 bits wide and read in full;
//! the ICR is one 64-bit MSR (destination in bits 63:32) with no
//! delivery-status bit, while the xAPIC ICR is two 32-bit registers
//! (destination in bits 31:24 of the high half) and must be idle before the
//! next command. An ICR write is two steps in xAPIC mode, so callers send
//! IPIs with interrupts disabled (see [`send_icr`]).
//!
//! State: the mode and the MMIO base are write-once atomics set before any
//! AP starts; each CPU touches only its own APIC.

use crate::arch::cpu::{self, MSR_APIC_BASE};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Use xAPIC even when x2APIC is available (for testing both paths).
pub const FORCE_XAPIC: bool = false;

pub const REG_ID: u32 = 0x20;
pub const REG_TPR: u32 = 0x80;
pub const REG_EOI: u32 = 0xB0;
pub const REG_SVR: u32 = 0xF0;
pub const REG_ESR: u32 = 0x280;
pub const REG_ICR_LOW: u32 = 0x300;
pub const REG_ICR_HIGH: u32 = 0x310;
pub const REG_LVT_TIMER: u32 = 0x320;
pub const REG_LVT_LINT0: u32 = 0x350;
pub const REG_LVT_LINT1: u32 = 0x360;
pub const REG_LVT_ERROR: u32 = 0x370;
pub const REG_TIMER_INIT: u32 = 0x380;
pub const REG_TIMER_CURRENT: u32 = 0x390;
pub const REG_TIMER_DIVIDE: u32 = 0x3E0;

pub const LVT_MASKED: u32 = 1 << 16;
pub const LVT_NMI: u32 = 0b100 << 8;
pub const SVR_ENABLE: u32 = 1 << 8;

/// ICR delivery modes and flags.
pub const ICR_FIXED: u32 = 0;
pub const ICR_NMI: u32 = 0b100 << 8;
pub const ICR_INIT: u32 = 0b101 << 8;
pub const ICR_STARTUP: u32 = 0b110 << 8;
pub const ICR_ASSERT: u32 = 1 << 14;
/// Destination shorthand "all excluding self".
pub const ICR_ALL_BUT_SELF: u32 = 0b11 << 18;
const ICR_BUSY: u32 = 1 << 12;

const APIC_BASE_ENABLE: u64 = 1 << 11;
const APIC_BASE_X2APIC: u64 = 1 << 10;
const X2APIC_MSR_BASE: u32 = 0x800;

static X2APIC: AtomicBool = AtomicBool::new(false);
/// Virtual address of the xAPIC register page (0 in x2APIC mode).
static MMIO: AtomicU64 = AtomicU64::new(0);
/// Set once the BSP chose the mode: registers may be accessed.
static READY: AtomicBool = AtomicBool::new(false);

/// Choose the APIC mode and map the xAPIC page (BSP, once).
pub fn select_mode(lapic_phys: u64) {
    let x2 = cpu::has_x2apic() && !FORCE_XAPIC;
    X2APIC.store(x2, Ordering::Relaxed);
    if !x2 {
        let va = crate::mm::kernel_space::map_mmio(lapic_phys, 4096);
        MMIO.store(va, Ordering::Relaxed);
    }
    READY.store(true, Ordering::Release);
}

/// Whether the registers can be used (the BSP ran [`select_mode`]).
pub fn ready() -> bool {
    READY.load(Ordering::Acquire)
}

pub fn is_x2apic() -> bool {
    X2APIC.load(Ordering::Relaxed)
}

/// Read register `reg`.
pub fn read(reg: u32) -> u32 {
    if is_x2apic() {
        cpu::read_msr(X2APIC_MSR_BASE + (reg >> 4)) as u32
    } else {
        let va = MMIO.load(Ordering::Relaxed) + reg as u64;
        // SAFETY: `va` lies in the uncached mapping of this CPU's APIC page
        // made by `select_mode`; `reg` is a register offset (< 4096).
        unsafe { core::ptr::read_volatile(va as *const u32) }
    }
}

/// Write register `reg`.
pub fn write(reg: u32, value: u32) {
    if is_x2apic() {
        // SAFETY: x2APIC register MSRs only affect this CPU's APIC; callers
        // pass architectural register offsets.
        unsafe { cpu::write_msr(X2APIC_MSR_BASE + (reg >> 4), value as u64) };
    } else {
        let va = MMIO.load(Ordering::Relaxed) + reg as u64;
        // SAFETY: as in `read`.
        unsafe { core::ptr::write_volatile(va as *mut u32, value) };
    }
}

/// This CPU's APIC id (full 32 bits in x2APIC mode).
pub fn id() -> u32 {
    if is_x2apic() { read(REG_ID) } else { read(REG_ID) >> 24 }
}

/// Issue an interprocessor interrupt: `low` is the ICR's low word
/// (vector, delivery mode, level, shorthand), `dest` the APIC id.
/// Must run with interrupts off: in xAPIC mode the two-register write
/// must not interleave with an interrupt handler's own IPI.
pub fn send_icr(dest: u32, low: u32) {
    debug_assert!(!crate::arch::irq::enabled(), "send_icr with interrupts on");
    if is_x2apic() {
        // x2APIC ICR writes are not serialising: order earlier stores
        // (IPI payloads) before the interrupt is sent.
        // SAFETY: a fence has no side effects; writing the ICR MSR only
        // sends the requested IPI.
        unsafe {
            core::arch::asm!("mfence", options(nostack, preserves_flags));
            cpu::write_msr(X2APIC_MSR_BASE + (REG_ICR_LOW >> 4), (dest as u64) << 32 | low as u64);
        }
    } else {
        wait_icr_idle();
        write(REG_ICR_HIGH, dest << 24);
        write(REG_ICR_LOW, low);
        wait_icr_idle();
    }
}

/// Spin until the xAPIC has accepted the previous IPI (bounded).
fn wait_icr_idle() {
    for _ in 0..1_000_000 {
        if read(REG_ICR_LOW) & ICR_BUSY == 0 {
            return;
        }
        core::hint::spin_loop();
    }
}

/// Read and clear the Error Status Register.
pub fn read_esr() -> u32 {
    write(REG_ESR, 0);
    read(REG_ESR)
}

/// Enable this CPU's APIC in the selected mode and put it in a known
/// state: all LVTs masked except LINT`nmi_lint` (NMI) and the error LVT,
/// task priority 0, software-enabled with `spurious` as spurious vector.
pub fn enable_this_cpu(spurious: u8, error_vector: u8, nmi_lint: Option<u8>) {
    let base = cpu::read_msr(MSR_APIC_BASE);
    // SAFETY: setting the global enable (and then x2APIC mode, which must
    // follow xAPIC enable) in IA32_APIC_BASE keeps the base address as is.
    unsafe {
        cpu::write_msr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
        if is_x2apic() {
            cpu::write_msr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
        }
    }
    write(REG_SVR, SVR_ENABLE | spurious as u32);
    write(REG_TPR, 0);
    write(REG_LVT_TIMER, LVT_MASKED);
    write(REG_LVT_LINT0, LVT_MASKED);
    write(REG_LVT_LINT1, LVT_MASKED);
    for (pin, reg) in [(0u8, REG_LVT_LINT0), (1, REG_LVT_LINT1)] {
        if nmi_lint == Some(pin) {
            write(reg, LVT_NMI);
        }
    }
    write(REG_LVT_ERROR, error_vector as u32);
    read_esr();
    write(REG_EOI, 0);
}

/// Signal end of interrupt.
#[inline]
pub fn eoi() {
    write(REG_EOI, 0);
}
