//! Symbol lookup in an ELF file's own symbol table (`.symtab` + its
//! `.strtab`), to name where a user program faulted: the function symbol
//! whose `[st_value, st_value + st_size)` holds an address (or, for
//! symbols without a size, the nearest function symbol below it in the
//! same section).
//!
//! Reads section headers only; a stripped file (no `.symtab`) simply has no
//! symbols. Every offset is bounds-checked: a malformed file yields `None`,
//! never a panic.

use crate::header::{read_u16, read_u32, read_u64};

const SHT_SYMTAB: u32 = 2;
const STT_FUNC: u8 = 2;
const SHDR_SIZE: usize = 64;
const SYM_SIZE: usize = 24;

/// The symbol containing `addr` and `addr`'s offset from its start.
pub fn symbolize(elf: &[u8], addr: u64) -> Option<(&str, u64)> {
    let shoff = read_u64(elf, 0x28)? as usize;
    let shentsize = read_u16(elf, 0x3A)? as usize;
    let shnum = read_u16(elf, 0x3C)? as usize;
    if shentsize != SHDR_SIZE {
        return None;
    }
    let section = |i: usize| -> Option<(u32, usize, usize, u32)> {
        let at = shoff.checked_add(i.checked_mul(SHDR_SIZE)?)?;
        let kind = read_u32(elf, at + 4)?;
        let offset = read_u64(elf, at + 0x18)? as usize;
        let size = read_u64(elf, at + 0x20)? as usize;
        let link = read_u32(elf, at + 0x28)?;
        Some((kind, offset, size, link))
    };
    let (_, symoff, symsize, strndx) = (0..shnum).filter_map(section).find(|s| s.0 == SHT_SYMTAB)?;
    let (_, stroff, strsize, _) = section(strndx as usize)?;
    let strtab = elf.get(stroff..stroff.checked_add(strsize)?)?;
    let symtab = elf.get(symoff..symoff.checked_add(symsize)?)?;
    let mut best: Option<(u64, u64, u32)> = None; // (start, size, name offset)
    for sym in symtab.chunks_exact(SYM_SIZE) {
        let name = u32::from_le_bytes(sym[0..4].try_into().ok()?);
        let info = sym[4];
        let value = u64::from_le_bytes(sym[8..16].try_into().ok()?);
        let size = u64::from_le_bytes(sym[16..24].try_into().ok()?);
        if info & 0xF != STT_FUNC || value == 0 || value > addr {
            continue;
        }
        let inside = size != 0 && addr < value.saturating_add(size);
        let closer = best.is_none_or(|(b, bsize, _)| value > b || (bsize == 0 && value == b));
        if inside {
            best = Some((value, size, name));
            break;
        }
        if size == 0 && closer {
            best = Some((value, size, name));
        }
    }
    let (start, _, name) = best?;
    let rest = strtab.get(name as usize..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some((core::str::from_utf8(&rest[..end]).ok()?, addr - start))
}
