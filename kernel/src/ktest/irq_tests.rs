//! Device-interrupt routing through the I/O APIC.
//!
//! The PIT's channel 0 free-runs at about 18.2 Hz (see `arch::time`), but
//! its IRQ 0 is normally masked. This test routes ISA IRQ 0 through the
//! I/O APIC (honouring the MADT's source override: on QEMU IRQ 0 arrives at
//! GSI 2) to a spare vector on the current CPU, checks the interrupts arrive, and masks
//! the line again.

use super::helpers::wait_until;
use super::Test;
use crate::arch::{apic, trap};
use crate::kassert;
use alloc::string::String;
use core::sync::atomic::{AtomicUsize, Ordering};

pub const TESTS: &[Test] = &[("ioapic: ISA IRQ 0 (PIT) routed through the source override arrives", pit_irq_arrives)];

const TEST_VECTOR: u8 = 0x40;
static HITS: AtomicUsize = AtomicUsize::new(0);

fn on_pit(_frame: &mut trap::TrapFrame) {
    HITS.fetch_add(1, Ordering::Relaxed);
    apic::eoi();
}

fn pit_irq_arrives() -> Result<(), String> {
    trap::register(TEST_VECTOR, on_pit);
    HITS.store(0, Ordering::Relaxed);
    // Deliver to the CPU we run on now (any CPU would do: the handler only counts).
    let here = apic::lapic_id();
    kassert!(apic::route_irq(0, TEST_VECTOR, here), "no I/O APIC pin serves ISA IRQ 0");
    // 10 scheduler ticks = 500 ms: about 9 PIT wraps.
    let _ = wait_until(10, "2 PIT interrupts", || HITS.load(Ordering::Relaxed) >= 2);
    apic::mask_irq(0);
    let hits = HITS.load(Ordering::Relaxed);
    crate::klog!("KTEST", "  {} PIT interrupts through the I/O APIC", hits);
    kassert!(hits >= 2, "only {hits} PIT interrupts arrived in 10 ticks");
    Ok(())
}
