//! Device interrupt routing: the legacy 8259 PICs are silenced and ISA IRQs
//! go through the I/O APIC(s).
//!
//! * 8259: remapped to vectors 0x20..0x2F (so a stray interrupt can never
//!   look like a CPU exception) and then fully masked. The Local APIC's
//!   LINT0 (ExtINT) is masked too, so nothing from the 8259 reaches a CPU.
//! * I/O APIC: every redirection entry starts masked. An ISA IRQ is
//!   translated to its Global System Interrupt through the MADT's interrupt
//!   source overrides, which also give polarity and trigger mode (ISA
//!   default: active high, edge). [`route_irq`] programs and unmasks one;
//!   [`mask_irq`] masks it again. Delivery is fixed, physical destination.
//!
//! Locking: `IOAPICS` (level `Device`, IRQ-safe) guards the table of I/O
//! APICs, the ISA routing and the IOREGSEL/IOWIN register pair (an index
//! register: select and access must not interleave between CPUs).

use super::super::acpi::{Platform, MAX_IOAPICS};
use crate::sync::{IrqSpinLock, LockLevel};
use x86_64::instructions::port::Port;

/// How one ISA IRQ reaches the I/O APIC.
#[derive(Clone, Copy)]
struct IsaRoute {
    gsi: u32,
    active_low: bool,
    level: bool,
}

#[derive(Clone, Copy)]
struct IoApic {
    /// Virtual address of the register window.
    base: u64,
    gsi_base: u32,
    /// Number of redirection entries.
    pins: u32,
}

struct State {
    ioapics: [IoApic; MAX_IOAPICS],
    count: usize,
    isa: [IsaRoute; 16],
}

static IOAPICS: IrqSpinLock<State> = IrqSpinLock::new(
    LockLevel::Device,
    "ioapic",
    State {
        ioapics: [IoApic { base: 0, gsi_base: 0, pins: 0 }; MAX_IOAPICS],
        count: 0,
        isa: [IsaRoute { gsi: 0, active_low: false, level: false }; 16],
    },
);

const IOREGSEL: u64 = 0x00;
const IOWIN: u64 = 0x10;
const REG_VERSION: u32 = 0x01;
const REG_REDTBL: u32 = 0x10;
const RTE_MASKED: u64 = 1 << 16;
const RTE_LEVEL: u64 = 1 << 15;
const RTE_ACTIVE_LOW: u64 = 1 << 13;

impl IoApic {
    fn read(&self, reg: u32) -> u32 {
        // SAFETY: `base` maps this I/O APIC's register window (uncached);
        // the caller holds `IOAPICS`, so select+access is not interleaved.
        unsafe {
            core::ptr::write_volatile((self.base + IOREGSEL) as *mut u32, reg);
            core::ptr::read_volatile((self.base + IOWIN) as *const u32)
        }
    }

    fn write(&self, reg: u32, value: u32) {
        // SAFETY: as in `read`.
        unsafe {
            core::ptr::write_volatile((self.base + IOREGSEL) as *mut u32, reg);
            core::ptr::write_volatile((self.base + IOWIN) as *mut u32, value);
        }
    }

    /// Write redirection entry `pin` (high half first, so the entry is
    /// never unmasked with a stale destination).
    fn set_entry(&self, pin: u32, entry: u64) {
        self.write(REG_REDTBL + 2 * pin + 1, (entry >> 32) as u32);
        self.write(REG_REDTBL + 2 * pin, entry as u32);
    }
}

impl State {
    fn find(&self, gsi: u32) -> Option<(&IoApic, u32)> {
        self.ioapics[..self.count]
            .iter()
            .find(|a| gsi >= a.gsi_base && gsi < a.gsi_base + a.pins)
            .map(|a| (a, gsi - a.gsi_base))
    }
}

/// Remap the 8259 pair to 0x20..0x2F and mask every line.
fn disable_8259() {
    let (m_cmd, m_data, s_cmd, s_data) = (0x20u16, 0x21u16, 0xA0u16, 0xA1u16);
    // SAFETY: the standard 8259 initialisation sequence on its fixed ports;
    // afterwards all lines are masked, so it raises no interrupts.
    unsafe {
        let out = |port: u16, v: u8| {
            Port::<u8>::new(port).write(v);
            Port::<u8>::new(0x80).write(0); // I/O delay
        };
        out(m_cmd, 0x11); // ICW1: init, expect ICW4
        out(s_cmd, 0x11);
        out(m_data, 0x20); // ICW2: vector offsets
        out(s_data, 0x28);
        out(m_data, 0x04); // ICW3: slave on IRQ2
        out(s_data, 0x02);
        out(m_data, 0x01); // ICW4: 8086 mode
        out(s_data, 0x01);
        out(m_data, 0xFF); // mask all
        out(s_data, 0xFF);
    }
}

/// Silence the 8259s and set up every I/O APIC with all entries masked.
pub fn init(p: &Platform) {
    if p.has_8259 {
        disable_8259();
    }
    // Map the registers first: the page-table lock ranks above `IOAPICS`.
    for info in p.ioapics() {
        crate::mm::kernel_space::map_mmio(info.phys, 4096);
    }
    let mut st = IOAPICS.lock();
    for info in p.ioapics() {
        let base = crate::mm::layout::phys_to_virt(info.phys);
        let mut a = IoApic { base, gsi_base: info.gsi_base, pins: 0 };
        a.pins = ((a.read(REG_VERSION) >> 16) & 0xFF) + 1;
        for pin in 0..a.pins {
            a.set_entry(pin, RTE_MASKED);
        }
        if st.count < MAX_IOAPICS {
            let i = st.count;
            st.ioapics[i] = a;
            st.count += 1;
        }
    }
    for irq in 0..16u8 {
        st.isa[irq as usize] = IsaRoute { gsi: irq as u32, active_low: false, level: false };
    }
    for o in p.overrides() {
        st.isa[o.isa_irq as usize] = IsaRoute { gsi: o.gsi, active_low: o.active_low, level: o.level };
    }
}

/// Deliver ISA IRQ `isa_irq` as `vector` to the CPU with APIC id
/// `dest_apic`, and unmask it. Returns false if no I/O APIC serves it.
pub fn route_irq(isa_irq: u8, vector: u8, dest_apic: u32) -> bool {
    assert!(isa_irq < 16 && vector >= 0x20, "route_irq({isa_irq}, {vector:#x})");
    let st = IOAPICS.lock();
    let r = st.isa[isa_irq as usize];
    let Some((a, pin)) = st.find(r.gsi) else { return false };
    let mut entry = vector as u64 | (dest_apic as u64 & 0xFF) << 56;
    if r.active_low {
        entry |= RTE_ACTIVE_LOW;
    }
    if r.level {
        entry |= RTE_LEVEL;
    }
    a.set_entry(pin, entry);
    true
}

/// Mask ISA IRQ `isa_irq` at its I/O APIC.
pub fn mask_irq(isa_irq: u8) {
    let st = IOAPICS.lock();
    let gsi = st.isa[isa_irq as usize & 15].gsi;
    if let Some((a, pin)) = st.find(gsi) {
        a.set_entry(pin, RTE_MASKED);
    }
}
