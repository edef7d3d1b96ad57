//! ELF64 executable validation and load planning for MelloOS.
//!
//! [`plan`] checks an x86-64 executable image from top to bottom and turns
//! it into a [`LoadPlan`]: the entry point and, for each `PT_LOAD` segment,
//! where it goes in user memory, which bytes of the file fill it, and its
//! permissions. It maps nothing; the kernel does that. [`relocations`]
//! then lists the `R_X86_64_RELATIVE` fixups a static PIE needs.
//!
//! [`LoadPlan::brand`] says which personality the image asks for (a
//! MelloOS note, a Linux `EI_OSABI` or GNU ABI tag, or nothing; see
//! `note.rs`), and [`LoadPlan::phdr_addr`] where its program headers are in
//! memory (for the auxiliary vector).
//!
//! [`symbolize`] names the function an address lies in from the file's
//! `.symtab`, and [`line_of`] its source file and line from the DWARF line
//! tables (`.debug_line`, see `lines.rs`): the kernel's fault lines.
//!
//! [`script`] parses the other format `execve` accepts: `#!` interpreter
//! lines, as Linux's `binfmt_script` reads them.
//!
//! Supported: static executables (`ET_EXEC`) and static position-
//! independent executables (`ET_DYN` without an interpreter), relocated
//! by `DT_RELA` and/or `DT_RELR` tables of relative relocations only.
//!
//! Guarantees of an `Ok` plan (everything else is an [`ElfError`]):
//! * 1..=[`MAX_SEGMENTS`] segments, each with `file_size <= mem_size`, its
//!   file bytes inside the image, no address overflow, and its page range
//!   inside `[user_start, user_end)`;
//! * no two segments share a page, and none is both writable and executable;
//! * `vaddr % 4096 == file_offset % 4096` whenever `p_align >= 4096`;
//! * the entry point lies inside an executable segment;
//! * every relocation is relative and patches 8 bytes inside a segment.
//!
//! How the kernel loads a plan: for each segment, map `page_range()` fresh
//! zeroed pages, copy `file_size` bytes from `file_offset` to `vaddr`; then
//! write every `Reloc` (8 bytes, little endian, possibly unaligned) through
//! its own mapping; finally apply the segment permissions and jump to
//! `entry`. Relocation targets may lie in read-only segments (text
//! relocations), which is why they are applied before permissions.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod header;
mod line_header;
mod lines;
mod note;
mod plan;
mod reloc;
pub mod script;
mod sections;
mod symbols;

use core::ops::Range;
pub use header::PHENT_SIZE;
pub use lines::{line_of, source_line, SourceLine, MAX_LINE_OPS};
pub use note::{notes, Brand, Note, Notes};
pub use note::{ELFOSABI_LINUX, GNU_ABI_TAG_LINUX, MELLOS_ABI_VERSION, MELLOS_NOTE_NAME, NT_GNU_ABI_TAG, NT_MELLOS_ABI};
pub use plan::plan;
pub use reloc::{relocations, Reloc, Relocations};
pub use symbols::symbolize;

/// Page size the plan is computed for.
pub const PAGE_SIZE: u64 = 4096;
/// Most `PT_LOAD` segments a plan holds.
pub const MAX_SEGMENTS: usize = 16;

/// Why an image was refused. The kernel reports all of them as `ENOEXEC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// The `LoadConfig` is inconsistent (empty or unaligned user range,
    /// unaligned `dyn_base`).
    BadConfig,
    /// The image is shorter than an ELF header.
    Truncated,
    /// The image does not start with `\x7fELF`.
    BadMagic,
    /// Not `ELFCLASS64`.
    NotElf64,
    /// Not little endian.
    NotLittleEndian,
    /// `EI_VERSION` or `e_version` is not `EV_CURRENT`.
    BadVersion,
    /// `e_machine` is not `EM_X86_64`.
    WrongMachine,
    /// `e_type` is neither `ET_EXEC` nor `ET_DYN`.
    NotExecutable,
    /// `e_phentsize` is not 56.
    BadPhentsize,
    /// The program-header table does not lie inside the image.
    PhdrsOutOfBounds,
    /// There is no `PT_LOAD` segment with a non-zero size.
    NoLoadSegments,
    /// More than `MAX_SEGMENTS` `PT_LOAD` segments.
    TooManySegments,
    /// A segment's `p_filesz` exceeds its `p_memsz`.
    FileSizeExceedsMemSize,
    /// A segment's file bytes do not lie inside the image.
    SegmentOutOfFile,
    /// An address computation overflows 64 bits.
    AddressOverflow,
    /// `p_align` is neither 0 nor a power of two.
    BadAlignment,
    /// `p_vaddr` and `p_offset` differ modulo the page size.
    MisalignedSegment,
    /// A segment's pages are not inside `[user_start, user_end)`.
    OutsideUserRange,
    /// Two segments share a page.
    OverlappingSegments,
    /// A segment is both writable and executable.
    WritableAndExecutable,
    /// The entry point is not inside an executable segment.
    EntryNotExecutable,
    /// The image asks for a dynamic linker (`PT_INTERP`).
    HasInterpreter,
    /// The image needs shared libraries (`DT_NEEDED`).
    NeedsLibraries,
    /// `PT_DYNAMIC` does not lie inside the image, or there are several.
    DynamicOutOfBounds,
    /// The dynamic section is inconsistent (entry sizes, table sizes,
    /// a RELR bitmap without a preceding address).
    BadDynamic,
    /// A relocation table is not inside the file bytes of a segment.
    RelocTableOutOfBounds,
    /// A relocation of this type (not `R_X86_64_RELATIVE`), which needs a
    /// dynamic linker.
    UnsupportedRelocation(u32),
    /// A `DT_REL` or `DT_JMPREL` (PLT) relocation table: not used by static
    /// PIEs on x86-64.
    UnsupportedRelocTable,
    /// A relocation would patch memory outside every segment.
    RelocationOutOfRange,
}

