//! The dynamic section and the relative relocations of a static PIE.
//!
//! A static PIE is linked at address 0 (or some other base) and moved by
//! `load_bias`. Every absolute pointer stored in its data must then be
//! fixed up; the linker records those places as relocations:
//!
//! * `DT_RELA` table of `Elf64_Rela { r_offset, r_info, r_addend }`, type
//!   `R_X86_64_RELATIVE`: store `load_bias + r_addend` at
//!   `r_offset + load_bias`;
//! * `DT_RELR` table (compact encoding of the same thing, whose addend is
//!   the word already stored at the target): an even word is an address to
//!   patch, and sets the cursor to the word after it; an odd word is a
//!   bitmap where bit `i` (1..=63) means "patch cursor + 8 * (i - 1)",
//!   after which the cursor advances by 63 words. Each patch stores
//!   `current value + load_bias`.
//!
//! Anything else (`DT_NEEDED`, `DT_REL`, `DT_JMPREL`, other relocation
//! types) needs a dynamic linker and is refused. Every relocation must
//! patch 8 bytes inside a segment; tables must lie in a segment's file bytes.

use crate::header::{file_range, read_u64};
use crate::{ElfError, LoadPlan, RelocTable};

const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_PLTRELSZ: u64 = 2;
const DT_RELA: u64 = 7;
const DT_RELASZ: u64 = 8;
const DT_RELAENT: u64 = 9;
const DT_RELSZ: u64 = 18;
const DT_RELRSZ: u64 = 35;
const DT_RELR: u64 = 36;
const DT_RELRENT: u64 = 37;

const R_X86_64_NONE: u32 = 0;
const R_X86_64_RELATIVE: u32 = 8;
/// Size of an `Elf64_Rela` entry.
const RELA_SIZE: u64 = 24;
/// Size of a RELR word.
const RELR_SIZE: u64 = 8;

/// One fixup: store the little-endian `value` in the 8 bytes at `addr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reloc {
    pub addr: u64,
    pub value: u64,
}

/// Reads the `PT_DYNAMIC` contents into `plan.rela` and `plan.relr`.
pub(crate) fn read_dynamic(dynamic: &[u8], plan: &mut LoadPlan) -> Result<(), ElfError> {
    let (mut rela, mut rela_size, mut rela_ent) = (0, 0, RELA_SIZE);
    let (mut relr, mut relr_size, mut relr_ent) = (0, 0, RELR_SIZE);
    for entry in dynamic.chunks_exact(16) {
        let tag = read_u64(entry, 0).unwrap_or(DT_NULL);
        let value = read_u64(entry, 8).unwrap_or(0);
        match tag {
            DT_NULL => break,
            DT_NEEDED => return Err(ElfError::NeedsLibraries),
            DT_RELSZ | DT_PLTRELSZ if value != 0 => return Err(ElfError::UnsupportedRelocTable),
            DT_RELA => rela = value,
            DT_RELASZ => rela_size = value,
            DT_RELAENT => rela_ent = value,
            DT_RELR => relr = value,
            DT_RELRSZ => relr_size = value,
            DT_RELRENT => relr_ent = value,
            _ => {}
        }
    }
    plan.rela = table(plan, rela, rela_size, rela_ent, RELA_SIZE)?;
    plan.relr = table(plan, relr, relr_size, relr_ent, RELR_SIZE)?;
    Ok(())
}

/// Locates a table of `size` bytes at link-time address `vaddr` in the
/// file, checking its entry size.
fn table(
    plan: &LoadPlan,
    vaddr: u64,
    size: u64,
    ent: u64,
    want_ent: u64,
) -> Result<RelocTable, ElfError> {
    if size == 0 {
        return Ok(RelocTable::default());
    }
    if ent != want_ent || !size.is_multiple_of(want_ent) {
        return Err(ElfError::BadDynamic);
    }
    let addr = vaddr.wrapping_add(plan.load_bias);
    let segment = plan.segments().iter().find(|s| {
        addr >= s.vaddr
            && addr
                .checked_add(size)
                .is_some_and(|end| end <= s.vaddr + s.file_size)
    });
    let segment = segment.ok_or(ElfError::RelocTableOutOfBounds)?;
    let offset = segment.file_offset + (addr - segment.vaddr);
    Ok(RelocTable {
        offset,
        count: size / want_ent,
    })
}

