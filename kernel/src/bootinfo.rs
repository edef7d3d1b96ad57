//! The Multiboot2 boot information, copied into plain kernel structures.
//!
//! GRUB leaves the information somewhere in low memory; [`parse`] reads it
//! once (through the boot-time direct map) and copies what the kernel needs:
//! the memory map, the modules (the first is the initial ramdisk), the
//! command line, the framebuffer and where the ACPI tables are. Nothing
//! refers to GRUB's copy afterwards, but its frames stay reserved anyway
//! so the ELF section headers (used for symbolised backtraces) stay valid.

use crate::mm::layout::phys_to_virt;
use core::ops::Range;
use multiboot2::{BootInformation, BootInformationHeader, MemoryAreaType};

const MULTIBOOT2_MAGIC: u32 = 0x36D7_6289;
pub const MAX_REGIONS: usize = 128;
pub const MAX_MODULES: usize = 8;
const CMDLINE_MAX: usize = 512;

/// Kind of a memory-map region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    Available,
    Reserved,
    AcpiReclaimable,
    AcpiNvs,
    Defective,
}

#[derive(Clone, Copy, Debug)]
pub struct MemRegion {
    pub base: u64,
    pub len: u64,
    pub kind: RegionKind,
}

#[derive(Clone, Copy, Debug)]
pub struct Framebuffer {
    pub phys: u64,
    pub pitch: u32,
    pub width: u32,
    pub height: u32,
    pub bpp: u8,
}

/// Where GRUB loaded the kernel's ELF symbol table (`.symtab`) and its
/// string table (physical ranges), from the ELF-sections tag. GRUB loads
/// non-allocated sections into free memory and records their addresses in
/// the section headers; the frames are not reserved in the memory map, so
/// `mm::init` reserves these ranges.
#[derive(Clone, Debug)]
pub struct ElfSymbols {
    pub symtab: Range<u64>,
    pub strtab: Range<u64>,
    /// Size of one symbol entry (24 for ELF64).
    pub entsize: u64,
}

/// Where the ACPI root table is, from GRUB's copy of the RSDP.
#[derive(Clone, Copy, Debug)]
pub enum AcpiRoot {
    Rsdt(u64),
    Xsdt(u64),
}

pub struct BootInfo {
    pub regions: [MemRegion; MAX_REGIONS],
    pub region_count: usize,
    pub modules: [Range<u64>; MAX_MODULES],
    pub module_count: usize,
    cmdline: [u8; CMDLINE_MAX],
    cmdline_len: usize,
    pub framebuffer: Option<Framebuffer>,
    pub acpi_root: Option<AcpiRoot>,
    /// Physical range of GRUB's boot information block.
    pub mbi: Range<u64>,
    /// The kernel's symbol table as loaded by GRUB (for backtraces).
    pub elf_symbols: Option<ElfSymbols>,
}

impl BootInfo {
    pub fn regions(&self) -> &[MemRegion] {
        &self.regions[..self.region_count]
    }

    pub fn modules(&self) -> &[Range<u64>] {
        &self.modules[..self.module_count]
    }

    pub fn cmdline(&self) -> &str {
        core::str::from_utf8(&self.cmdline[..self.cmdline_len]).unwrap_or("")
    }

    /// The initial ramdisk (first module), as a physical range.
    pub fn initrd(&self) -> Option<Range<u64>> {
        self.modules().first().cloned()
    }

    /// The initial ramdisk's bytes, read in place through the direct map
    /// (empty without a module).
    pub fn initrd_bytes(&self) -> &'static [u8] {
        let Some(r) = self.initrd() else { return &[] };
        // SAFETY: module frames are reserved from the frame allocator at
        // boot (`mm::init`) and never handed out or written, and the direct
        // map covers them for the kernel's lifetime.
        unsafe { core::slice::from_raw_parts(phys_to_virt(r.start) as *const u8, (r.end - r.start) as usize) }
    }
}

