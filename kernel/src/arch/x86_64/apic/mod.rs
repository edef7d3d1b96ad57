//! The APICs: each CPU's Local APIC (timer, IPIs, EOI) and the I/O APICs
//! (device interrupts). This file is the interface the rest of the kernel
//! uses; the parts live in
//!
//! * `lapic.rs` — register access, xAPIC (MMIO) or x2APIC (MSRs);
//! * `ioapic.rs` — 8259 masking, I/O APIC redirection entries;
//! * `timer.rs` — timer calibration and the per-CPU scheduler tick;
//! * `ipi.rs` — IPIs, TLB shootdown, stopping CPUs on panic.
//!
//! Vector map: 0x20 timer, 0x21..0x2F ISA IRQs (when routed), 0x30
//! reschedule IPI, 0x31 TLB shootdown IPI, 0xFE APIC error, 0xFF spurious.
//! Every handler sends EOI except the spurious one (the architecture says
//! a spurious interrupt must not be acknowledged).
//!
//! Order on the BSP: [`init_bsp`] (after ACPI, before SMP), later
//! [`start_timer`]. On each AP: [`init_ap`], then [`start_timer`].

mod ioapic;
mod ipi;
mod lapic;
mod timer;

use super::acpi::Platform;
use super::{cpu, percpu, trap};
use core::sync::atomic::{AtomicU8, Ordering};

pub use ioapic::{mask_irq, route_irq};
pub use ipi::{flush_local, send_ipi, send_nmi, serve_pending, stop_other_cpus, tlb_shootdown, tlb_shootdown_to, TLB_SHOOTDOWN_IPI};
pub use timer::TIMER_VECTOR;

/// Cross-CPU "please reschedule" interrupt (spec: 0x30).
pub const RESCHEDULE_IPI: u8 = 0x30;
pub const ERROR_VECTOR: u8 = 0xFE;
pub const SPURIOUS_VECTOR: u8 = 0xFF;

/// LINT pin carrying NMI (0xFF = none), from the MADT, for the APs.
static NMI_LINT: AtomicU8 = AtomicU8::new(0xFF);

/// The initial APIC id of this CPU, from CPUID (usable before the APIC is
/// set up): the full x2APIC id from leaf 0xB when present, else the 8-bit
/// id from leaf 1.
pub fn cpuid_apic_id() -> u32 {
    let (max, ..) = cpu::cpuid(0, 0);
    if max >= 0xB {
        let (_, ebx, _, edx) = cpu::cpuid(0xB, 0);
        if ebx != 0 {
            return edx;
        }
    }
    cpu::cpuid(1, 0).1 >> 24
}

/// Set up interrupt delivery on the BSP: mask the 8259s, enable the Local
/// APIC, program the I/O APICs (all masked), install the APIC vectors and
/// calibrate the timer (whose tick starts with [`start_timer`]).
pub fn init_bsp(platform: &Platform) {
    crate::klog!("SMP", "Initializing SMP...");
    ioapic::init(platform);
    lapic::select_mode(platform.lapic_phys);
    NMI_LINT.store(platform.nmi_lint.unwrap_or(0xFF), Ordering::Relaxed);
    trap::register(TIMER_VECTOR, timer::handler);
    trap::register(RESCHEDULE_IPI, ipi::resched_handler);
    trap::register(TLB_SHOOTDOWN_IPI, ipi::shootdown_handler);
    trap::register(ERROR_VECTOR, error_handler);
    trap::register(SPURIOUS_VECTOR, spurious_handler);
    enable_this_cpu();

    let id = lapic::id();
    percpu::cpu(0).apic_id.store(id, Ordering::Relaxed);
    ipi::mark_ready(0);
    crate::klog!("APIC", "BSP LAPIC initialized at {:#X}", platform.lapic_phys);
    crate::klog!("SMP", "BSP online (apic_id={})", id);
    crate::klog!("PERCPU", "BSP per-CPU data initialized (cpu_id=0, apic_id={})", id);

    super::time::init();
    timer::calibrate();
    timer::configure_this_cpu();
    crate::klog!("APIC", "mode: {}; TSC frequency: {} Hz",
        if lapic::is_x2apic() { "x2APIC (MSRs)" } else { "xAPIC (MMIO)" }, super::time::tsc_hz());
}

/// Set up this AP's Local APIC (its per-CPU data, GDT and IDT are loaded).
pub fn init_ap() {
    enable_this_cpu();
    ipi::mark_ready(percpu::cpu_id());
}

fn enable_this_cpu() {
    let lint = NMI_LINT.load(Ordering::Relaxed);
    lapic::enable_this_cpu(SPURIOUS_VECTOR, ERROR_VECTOR, (lint <= 1).then_some(lint));
}

/// Start this CPU's periodic scheduler tick (SCHED_HZ, vector 0x20).
pub fn start_timer() {
    timer::start_this_cpu();
}

/// Acknowledge the interrupt being handled.
#[inline]
pub fn eoi() {
    lapic::eoi();
}

/// Whether the APICs run in x2APIC mode (32-bit APIC ids).
pub fn is_x2apic() -> bool {
    lapic::is_x2apic()
}

/// This CPU's Local APIC id.
pub fn lapic_id() -> u32 {
    lapic::id()
}

/// INIT IPI to `apic_id` (puts that CPU in wait-for-SIPI). Interrupts off.
pub(in crate::arch::x86_64) fn send_init(apic_id: u32) {
    lapic::read_esr();
    lapic::send_icr(apic_id, lapic::ICR_INIT | lapic::ICR_ASSERT);
}

/// INIT IPI to every other CPU (shorthand), listed in the MADT or not:
/// all of them wait for a SIPI afterwards, halted. Interrupts off.
pub(in crate::arch::x86_64) fn send_init_all_others() {
    lapic::read_esr();
    lapic::send_icr(0, lapic::ICR_INIT | lapic::ICR_ASSERT | lapic::ICR_ALL_BUT_SELF);
}

/// Start-up IPI: `apic_id` starts in real mode at `page << 12`. Interrupts off.
pub(in crate::arch::x86_64) fn send_startup(apic_id: u32, page: u8) {
    lapic::read_esr();
    lapic::send_icr(apic_id, lapic::ICR_STARTUP | lapic::ICR_ASSERT | page as u32);
}

fn error_handler(_frame: &mut trap::TrapFrame) {
    let esr = lapic::read_esr();
    lapic::eoi();
    crate::klog!("APIC", "APIC error on CPU {}: ESR={:#x}", percpu::cpu_id(), esr);
}

fn spurious_handler(_frame: &mut trap::TrapFrame) {
    // No EOI for spurious interrupts.
}
