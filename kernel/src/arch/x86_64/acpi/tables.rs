//! Finding and validating ACPI tables in physical memory.
//!
//! Tables are reached through the direct map: [`PhysBytes::map`] makes sure
//! every page of the range is mapped (`map_mmio` leaves RAM pages that the
//! direct map already covers alone and maps firmware-reserved ones) and
//! hands out a bounds-checked, read-only view. All reads are unaligned-safe
//! little-endian loads, so a malformed table can make the parser give up but
//! never read outside the range it mapped.
//!
//! Invariants: a [`Table`] has a valid signature, a length that covers its
//! header, and a checksum that sums to zero; anything else is skipped with a
//! log line. Firmware tables are never written.

use crate::mm::kernel_space::map_mmio;

/// Size of the common System Description Table header.
pub const SDT_HEADER_LEN: usize = 36;
/// Largest table we are willing to map (a DSDT is typically < 64 KiB).
const MAX_TABLE_LEN: u32 = 4 << 20;

/// A read-only window onto physical memory `[phys, phys + len)`.
#[derive(Clone, Copy)]
pub struct PhysBytes {
    pub phys: u64,
    bytes: &'static [u8],
}

impl PhysBytes {
    /// Map `[phys, phys + len)` and view it.
    pub fn map(phys: u64, len: usize) -> Self {
        let va = map_mmio(phys, len as u64);
        // SAFETY: `map_mmio` mapped every page of the range (or found it in
        // the direct map); firmware tables and the BIOS area are never
        // written by the kernel, so a shared view cannot alias a `&mut`.
        let bytes = unsafe { core::slice::from_raw_parts(va as *const u8, len) };
        PhysBytes { phys, bytes }
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn bytes(&self) -> &'static [u8] {
        self.bytes
    }

    pub fn u8(&self, off: usize) -> Option<u8> {
        self.bytes.get(off).copied()
    }

    pub fn u16(&self, off: usize) -> Option<u16> {
        Some(u16::from_le_bytes(self.bytes.get(off..off + 2)?.try_into().ok()?))
    }

    pub fn u32(&self, off: usize) -> Option<u32> {
        Some(u32::from_le_bytes(self.bytes.get(off..off + 4)?.try_into().ok()?))
    }

    pub fn u64(&self, off: usize) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes.get(off..off + 8)?.try_into().ok()?))
    }

    /// Sub-window `[off, off + len)`, if inside.
    pub fn sub(&self, off: usize, len: usize) -> Option<PhysBytes> {
        let bytes = self.bytes.get(off..off.checked_add(len)?)?;
        Some(PhysBytes { phys: self.phys + off as u64, bytes })
    }
}

/// Whether `bytes` sum to zero (mod 256), the ACPI checksum rule.
pub fn checksum_ok(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |a, &b| a.wrapping_add(b)) == 0
}

/// A validated System Description Table (header included).
#[derive(Clone, Copy)]
pub struct Table {
    pub data: PhysBytes,
}

impl Table {
    /// Map and validate the table at `phys`. `None` (logged) if it is bad.
    pub fn load(phys: u64) -> Option<Table> {
        if phys == 0 {
            return None;
        }
        let header = PhysBytes::map(phys, SDT_HEADER_LEN);
        let len = header.u32(4)?;
        if (len as usize) < SDT_HEADER_LEN || len > MAX_TABLE_LEN {
            crate::klog!("ACPI", "table at {:#X} has a bad length ({}); ignored", phys, len);
            return None;
        }
        let data = PhysBytes::map(phys, len as usize);
        if !checksum_ok(data.bytes()) {
            let sig = data.bytes().get(..4).unwrap_or(b"????");
            crate::klog!("ACPI", "table {} at {:#X} fails its checksum; ignored",
                core::str::from_utf8(sig).unwrap_or("????"), phys);
            return None;
        }
        Some(Table { data })
    }

    pub fn signature(&self) -> &'static [u8] {
        &self.data.bytes()[..4]
    }

    pub fn phys(&self) -> u64 {
        self.data.phys
    }

    /// The bytes after the common header.
    pub fn body(&self) -> PhysBytes {
        self.data.sub(SDT_HEADER_LEN, self.data.len() - SDT_HEADER_LEN).expect("length checked in load")
    }
}