/// Read GRUB's boot information at physical address `mbi_phys`.
pub fn parse(magic: u32, mbi_phys: usize) -> BootInfo {
    assert_eq!(magic, MULTIBOOT2_MAGIC, "not booted by a Multiboot2 loader (magic {magic:#x})");
    let ptr = phys_to_virt(mbi_phys as u64) as *const BootInformationHeader;
    // SAFETY: GRUB passed this address; the boot page tables map it through
    // the direct map; nothing writes to it while we read.
    let mbi = unsafe { BootInformation::load(ptr) }.expect("invalid Multiboot2 information");

    let mut info = BootInfo {
        regions: [MemRegion { base: 0, len: 0, kind: RegionKind::Reserved }; MAX_REGIONS],
        region_count: 0,
        modules: [const { 0..0 }; MAX_MODULES],
        module_count: 0,
        cmdline: [0; CMDLINE_MAX],
        cmdline_len: 0,
        framebuffer: None,
        acpi_root: None,
        mbi: mbi_phys as u64..(mbi_phys + mbi.total_size()) as u64,
        elf_symbols: None,
    };

    let areas = mbi.memory_map_tag().expect("boot loader gave no memory map");
    for area in areas.memory_areas().iter().take(MAX_REGIONS) {
        let kind = match area.typ() {
            MemoryAreaType::Available => RegionKind::Available,
            MemoryAreaType::AcpiAvailable => RegionKind::AcpiReclaimable,
            MemoryAreaType::ReservedHibernate => RegionKind::AcpiNvs,
            MemoryAreaType::Defective => RegionKind::Defective,
            _ => RegionKind::Reserved,
        };
        info.regions[info.region_count] = MemRegion { base: area.start_address(), len: area.size(), kind };
        info.region_count += 1;
    }

    for module in mbi.module_tags().take(MAX_MODULES) {
        info.modules[info.module_count] = module.start_address() as u64..module.end_address() as u64;
        info.module_count += 1;
    }

    if let Some(Ok(cmd)) = mbi.command_line_tag().map(|t| t.cmdline()) {
        let n = cmd.len().min(CMDLINE_MAX);
        info.cmdline[..n].copy_from_slice(&cmd.as_bytes()[..n]);
        info.cmdline_len = n;
    }

    if let Some(Ok(fb)) = mbi.framebuffer_tag() {
        if matches!(fb.buffer_type(), Ok(multiboot2::FramebufferType::RGB { .. })) && fb.bpp() == 32 {
            info.framebuffer = Some(Framebuffer {
                phys: fb.address(),
                pitch: fb.pitch(),
                width: fb.width(),
                height: fb.height(),
                bpp: fb.bpp(),
            });
        }
    }

    info.elf_symbols = mbi.elf_sections_tag().and_then(elf_symbols);

    info.acpi_root = if let Some(v2) = mbi.rsdp_v2_tag() {
        Some(AcpiRoot::Xsdt(v2.xsdt_address() as u64))
    } else {
        mbi.rsdp_v1_tag().map(|v1| AcpiRoot::Rsdt(v1.rsdt_address() as u64))
    };
    info
}

/// Find `.symtab` (type SHT_SYMTAB) and the string table it links to.
fn elf_symbols(tag: &multiboot2::ElfSectionsTag) -> Option<ElfSymbols> {
    const SHT_SYMTAB: u32 = 2;
    const SHT_STRTAB: u32 = 3;
    let symtab = tag.sections().find(|s| s.sh_type == SHT_SYMTAB)?;
    let strtab = tag.sections().nth(symtab.sh_link as usize).filter(|s| s.sh_type == SHT_STRTAB)?;
    if symtab.sh_addr == 0 || strtab.sh_addr == 0 {
        return None; // the loader did not load them
    }
    Some(ElfSymbols {
        symtab: symtab.sh_addr..symtab.sh_addr + symtab.sh_size,
        strtab: strtab.sh_addr..strtab.sh_addr + strtab.sh_size,
        entsize: symtab.sh_entsize,
    })
}
