//! Decoding of the ELF file header and program headers.
//!
//! Only the fields the loader needs are decoded. All reads are bounds
//! checked; a short image is an error, never a panic. Multi-byte fields are
//! little endian (checked before anything else is read).

use crate::ElfError;

pub(crate) const ET_EXEC: u16 = 2;
pub(crate) const ET_DYN: u16 = 3;
const EM_X86_64: u16 = 62;
const EV_CURRENT: u8 = 1;
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const EHDR_SIZE: usize = 64;
/// Size of one program header (`Elf64_Phdr`).
const PHDR_SIZE: usize = 56;

pub(crate) const PT_LOAD: u32 = 1;
pub(crate) const PT_DYNAMIC: u32 = 2;
pub(crate) const PT_INTERP: u32 = 3;
pub(crate) const PT_NOTE: u32 = 4;
/// Size of one program header, as `AT_PHENT` reports it.
pub const PHENT_SIZE: usize = PHDR_SIZE;

pub(crate) const PF_X: u32 = 1;
pub(crate) const PF_W: u32 = 2;
pub(crate) const PF_R: u32 = 4;

/// Little-endian `u16` at `offset`, if in bounds.
pub(crate) fn read_u16(bytes: &[u8], offset: usize) -> Option<u16> {
    let field = bytes.get(offset..offset.checked_add(2)?)?;
    Some(u16::from_le_bytes(field.try_into().ok()?))
}

/// Little-endian `u32` at `offset`, if in bounds.
pub(crate) fn read_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    let field = bytes.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes(field.try_into().ok()?))
}

/// Little-endian `u64` at `offset`, if in bounds.
pub(crate) fn read_u64(bytes: &[u8], offset: usize) -> Option<u64> {
    let field = bytes.get(offset..offset.checked_add(8)?)?;
    Some(u64::from_le_bytes(field.try_into().ok()?))
}

/// `offset..offset + len` as a `usize` range if it lies inside `bytes`.
pub(crate) fn file_range(bytes: &[u8], offset: u64, len: u64) -> Option<core::ops::Range<usize>> {
    let end = offset.checked_add(len)?;
    (end <= bytes.len() as u64).then_some(offset as usize..end as usize)
}

/// The file-header fields the loader uses.
pub(crate) struct FileHeader {
    pub e_type: u16,
    pub entry: u64,
    /// `EI_OSABI`.
    pub osabi: u8,
    pub phoff: u64,
    pub phnum: u16,
}

/// Validates the ELF identification and file header.
pub(crate) fn parse_header(image: &[u8]) -> Result<FileHeader, ElfError> {
    let ident = image.get(..EHDR_SIZE).ok_or(ElfError::Truncated)?;
    if ident[..4] != *b"\x7fELF" {
        return Err(ElfError::BadMagic);
    }
    if ident[4] != ELFCLASS64 {
        return Err(ElfError::NotElf64);
    }
    if ident[5] != ELFDATA2LSB {
        return Err(ElfError::NotLittleEndian);
    }
    // The header is 64 bytes, so these reads cannot fail.
    let field16 = |offset| read_u16(image, offset).unwrap_or(0);
    if ident[6] != EV_CURRENT || read_u32(image, 20) != Some(u32::from(EV_CURRENT)) {
        return Err(ElfError::BadVersion);
    }
    if field16(18) != EM_X86_64 {
        return Err(ElfError::WrongMachine);
    }
    let e_type = field16(16);
    if e_type != ET_EXEC && e_type != ET_DYN {
        return Err(ElfError::NotExecutable);
    }
    if field16(54) as usize != PHDR_SIZE {
        return Err(ElfError::BadPhentsize);
    }
    let header = FileHeader {
        e_type,
        entry: read_u64(image, 24).unwrap_or(0),
        osabi: ident[7],
        phoff: read_u64(image, 32).unwrap_or(0),
        phnum: field16(56),
    };
    let table_len = u64::from(header.phnum) * PHDR_SIZE as u64;
    file_range(image, header.phoff, table_len).ok_or(ElfError::PhdrsOutOfBounds)?;
    Ok(header)
}

/// One program header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProgramHeader {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

impl FileHeader {
    /// The program headers (the table was bounds-checked by `parse_header`).
    pub(crate) fn program_headers<'a>(
        &self,
        image: &'a [u8],
    ) -> impl Iterator<Item = ProgramHeader> + 'a {
        let phoff = self.phoff as usize;
        (0..self.phnum as usize).map(move |i| {
            let at = phoff + i * PHDR_SIZE;
            let field64 = |offset| read_u64(image, at + offset).unwrap_or(0);
            ProgramHeader {
                p_type: read_u32(image, at).unwrap_or(0),
                flags: read_u32(image, at + 4).unwrap_or(0),
                offset: field64(8),
                vaddr: field64(16),
                filesz: field64(32),
                memsz: field64(40),
                align: field64(48),
            }
        })
    }
}
