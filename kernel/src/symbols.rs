//! Kernel symbol lookup for backtraces, from the kernel's own ELF symbol
//! table.
//!
//! GRUB's Multiboot2 loader loads every non-allocated ELF section of the
//! kernel (`.symtab` and `.strtab` among them) into free memory below
//! 4 GiB and writes the physical address into the section headers it hands
//! over in the ELF-sections tag. `bootinfo::parse` copies where `.symtab`
//! and its string table are; `mm::init` keeps those frames out of the
//! frame allocator. [`init`] (after the heap is up) reads the table once,
//! keeps the function and object symbols, demangles their Rust names
//! (without the `::h<hash>` suffix) into one heap arena, and publishes an
//! index sorted by address.
//!
//! Invariants: the index is built once and never changes; it is published
//! through `TABLE` (release/acquire), so [`lookup`] takes no lock and does
//! not allocate: it is safe in fault handlers and on the panic path. Before
//! `init`, or without a symbol table, `lookup` returns `None`.

use crate::bootinfo::{BootInfo, ElfSymbols};
use crate::mm::layout::phys_to_virt;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicPtr, Ordering};

/// Size of one ELF64 symbol (`Elf64_Sym`).
const SYM_SIZE: usize = 24;
const STT_OBJECT: u8 = 1;
const STT_FUNC: u8 = 2;
const STT_NOTYPE: u8 = 0;
const SHN_UNDEF: u16 = 0;
const SHN_ABS: u16 = 0xFFF1;
/// An unsized symbol (an assembly label) covers at most this many bytes.
const UNSIZED_REACH: u64 = 0x1000;

struct Symbol {
    addr: u64,
    size: u64,
    /// Byte range of the name in `Table::names`.
    name: (u32, u32),
}

struct Table {
    symbols: Vec<Symbol>,
    names: String,
}

static TABLE: AtomicPtr<Table> = AtomicPtr::new(core::ptr::null_mut());

/// Build the symbol index from the table GRUB loaded. Call once, after
/// `mm::init`.
pub fn init(boot: &BootInfo) {
    let Some(elf) = &boot.elf_symbols else {
        crate::klog!("SYMS", "no ELF symbol table from the boot loader: backtraces show addresses only");
        return;
    };
    let Some((symtab, strtab)) = raw_tables(elf) else {
        crate::klog!("SYMS", "ELF symbol table at {:#x} unusable: backtraces show addresses only", elf.symtab.start);
        return;
    };

    let mut symbols = Vec::new();
    let mut names = String::new();
    for raw in symtab.chunks_exact(SYM_SIZE) {
        let name_off = u32::from_le_bytes(raw[0..4].try_into().unwrap()) as usize;
        let kind = raw[4] & 0xF;
        let shndx = u16::from_le_bytes(raw[6..8].try_into().unwrap());
        let addr = u64::from_le_bytes(raw[8..16].try_into().unwrap());
        let size = u64::from_le_bytes(raw[16..24].try_into().unwrap());
        if !matches!(kind, STT_FUNC | STT_OBJECT | STT_NOTYPE) || shndx == SHN_UNDEF || shndx == SHN_ABS || addr == 0 {
            continue;
        }
        let Some(raw_name) = c_str_at(strtab, name_off) else { continue };
        if raw_name.is_empty() || raw_name.starts_with(".L") || raw_name.starts_with('$') {
            continue;
        }
        let start = names.len();
        match rustc_demangle::try_demangle(raw_name) {
            Ok(d) => write!(names, "{d:#}").unwrap_or(()),
            Err(_) => names.push_str(raw_name),
        }
        // Functions first among symbols at one address (they name code best).
        let rank = if kind == STT_FUNC { 0 } else if size > 0 { 1 } else { 2 };
        symbols.push((rank, Symbol { addr, size, name: (start as u32, names.len() as u32) }));
    }
    symbols.sort_unstable_by_key(|(rank, s)| (s.addr, *rank));
    symbols.dedup_by_key(|(_, s)| s.addr);
    let symbols: Vec<Symbol> = symbols.into_iter().map(|(_, s)| s).collect();
    names.shrink_to_fit();

    let count = symbols.len();
    let bytes = names.len();
    let table = alloc::boxed::Box::new(Table { symbols, names });
    if TABLE.compare_exchange(core::ptr::null_mut(), alloc::boxed::Box::into_raw(table), Ordering::AcqRel, Ordering::Acquire).is_err() {
        crate::klog!("SYMS", "symbols::init called twice; keeping the first table");
        return;
    }
    crate::klog!(
        "SYMS",
        "{} kernel symbols ({} bytes of names) from GRUB's copy of .symtab at {:#x}",
        count,
        bytes,
        elf.symtab.start
    );
}

/// The symbol table and string table as byte slices (through the direct
/// map), if they look sane.
fn raw_tables(elf: &ElfSymbols) -> Option<(&'static [u8], &'static [u8])> {
    let sym_len = (elf.symtab.end - elf.symtab.start) as usize;
    let str_len = (elf.strtab.end - elf.strtab.start) as usize;
    let plausible = elf.entsize as usize == SYM_SIZE
        && elf.symtab.start != 0
        && elf.strtab.start != 0
        && sym_len.is_multiple_of(SYM_SIZE)
        && sym_len <= 64 << 20
        && str_len <= 64 << 20
        && elf.symtab.end <= 1 << 40
        && elf.strtab.end <= 1 << 40;
    if !plausible {
        return None;
    }
    // SAFETY: GRUB loaded both sections at these physical addresses; the
    // ranges are reserved in the frame allocator (`mm::init`), so nothing
    // else ever writes them, and the direct map covers all RAM.
    unsafe {
        Some((
            core::slice::from_raw_parts(phys_to_virt(elf.symtab.start) as *const u8, sym_len),
            core::slice::from_raw_parts(phys_to_virt(elf.strtab.start) as *const u8, str_len),
        ))
    }
}

/// The NUL-terminated UTF-8 string at `offset` in `strtab`.
fn c_str_at(strtab: &[u8], offset: usize) -> Option<&str> {
    let rest = strtab.get(offset..)?;
    let len = rest.iter().position(|&b| b == 0)?;
    core::str::from_utf8(&rest[..len]).ok()
}

/// The symbol containing `addr`, and `addr`'s offset from its start.
pub fn lookup(addr: u64) -> Option<(&'static str, u64)> {
    // SAFETY: a non-null TABLE points at a leaked, never-modified Table.
    let table: &'static Table = unsafe { TABLE.load(Ordering::Acquire).as_ref()? };
    let idx = table.symbols.partition_point(|s| s.addr <= addr).checked_sub(1)?;
    let sym = &table.symbols[idx];
    let offset = addr - sym.addr;
    let reach = if sym.size > 0 { sym.size } else { UNSIZED_REACH };
    if offset >= reach {
        return None;
    }
    let (start, end) = sym.name;
    Some((&table.names[start as usize..end as usize], offset))
}

/// Formats an address with the symbol it falls in, like
/// `0xffffffff8010ccc6 <kernel_main+0x46>` (just the address if unknown).
pub struct Addr(pub u64);

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match lookup(self.0) {
            Some((name, off)) => write!(f, "{:#018x} <{name}+{off:#x}>", self.0),
            None => write!(f, "{:#018x}", self.0),
        }
    }
}
