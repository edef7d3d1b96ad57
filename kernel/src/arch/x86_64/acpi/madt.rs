//! The MADT ("APIC" table): processors, I/O APICs and ISA interrupt routing.
//!
//! Entries used (ACPI 6.5 §5.2.12):
//!
//! | type | entry                        | what we keep                        |
//! |------|------------------------------|-------------------------------------|
//! | 0    | Processor Local APIC         | APIC id, if enabled                 |
//! | 1    | I/O APIC                     | id, MMIO address, first GSI         |
//! | 2    | Interrupt Source Override    | ISA IRQ → GSI, polarity, trigger    |
//! | 4    | Local APIC NMI               | which LINT pin carries NMI          |
//! | 5    | Local APIC Address Override  | 64-bit LAPIC address                |
//! | 9    | Processor Local x2APIC       | 32-bit APIC id, if enabled          |
//!
//! A processor listed twice (as type 0 and type 9) is counted once. A
//! processor that is not enabled (only "online capable") is skipped: it
//! could be hot-added, which MelloOS does not support. Truncated or unknown
//! entries are skipped; a zero-length entry ends the walk.

use super::tables::Table;
use super::{IoApicInfo, IrqOverride, MAX_IOAPICS, MAX_OVERRIDES};

/// Most processors we record before capping (the rest are only counted).
pub const MAX_SEEN: usize = 256;

/// What the MADT says, before the CPU list is capped and ordered.
pub struct Madt {
    pub lapic_phys: u64,
    /// MADT flag PCAT_COMPAT: a pair of 8259s is present.
    pub has_8259: bool,
    pub apic_ids: [u32; MAX_SEEN],
    pub cpu_count: usize,
    /// Enabled processors beyond `MAX_SEEN` (counted, not recorded).
    pub cpus_dropped: usize,
    pub ioapics: [IoApicInfo; MAX_IOAPICS],
    pub ioapic_count: usize,
    pub overrides: [IrqOverride; MAX_OVERRIDES],
    pub override_count: usize,
    /// LINT pin (0 or 1) wired to NMI on every processor, if the MADT says.
    pub nmi_lint: Option<u8>,
}

const ENABLED: u32 = 1;

impl Madt {
    fn add_cpu(&mut self, apic_id: u32, flags: u32) {
        if flags & ENABLED == 0 || self.apic_ids[..self.cpu_count].contains(&apic_id) {
            return;
        }
        if self.cpu_count == MAX_SEEN {
            self.cpus_dropped += 1;
            return;
        }
        self.apic_ids[self.cpu_count] = apic_id;
        self.cpu_count += 1;
    }
}

/// Parse a validated MADT.
pub fn parse(table: &Table) -> Madt {
    let body = table.body();
    let mut m = Madt {
        lapic_phys: body.u32(0).unwrap_or(0xFEE0_0000) as u64,
        has_8259: body.u32(4).unwrap_or(1) & 1 != 0,
        apic_ids: [0; MAX_SEEN],
        cpu_count: 0,
        cpus_dropped: 0,
        ioapics: [IoApicInfo { id: 0, phys: 0, gsi_base: 0 }; MAX_IOAPICS],
        ioapic_count: 0,
        overrides: [IrqOverride { isa_irq: 0, gsi: 0, active_low: false, level: false }; MAX_OVERRIDES],
        override_count: 0,
        nmi_lint: None,
    };
    let mut off = 8;
    while off + 2 <= body.len() {
        let kind = body.u8(off).unwrap_or(0);
        let len = body.u8(off + 1).unwrap_or(0) as usize;
        if len < 2 {
            break;
        }
        let Some(e) = body.sub(off, len) else { break };
        off += len;
        match (kind, len) {
            (0, 8..) => {
                let (id, flags) = (e.u8(3).unwrap_or(0) as u32, e.u32(4).unwrap_or(0));
                m.add_cpu(id, flags);
            }
            (1, 12..) if m.ioapic_count < MAX_IOAPICS => {
                m.ioapics[m.ioapic_count] = IoApicInfo {
                    id: e.u8(2).unwrap_or(0),
                    phys: e.u32(4).unwrap_or(0) as u64,
                    gsi_base: e.u32(8).unwrap_or(0),
                };
                m.ioapic_count += 1;
            }
            (2, 10..) if m.override_count < MAX_OVERRIDES => {
                let bus = e.u8(2).unwrap_or(0xFF);
                let isa_irq = e.u8(3).unwrap_or(0xFF);
                let flags = e.u16(8).unwrap_or(0);
                if bus == 0 && isa_irq < 16 {
                    m.overrides[m.override_count] = IrqOverride {
                        isa_irq,
                        gsi: e.u32(4).unwrap_or(isa_irq as u32),
                        // Polarity bits 0-1: 3 = active low (0 = ISA default, high).
                        active_low: flags & 3 == 3,
                        // Trigger bits 2-3: 3 = level (0 = ISA default, edge).
                        level: (flags >> 2) & 3 == 3,
                    };
                    m.override_count += 1;
                }
            }
            (4, 6..) => {
                let uid = e.u8(2).unwrap_or(0);
                let lint = e.u8(5).unwrap_or(0xFF);
                if uid == 0xFF && lint <= 1 {
                    m.nmi_lint = Some(lint);
                }
            }
            (5, 12..) => {
                if let Some(pa) = e.u64(4).filter(|&pa| pa != 0) {
                    m.lapic_phys = pa;
                }
            }
            (9, 16..) => {
                let (id, flags) = (e.u32(4).unwrap_or(0), e.u32(8).unwrap_or(0));
                m.add_cpu(id, flags);
            }
            _ => {}
        }
    }
    m
}
