//! ACPI: what the firmware tables say about the machine, and power-off.
//!
//! [`init`] runs once on the BSP after memory management is up. It takes
//! the root table address from GRUB's copy of the RSDP (Multiboot2 tags),
//! validates the RSDT/XSDT and the tables it uses (checksums), and parses
//!
//! * the MADT (`madt.rs`): CPUs, I/O APICs, ISA interrupt overrides, the
//!   Local APIC address;
//! * the FADT and DSDT (`power.rs`): how to enter S5 for [`poweroff`].
//!
//! The result is a [`Platform`] value handed to the APIC and SMP code; the
//! module keeps no other state (power-off data lives in `power.rs`'s
//! write-once atomics). The CPU list is capped at `MAX_CPUS`, BSP first;
//! further CPUs are reported and never started (they stay in
//! wait-for-SIPI).

mod madt;
mod power;
mod tables;

use crate::bootinfo::AcpiRoot;
use crate::config::MAX_CPUS;
use tables::RootTable;

pub use power::{poweroff, reset};

pub const MAX_IOAPICS: usize = 8;
pub const MAX_OVERRIDES: usize = 16;
/// Architectural default Local APIC address.
const DEFAULT_LAPIC: u64 = 0xFEE0_0000;
/// Conventional I/O APIC address (used only without a MADT).
const DEFAULT_IOAPIC: u64 = 0xFEC0_0000;

/// One I/O APIC (MADT entry type 1).
#[derive(Clone, Copy, Debug)]
pub struct IoApicInfo {
    pub id: u8,
    pub phys: u64,
    /// First Global System Interrupt it handles.
    pub gsi_base: u32,
}

/// An ISA IRQ that is not identity-mapped or not edge/active-high
/// (MADT entry type 2, bus 0).
#[derive(Clone, Copy, Debug)]
pub struct IrqOverride {
    pub isa_irq: u8,
    pub gsi: u32,
    pub active_low: bool,
    pub level: bool,
}

/// What the firmware tables say about the machine.
pub struct Platform {
    /// Local APIC ids of the usable CPUs, BSP first.
    pub apic_ids: [u32; MAX_CPUS],
    pub cpu_count: usize,
    /// Enabled CPUs beyond `MAX_CPUS`, left parked.
    pub parked_cpus: usize,
    /// Physical address of the Local APIC registers.
    pub lapic_phys: u64,
    pub ioapics: [IoApicInfo; MAX_IOAPICS],
    pub ioapic_count: usize,
    pub overrides: [IrqOverride; MAX_OVERRIDES],
    pub override_count: usize,
    /// LINT pin wired to NMI on all CPUs (MADT type 4), if any.
    pub nmi_lint: Option<u8>,
    /// A legacy 8259 pair is present and must be masked.
    pub has_8259: bool,
}

impl Platform {
    pub fn ioapics(&self) -> &[IoApicInfo] {
        &self.ioapics[..self.ioapic_count]
    }

    pub fn overrides(&self) -> &[IrqOverride] {
        &self.overrides[..self.override_count]
    }

    /// Only the BSP, default addresses: when there is no usable MADT.
    fn single_cpu(bsp_apic_id: u32) -> Platform {
        let mut apic_ids = [0; MAX_CPUS];
        apic_ids[0] = bsp_apic_id;
        let mut ioapics = [IoApicInfo { id: 0, phys: 0, gsi_base: 0 }; MAX_IOAPICS];
        ioapics[0].phys = DEFAULT_IOAPIC;
        Platform {
            apic_ids,
            cpu_count: 1,
            parked_cpus: 0,
            lapic_phys: DEFAULT_LAPIC,
            ioapics,
            ioapic_count: 1,
            overrides: [IrqOverride { isa_irq: 0, gsi: 0, active_low: false, level: false }; MAX_OVERRIDES],
            override_count: 0,
            nmi_lint: Some(1),
            has_8259: true,
        }
    }
}

