//! A tiny ELF64 writer for tests: a file header, program headers, and data
//! blobs placed at file offsets congruent to their load address modulo the
//! page size (as real linkers do), plus helpers for dynamic entries and
//! relocation tables, and raw field patching for building broken images.
#![allow(dead_code)] // Each test file uses a different subset.

use elfload::LoadConfig;

pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;
pub const PT_LOAD: u32 = 1;
pub const PT_DYNAMIC: u32 = 2;
pub const PT_INTERP: u32 = 3;
pub const PT_NOTE: u32 = 4;
pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const DT_NEEDED: u64 = 1;
pub const DT_RELA: u64 = 7;
pub const DT_RELASZ: u64 = 8;
pub const DT_RELAENT: u64 = 9;
pub const DT_RELR: u64 = 36;
pub const DT_RELRSZ: u64 = 35;
pub const DT_RELRENT: u64 = 37;
pub const R_X86_64_RELATIVE: u64 = 8;

/// The configuration most tests use: user space 64 KiB .. 128 TiB.
pub const CFG: LoadConfig = LoadConfig {
    user_start: 0x1_0000,
    user_end: 0x8000_0000_0000,
    dyn_base: 0x5555_0000_0000,
};

/// Byte offset of program header `index`, and of fields inside one.
pub fn phdr_at(index: usize) -> usize {
    64 + 56 * index
}
pub const P_FLAGS: usize = 4;
pub const P_OFFSET: usize = 8;
pub const P_VADDR: usize = 16;
pub const P_FILESZ: usize = 32;
pub const P_MEMSZ: usize = 40;
pub const P_ALIGN: usize = 48;

/// A program header, all fields explicit.
#[derive(Clone, Copy, Debug)]
pub struct Phdr {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

/// An ELF image under construction.
pub struct Elf {
    pub e_type: u16,
    pub entry: u64,
    pub phdrs: Vec<Phdr>,
    /// File contents after the headers; blobs start at 0x1000.
    body: Vec<u8>,
}

impl Elf {
    pub fn new(e_type: u16, entry: u64) -> Self {
        Elf {
            e_type,
            entry,
            phdrs: Vec::new(),
            body: vec![0; 0x1000],
        }
    }

    /// Puts `data` in the file at the next page with the same page offset
    /// as `vaddr`; returns the file offset.
    pub fn place(&mut self, vaddr: u64, data: &[u8]) -> u64 {
        let offset = self.body.len().next_multiple_of(0x1000) as u64 + vaddr % 0x1000;
        self.body.resize(offset as usize, 0);
        self.body.extend_from_slice(data);
        offset
    }

    /// Adds a `PT_LOAD` segment holding `data`, `memsz` bytes in memory.
    pub fn load(&mut self, vaddr: u64, flags: u32, data: &[u8], memsz: u64) -> &mut Self {
        let offset = self.place(vaddr, data);
        let filesz = data.len() as u64;
        self.phdr(Phdr {
            p_type: PT_LOAD,
            flags,
            offset,
            vaddr,
            filesz,
            memsz,
            align: 0x1000,
        })
    }

    pub fn phdr(&mut self, phdr: Phdr) -> &mut Self {
        self.phdrs.push(phdr);
        self
    }

    /// Adds a `PT_DYNAMIC` header over `entries` (a `DT_NULL` is appended).
    pub fn dynamic(&mut self, entries: &[(u64, u64)]) -> &mut Self {
        let mut bytes = Vec::new();
        for &(tag, value) in entries.iter().chain(&[(0, 0)]) {
            bytes.extend_from_slice(&tag.to_le_bytes());
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        let offset = self.place(0, &bytes);
        let len = bytes.len() as u64;
        self.phdr(Phdr {
            p_type: PT_DYNAMIC,
            flags: PF_R | PF_W,
            offset,
            vaddr: 0,
            filesz: len,
            memsz: len,
            align: 8,
        })
    }

    pub fn build(&self) -> Vec<u8> {
        assert!(
            64 + 56 * self.phdrs.len() <= 0x1000,
            "too many program headers for the writer"
        );
        let mut out = self.body.clone();
        out[..4].copy_from_slice(b"\x7fELF");
        out[4..8].copy_from_slice(&[2, 1, 1, 0]); // 64-bit, little endian, version 1, SysV.
        put16(&mut out, 16, self.e_type);
        put16(&mut out, 18, 62); // EM_X86_64
        put32(&mut out, 20, 1);
        put64(&mut out, 24, self.entry);
        put64(&mut out, 32, 64); // e_phoff
        put16(&mut out, 52, 64); // e_ehsize
        put16(&mut out, 54, 56); // e_phentsize
        put16(&mut out, 56, self.phdrs.len() as u16);
        for (i, ph) in self.phdrs.iter().enumerate() {
            let at = phdr_at(i);
            put32(&mut out, at, ph.p_type);
            put32(&mut out, at + P_FLAGS, ph.flags);
            put64(&mut out, at + P_OFFSET, ph.offset);
            put64(&mut out, at + P_VADDR, ph.vaddr);
            put64(&mut out, at + 24, ph.vaddr); // p_paddr
            put64(&mut out, at + P_FILESZ, ph.filesz);
            put64(&mut out, at + P_MEMSZ, ph.memsz);
            put64(&mut out, at + P_ALIGN, ph.align);
        }
        out
    }
}

/// A minimal valid static executable: code at 0x40_0000, data + bss after.
pub fn simple_exec() -> Elf {
    let mut elf = Elf::new(ET_EXEC, 0x40_0010);
    elf.load(0x40_0000, PF_R | PF_X, &[0x90; 0x40], 0x40);
    elf.load(0x40_1000, PF_R | PF_W, &[1, 2, 3, 4], 0x2000);
    elf
}

/// An `Elf64_Rela` entry.
pub fn rela(offset: u64, kind: u64, addend: i64) -> Vec<u8> {
    [offset, kind, addend as u64]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

pub fn put16(image: &mut [u8], at: usize, value: u16) {
    image[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

pub fn put32(image: &mut [u8], at: usize, value: u32) {
    image[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

pub fn put64(image: &mut [u8], at: usize, value: u64) {
    image[at..at + 8].copy_from_slice(&value.to_le_bytes());
}