/// Where user programs may live, and where to put position-independent ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadConfig {
    /// Lowest user address (page aligned).
    pub user_start: u64,
    /// First address above user space (page aligned).
    pub user_end: u64,
    /// Address at which the lowest page of an `ET_DYN` image is placed
    /// (page aligned).
    pub dyn_base: u64,
}

/// One `PT_LOAD` segment, with addresses already relocated by the bias.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// First byte in user memory.
    pub vaddr: u64,
    /// Bytes in memory; those past `file_size` are zero (bss).
    pub mem_size: u64,
    /// Offset in the image of the bytes that fill the start of the segment.
    pub file_offset: u64,
    /// Number of bytes copied from the image.
    pub file_size: u64,
    pub readable: bool,
    pub writable: bool,
    pub executable: bool,
}

impl Segment {
    /// The whole pages the segment touches. (`plan` checked that this
    /// does not overflow; a hand-made segment that does is clamped.)
    pub fn page_range(&self) -> Range<u64> {
        let end = self.vaddr.saturating_add(self.mem_size);
        align_down(self.vaddr)..align_up(end).unwrap_or(align_down(u64::MAX))
    }

    /// The image bytes that fill the start of the segment.
    pub fn file_range(&self) -> Range<usize> {
        let end = self.file_offset.saturating_add(self.file_size);
        self.file_offset as usize..end as usize
    }

    /// Whether `len` bytes at `addr` lie inside the segment's memory.
    pub fn contains(&self, addr: u64, len: u64) -> bool {
        let end = addr.checked_add(len);
        addr >= self.vaddr && end.is_some_and(|end| end <= self.vaddr.saturating_add(self.mem_size))
    }
}

/// A relocation table inside the image: `count` entries from `offset`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelocTable {
    pub offset: u64,
    pub count: u64,
}

/// Everything the kernel needs to load a validated image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadPlan {
    /// Entry point (already biased).
    pub entry: u64,
    /// The first `count` entries are the segments, in program-header order.
    pub segments: [Segment; MAX_SEGMENTS],
    pub count: usize,
    /// Added to every link-time address: 0 for `ET_EXEC`; for `ET_DYN`,
    /// `dyn_base` minus the lowest segment's page (wrapping).
    pub load_bias: u64,
    /// `DT_RELA` entries (24 bytes each), all `R_X86_64_RELATIVE`.
    pub rela: RelocTable,
    /// `DT_RELR` words (8 bytes each).
    pub relr: RelocTable,
    /// The personality the image asks for (see [`Brand`]), `None` if it
    /// carries no brand.
    pub brand: Option<Brand>,
    /// User address of the program-header table (biased; `AT_PHDR`), or 0
    /// if no segment loads it.
    pub phdr_addr: u64,
    /// Number of program headers (`AT_PHNUM`); each is [`PHENT_SIZE`] bytes.
    pub phnum: u16,
}

impl LoadPlan {
    /// The segments in use.
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.count]
    }

    /// First page above every segment: where the program break starts.
    pub fn image_end(&self) -> u64 {
        self.segments().iter().map(|s| s.page_range().end).max().unwrap_or(0)
    }

    /// The segment containing `len` bytes at `addr`, if any.
    pub fn segment_containing(&self, addr: u64, len: u64) -> Option<&Segment> {
        self.segments().iter().find(|s| s.contains(addr, len))
    }
}

/// `value` rounded down to a page boundary.
pub(crate) fn align_down(value: u64) -> u64 {
    value & !(PAGE_SIZE - 1)
}

/// `value` rounded up to a page boundary, or `None` on overflow.
pub(crate) fn align_up(value: u64) -> Option<u64> {
    Some(value.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}
