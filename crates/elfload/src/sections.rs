//! Section lookup by name (`.debug_line`, `.debug_line_str`, ...) through
//! the section-header string table (`e_shstrndx`).
//!
//! Only sections whose bytes are really in the file qualify: `SHT_NOBITS`
//! (a `--only-keep-debug` companion's stubs) and compressed sections
//! (`SHF_COMPRESSED`, zlib/zstd data the callers cannot read) are treated
//! as absent. Every offset is bounds-checked; a malformed file yields
//! `None`, never a panic.

use crate::header::{read_u16, read_u32, read_u64};

const SHDR_SIZE: usize = 64;
const SHT_NOBITS: u32 = 8;
const SHF_COMPRESSED: u64 = 0x800;
/// `e_shstrndx` value meaning "the real index is in section 0's `sh_link`".
const SHN_XINDEX: u16 = 0xFFFF;

/// The fields of one section header that lookups use.
struct Shdr {
    name: u32,
    kind: u32,
    flags: u64,
    offset: u64,
    size: u64,
    link: u32,
}

/// Section header `i`, if the table and the entry lie inside `elf`.
fn shdr(elf: &[u8], i: usize) -> Option<Shdr> {
    let shoff = usize::try_from(read_u64(elf, 0x28)?).ok()?;
    if read_u16(elf, 0x3A)? as usize != SHDR_SIZE {
        return None;
    }
    let at = shoff.checked_add(i.checked_mul(SHDR_SIZE)?)?;
    Some(Shdr {
        name: read_u32(elf, at)?,
        kind: read_u32(elf, at.checked_add(4)?)?,
        flags: read_u64(elf, at.checked_add(8)?)?,
        offset: read_u64(elf, at.checked_add(0x18)?)?,
        size: read_u64(elf, at.checked_add(0x20)?)?,
        link: read_u32(elf, at.checked_add(0x28)?)?,
    })
}

/// The file bytes of a section header, if they lie inside `elf`.
fn bytes<'a>(elf: &'a [u8], s: &Shdr) -> Option<&'a [u8]> {
    let start = usize::try_from(s.offset).ok()?;
    elf.get(start..start.checked_add(usize::try_from(s.size).ok()?)?)
}

/// The contents of the section called `name`, if the file has one with its
/// bytes present and uncompressed.
pub(crate) fn section<'a>(elf: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    if elf.get(0..4)? != b"\x7fELF" || elf.get(4)? != &2 || elf.get(5)? != &1 {
        return None;
    }
    let shnum = read_u16(elf, 0x3C)? as usize;
    let shstrndx = match read_u16(elf, 0x3E)? {
        SHN_XINDEX => shdr(elf, 0)?.link as usize,
        i => i as usize,
    };
    let names = bytes(elf, &shdr(elf, shstrndx)?)?;
    (1..shnum).filter_map(|i| shdr(elf, i)).find_map(|s| {
        let rest = names.get(s.name as usize..)?;
        let matches = rest.strip_prefix(name).is_some_and(|after| after.first() == Some(&0));
        let usable = matches && s.kind != SHT_NOBITS && s.flags & SHF_COMPRESSED == 0;
        if usable {
            bytes(elf, &s)
        } else {
            None
        }
    })
}