/// Parse the ACPI tables (BSP, once, after `mm::init`).
pub fn init(root: Option<AcpiRoot>) -> Platform {
    let bsp = super::apic::cpuid_apic_id();
    let Some(root) = root else {
        crate::klog!("ACPI", "no RSDP from the boot loader; assuming a single CPU");
        return Platform::single_cpu(bsp);
    };
    let (root_phys, wide) = match root {
        AcpiRoot::Rsdt(pa) => (pa, false),
        AcpiRoot::Xsdt(pa) => (pa, true),
    };
    log_rsdp(root_phys, wide);
    let Some(rt) = RootTable::load(root_phys, wide) else {
        return Platform::single_cpu(bsp);
    };

    let platform = match rt.find(b"APIC") {
        Some(madt_table) => {
            crate::klog!("ACPI", "MADT found at {:#X}", madt_table.phys());
            let m = madt::parse(&madt_table);
            let p = platform_from(&m, bsp);
            log_cpus(&p, &m);
            p
        }
        None => {
            crate::klog!("ACPI", "no MADT; assuming a single CPU");
            Platform::single_cpu(bsp)
        }
    };
    init_power(&rt);
    platform
}

/// Find the FADT and prepare ACPI power-off.
fn init_power(rt: &RootTable) {
    let Some(fadt) = rt.find(b"FACP") else {
        crate::klog!("ACPI", "no FADT; ACPI power-off unavailable");
        return;
    };
    match power::init(&fadt) {
        Some((pm1a, slp_typ)) => {
            crate::klog!("ACPI", "FADT at {:#X}: S5 via PM1a_CNT {:#X} (SLP_TYPa={})", fadt.phys(), pm1a, slp_typ)
        }
        None => crate::klog!("ACPI", "FADT at {:#X} unusable for power-off", fadt.phys()),
    }
}

/// Say where the RSDP is. GRUB hands us a copy; we look for the
/// firmware's own: in the BIOS area (legacy BIOS), else next to the root
/// table (UEFI). If neither is found, say that GRUB's copy was used.
fn log_rsdp(root_phys: u64, wide: bool) {
    let ours = |rsdt: u64, xsdt: u64| if wide { xsdt == root_phys } else { rsdt == root_phys };
    let firmware = tables::scan_bios_area()
        .filter(|&pa| tables::parse_rsdp(pa).is_some_and(|(r, x)| ours(r, x)))
        .or_else(|| tables::scan_near(root_phys, ours));
    match firmware {
        Some(pa) => crate::klog!("ACPI", "RSDP found at {:#X}", pa),
        None => crate::klog!("ACPI", "RSDP found in GRUB's Multiboot2 copy (firmware copy not located); {} at {:#X}",
            if wide { "XSDT" } else { "RSDT" }, root_phys),
    }
}

/// Order the CPUs BSP first, cap them at `MAX_CPUS`, copy the rest.
fn platform_from(m: &madt::Madt, bsp: u32) -> Platform {
    let mut p = Platform::single_cpu(bsp);
    let others = m.apic_ids[..m.cpu_count].iter().copied().filter(|&id| id != bsp);
    for id in others {
        if p.cpu_count < MAX_CPUS {
            p.apic_ids[p.cpu_count] = id;
            p.cpu_count += 1;
        } else {
            p.parked_cpus += 1;
        }
    }
    p.parked_cpus += m.cpus_dropped;
    p.lapic_phys = m.lapic_phys;
    if m.ioapic_count > 0 {
        p.ioapics = m.ioapics;
        p.ioapic_count = m.ioapic_count;
    }
    p.overrides = m.overrides;
    p.override_count = m.override_count;
    // Without a type-4 entry, LINT1 carries NMI by convention.
    p.nmi_lint = m.nmi_lint.or(Some(1));
    p.has_8259 = m.has_8259;
    p
}

fn log_cpus(p: &Platform, m: &madt::Madt) {
    struct Ids<'a>(&'a [u32]);
    impl core::fmt::Display for Ids<'_> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            for (i, id) in self.0.iter().enumerate() {
                write!(f, "{}{}", if i == 0 { "" } else { ", " }, id)?;
            }
            Ok(())
        }
    }
    crate::klog!("ACPI", "Found {} CPUs: [{}]", p.cpu_count, Ids(&p.apic_ids[..p.cpu_count]));
    for io in p.ioapics() {
        crate::klog!("ACPI", "I/O APIC id {} at {:#X}, GSIs from {}", io.id, io.phys, io.gsi_base);
    }
    if p.parked_cpus > 0 {
        crate::klog!("ACPI", "{} more CPUs beyond MAX_CPUS={} are left parked", p.parked_cpus, MAX_CPUS);
    }
    if !m.apic_ids[..m.cpu_count].contains(&p.apic_ids[0]) {
        crate::klog!("ACPI", "warning: the BSP (apic_id={}) is not listed in the MADT", p.apic_ids[0]);
    }
}