/// The fixups a validated plan needs, in table order (`DT_RELA` first,
/// then `DT_RELR`). Every entry is checked before the iterator is returned,
/// so iteration itself cannot fail. `image` must be the image `plan` was
/// made from; a mismatch is caught as an error, not a panic.
pub fn relocations<'a>(image: &'a [u8], plan: &LoadPlan) -> Result<Relocations<'a>, ElfError> {
    for segment in plan.segments() {
        file_range(image, segment.file_offset, segment.file_size)
            .ok_or(ElfError::SegmentOutOfFile)?;
    }
    for (table, size) in [(plan.rela, RELA_SIZE), (plan.relr, RELR_SIZE)] {
        let len = table
            .count
            .checked_mul(size)
            .ok_or(ElfError::RelocTableOutOfBounds)?;
        file_range(image, table.offset, len).ok_or(ElfError::RelocTableOutOfBounds)?;
    }
    let raw = Raw {
        image,
        plan: *plan,
        rela_next: 0,
        relr_next: 0,
        cursor: None,
        bitmap: 0,
        bitmap_base: 0,
        failed: false,
    };
    for result in raw.clone() {
        result?;
    }
    Ok(Relocations { raw })
}

/// Iterator over the fixups; see [`relocations`].
#[derive(Clone, Debug)]
pub struct Relocations<'a> {
    raw: Raw<'a>,
}

impl Iterator for Relocations<'_> {
    type Item = Reloc;

    fn next(&mut self) -> Option<Reloc> {
        // `relocations` already walked the tables without error.
        self.raw.next()?.ok()
    }
}

/// Decoder of both tables, reporting problems as errors.
#[derive(Clone, Debug)]
struct Raw<'a> {
    image: &'a [u8],
    plan: LoadPlan,
    rela_next: u64,
    relr_next: u64,
    /// RELR: the address the next bitmap word starts at (link-time).
    cursor: Option<u64>,
    /// RELR: bits of the current bitmap word not yet emitted.
    bitmap: u64,
    /// RELR: the address bit 0 of `bitmap` stands for.
    bitmap_base: u64,
    failed: bool,
}

impl Iterator for Raw<'_> {
    type Item = Result<Reloc, ElfError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.next_rela().or_else(|| self.next_relr())?;
        self.failed = item.is_err();
        Some(item)
    }
}

impl Raw<'_> {
    fn next_rela(&mut self) -> Option<Result<Reloc, ElfError>> {
        while self.rela_next < self.plan.rela.count {
            let at = (self.plan.rela.offset + self.rela_next * RELA_SIZE) as usize;
            self.rela_next += 1;
            let field = |i: usize| read_u64(self.image, at + 8 * i).unwrap_or(0);
            let (offset, info, addend) = (field(0), field(1), field(2));
            match info as u32 {
                R_X86_64_NONE => continue,
                R_X86_64_RELATIVE => {
                    let value = self.plan.load_bias.wrapping_add(addend);
                    return Some(self.target(offset).map(|(addr, _)| Reloc { addr, value }));
                }
                other => return Some(Err(ElfError::UnsupportedRelocation(other))),
            }
        }
        None
    }

    fn next_relr(&mut self) -> Option<Result<Reloc, ElfError>> {
        loop {
            if self.bitmap != 0 {
                let bit = u64::from(self.bitmap.trailing_zeros());
                self.bitmap &= self.bitmap - 1;
                return Some(self.relr_fixup(self.bitmap_base.wrapping_add(bit * 8)));
            }
            if self.relr_next >= self.plan.relr.count {
                return None;
            }
            let at = (self.plan.relr.offset + self.relr_next * RELR_SIZE) as usize;
            self.relr_next += 1;
            let word = read_u64(self.image, at).unwrap_or(0);
            if word & 1 == 0 {
                self.cursor = Some(word.wrapping_add(8));
                return Some(self.relr_fixup(word));
            }
            let Some(base) = self.cursor else {
                return Some(Err(ElfError::BadDynamic));
            };
            self.bitmap = word >> 1;
            self.bitmap_base = base;
            self.cursor = Some(base.wrapping_add(63 * 8));
        }
    }

    /// RELR fixup at link-time address `link_addr`: add the bias to the
    /// word the image stores there.
    fn relr_fixup(&self, link_addr: u64) -> Result<Reloc, ElfError> {
        let (addr, stored) = self.target(link_addr)?;
        Ok(Reloc {
            addr,
            value: stored.wrapping_add(self.plan.load_bias),
        })
    }

    /// The load address of link-time address `link_addr` and the 8 bytes
    /// stored there before relocation (file bytes; zero past `file_size`).
    fn target(&self, link_addr: u64) -> Result<(u64, u64), ElfError> {
        let addr = link_addr.wrapping_add(self.plan.load_bias);
        let segment = self
            .plan
            .segment_containing(addr, 8)
            .ok_or(ElfError::RelocationOutOfRange)?;
        let start = addr - segment.vaddr;
        let mut bytes = [0u8; 8];
        for (i, byte) in (start..start + 8).zip(&mut bytes) {
            if i < segment.file_size {
                *byte = self
                    .image
                    .get((segment.file_offset + i) as usize)
                    .copied()
                    .unwrap_or(0);
            }
        }
        Ok((addr, u64::from_le_bytes(bytes)))
    }
}