/// The RSDT or XSDT: a list of table addresses.
pub struct RootTable {
    table: Table,
    /// 8-byte entries (XSDT) or 4-byte entries (RSDT).
    wide: bool,
}

impl RootTable {
    pub fn load(phys: u64, wide: bool) -> Option<RootTable> {
        let table = Table::load(phys)?;
        let expect: &[u8] = if wide { b"XSDT" } else { b"RSDT" };
        if table.signature() != expect {
            crate::klog!("ACPI", "root table at {:#X} is not an {}", phys,
                core::str::from_utf8(expect).unwrap_or(""));
            return None;
        }
        Some(RootTable { table, wide })
    }

    /// The first valid table with signature `sig`.
    pub fn find(&self, sig: &[u8; 4]) -> Option<Table> {
        let body = self.table.body();
        let step = if self.wide { 8 } else { 4 };
        (0..body.len() / step)
            .filter_map(|i| if self.wide { body.u64(i * 8) } else { body.u32(i * 4).map(u64::from) })
            .filter(|&pa| pa != 0 && &PhysBytes::map(pa, 4).bytes()[..4] == sig)
            .find_map(Table::load)
    }
}

/// Validate an RSDP candidate at `phys` (signature and checksums).
/// Returns (RSDT address, XSDT address or 0).
pub fn parse_rsdp(phys: u64) -> Option<(u64, u64)> {
    let r = PhysBytes::map(phys, 20);
    if r.bytes().get(..8)? != b"RSD PTR " || !checksum_ok(r.bytes()) {
        return None;
    }
    let rsdt = r.u32(16)? as u64;
    if r.u8(15)? < 2 {
        return Some((rsdt, 0));
    }
    let v2 = PhysBytes::map(phys, 36);
    let len = v2.u32(20)? as usize;
    if !(36..=4096).contains(&len) || !checksum_ok(PhysBytes::map(phys, len).bytes()) {
        return None;
    }
    Some((rsdt, v2.u64(24)?))
}

/// Search for the RSDP the legacy way: the first KiB of the EBDA, then the
/// BIOS area 0xE0000–0xFFFFF, on 16-byte boundaries. Returns its address.
pub fn scan_bios_area() -> Option<u64> {
    let ebda = PhysBytes::map(0x40E, 2).u16(0).map_or(0, |seg| (seg as u64) << 4);
    let mut ranges = [(0u64, 0u64); 2];
    if (0x80000..0xA0000).contains(&ebda) {
        ranges[0] = (ebda, ebda + 1024);
    }
    ranges[1] = (0xE0000, 0x100000);
    for (start, end) in ranges {
        if start == end {
            continue;
        }
        let area = PhysBytes::map(start, (end - start) as usize);
        for off in (0..area.len().saturating_sub(20)).step_by(16) {
            if &area.bytes()[off..off + 8] == b"RSD PTR " && parse_rsdp(start + off as u64).is_some() {
                return Some(start + off as u64);
            }
        }
    }
    None
}

/// Search for the firmware's RSDP next to the root table (UEFI firmware
/// allocates them together; OVMF puts the RSDP in the following page, on
/// a 4-byte boundary): the root table's page and up to `NEAR_PAGES` pages
/// either side, only pages the direct map already covers (memory-map
/// regions, never unmapped device space). `matches(rsdt, xsdt)` says
/// whether a valid RSDP is the one pointing at our root table.
pub fn scan_near(root_phys: u64, matches: impl Fn(u64, u64) -> bool) -> Option<u64> {
    const NEAR_PAGES: u64 = 4;
    let page = root_phys & !0xFFF;
    let first = page.saturating_sub(NEAR_PAGES * 4096);
    for pa in (first..=page + NEAR_PAGES * 4096).step_by(4096) {
        let va = crate::mm::layout::phys_to_virt(pa);
        if crate::mm::kernel_space::translate(va).is_none() {
            continue;
        }
        // SAFETY: the page is mapped (checked above) and is firmware
        // memory the kernel never writes.
        let bytes = unsafe { core::slice::from_raw_parts(va as *const u8, 4096) };
        for off in (0..4096 - 20).step_by(4) {
            if &bytes[off..off + 8] == b"RSD PTR " {
                let cand = pa + off as u64;
                if parse_rsdp(cand).is_some_and(|(r, x)| matches(r, x)) {
                    return Some(cand);
                }
            }
        }
    }
    None
}
