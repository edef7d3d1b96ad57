//! Building a new program image: ELF segments, the user stack and the
//! System V initial stack layout.
//!
//! [`load`] validates the ELF with the `elfload` planner (magic, class,
//! machine, bounds, overlaps, W^X, user range; any problem is `ENOEXEC`),
//! then maps each `PT_LOAD` segment into a fresh address space with its
//! exact permissions (R, RW+NX or RX; never W and X together), copies the
//! file bytes, leaves the BSS zeroed (pages of pure BSS are filled on first
//! touch), applies static-PIE relocations, and
//! declares a stack region of `USER_STACK_SIZE` bytes below
//! `USER_STACK_TOP`, filled on demand (only the pages holding the arguments
//! are mapped up front); the page under it is never mapped, a guard. The initial stack holds, from the stack
//! pointer up: `argc`, `argv[0..argc]`, NULL, envp NULL, auxv `AT_NULL`,
//! then the argument strings.
//!
//! Nothing here touches the running process: the caller swaps the new
//! space in only when everything succeeded, so a failed exec leaves the
//! old program intact.

use crate::mm::addr::VirtAddr;
use crate::mm::{AddressSpace, USER_RW};
use crate::config::USER_STACK_SIZE;
use crate::error::{elf_error, no_memory, Errno};
use crate::mm::layout::PAGE_SIZE;
use crate::mm::paging::PteFlags;
use alloc::vec::Vec;
use elfload::{LoadConfig, LoadPlan};
use mello_abi::limits::{USER_END, USER_START};

/// One past the highest stack address.
pub const USER_STACK_TOP: u64 = 0x0000_7FFF_FFFF_0000;
/// Where static-PIE (`ET_DYN`) programs are placed.
const DYN_BASE: u64 = 0x40_0000;

/// A ready image: its address space, entry point and initial stack pointer.
pub struct Image {
    pub space: AddressSpace,
    pub entry: u64,
    pub stack_pointer: u64,
}

/// Build an image of ELF file `elf` with arguments `argv`.
pub fn load(elf: &[u8], argv: &[Vec<u8>]) -> Result<Image, Errno> {
    let cfg = LoadConfig {
        user_start: USER_START as u64,
        user_end: USER_STACK_TOP - USER_STACK_SIZE as u64 - PAGE_SIZE,
        dyn_base: DYN_BASE,
    };
    let plan = elfload::plan(elf, &cfg).map_err(elf_error)?;
    let mut space = AddressSpace::new()?;
    map_segments(&mut space, elf, &plan)?;
    let stack_pointer = build_stack(&mut space, argv)?;
    Ok(Image { space, entry: plan.entry, stack_pointer })
}

fn map_segments(space: &mut AddressSpace, elf: &[u8], plan: &LoadPlan) -> Result<(), Errno> {
    // Map the file-backed pages writable for the kernel's copy (final flags
    // below). The pure-BSS pages of a writable data segment are left to
    // demand paging: zero-filled on first touch, so a large BSS costs
    // nothing until used, in exec and in every fork after it.
    for seg in plan.segments() {
        let pages = seg.page_range();
        let file_end = (seg.vaddr + seg.file_size).next_multiple_of(PAGE_SIZE).max(pages.start);
        let lazy_from = if seg.writable && !seg.executable { file_end.min(pages.end) } else { pages.end };
        if pages.start < lazy_from {
            space.add_region(VirtAddr::new(pages.start)..VirtAddr::new(lazy_from), false)?;
        }
        if lazy_from < pages.end {
            space.add_region(VirtAddr::new(lazy_from)..VirtAddr::new(pages.end), true)?;
        }
        let mut cursor = space.cursor();
        for page in (pages.start..lazy_from).step_by(PAGE_SIZE as usize) {
            cursor.map_new(VirtAddr::new(page), USER_RW)?;
        }
        space.write_bytes(VirtAddr::new(seg.vaddr), &elf[seg.file_range()])?;
    }
    for reloc in elfload::relocations(elf, plan).map_err(elf_error)? {
        space.write_bytes(VirtAddr::new(reloc.addr), &reloc.value.to_le_bytes())?;
    }
    for seg in plan.segments() {
        let mut flags = PteFlags::empty();
        if seg.writable {
            flags |= PteFlags::WRITABLE;
        }
        if !seg.executable {
            flags |= PteFlags::NO_EXECUTE;
        }
        let mut cursor = space.cursor();
        for page in seg.page_range().step_by(PAGE_SIZE as usize) {
            cursor.protect(VirtAddr::new(page), flags);
        }
    }
    Ok(())
}

/// Declare the stack region (filled on demand), lay out
/// argc/argv/envp/auxv at its top; returns the initial RSP.
fn build_stack(space: &mut AddressSpace, argv: &[Vec<u8>]) -> Result<u64, Errno> {
    let bottom = USER_STACK_TOP - USER_STACK_SIZE as u64;
    space.add_region(VirtAddr::new(bottom)..VirtAddr::new(USER_STACK_TOP), true)?;
    // Strings at the very top, then the pointer block below, 16-aligned.
    let strings_len: u64 = argv.iter().map(|a| a.len() as u64 + 1).sum();
    let strings_at = (USER_STACK_TOP - strings_len) & !15;
    let words = 1 + argv.len() + 1 + 1 + 2; // argc, argv, NULL, envp NULL, AT_NULL pair
    let sp = (strings_at - (words as u64) * 8) & !15;
    if sp < bottom + PAGE_SIZE {
        return Err(Errno::E2BIG);
    }
    let mut cursor = space.cursor();
    for page in (sp & !(PAGE_SIZE - 1)..USER_STACK_TOP).step_by(PAGE_SIZE as usize) {
        cursor.map_new(VirtAddr::new(page), USER_RW)?;
    }
    let mut block: Vec<u8> = Vec::new();
    block.try_reserve(words * 8).map_err(no_memory)?;
    block.extend_from_slice(&(argv.len() as u64).to_le_bytes());
    let mut at = strings_at;
    for arg in argv {
        block.extend_from_slice(&at.to_le_bytes());
        at += arg.len() as u64 + 1;
    }
    for _ in 0..4 {
        block.extend_from_slice(&0u64.to_le_bytes()); // argv NULL, envp NULL, AT_NULL, 0
    }
    space.write_bytes(VirtAddr::new(sp), &block)?;
    let mut at = strings_at;
    for arg in argv {
        space.write_bytes(VirtAddr::new(at), arg)?;
        space.write_bytes(VirtAddr::new(at + arg.len() as u64), &[0])?;
        at += arg.len() as u64 + 1;
    }
    debug_assert!(USER_STACK_TOP <= USER_END as u64);
    Ok(sp)
}
