//! Building a new program image: ELF segments, the user stack and the
//! System V initial stack layout, for either personality.
//!
//! [`load`] validates the ELF with the `elfload` planner (magic, class,
//! machine, bounds, overlaps, W^X, user range; any problem is `ENOEXEC`),
//! chooses the personality from the ELF's brand (`user::personality`),
//! then maps each `PT_LOAD` segment into a fresh address space with its
//! exact permissions (R, RW+NX or RX; never W and X together), copies the
//! file bytes, leaves the BSS zeroed (pages of pure BSS are filled on first
//! touch), applies static-PIE relocations, sets the program break just
//! above the image, and declares a stack region below `USER_STACK_TOP`
//! (`USER_STACK_SIZE` bytes for native programs, Linux's default 8 MiB
//! `RLIMIT_STACK` for Linux ones), filled on demand (only the pages holding
//! the arguments are mapped up front); the page under it is never mapped, a
//! guard.
//!
//! The initial stack holds, from the stack pointer up (16-byte aligned):
//! `argc`, `argv[0..argc]`, NULL, `envp[..]`, NULL, the auxiliary vector,
//! then the strings. Native programs get no environment and an auxiliary
//! vector of `AT_NULL` only (the README's exec contract). Linux programs get
//! the environment exec passed (none: empty) and the vector Linux builds:
//! `AT_HWCAP AT_PAGESZ AT_CLKTCK AT_PHDR AT_PHENT AT_PHNUM AT_BASE AT_FLAGS
//! AT_ENTRY AT_UID AT_EUID AT_GID AT_EGID AT_SECURE AT_RANDOM AT_HWCAP2
//! AT_EXECFN AT_PLATFORM AT_NULL`, with 16 random bytes for `AT_RANDOM`,
//! the path exec was given for `AT_EXECFN` and `"x86_64"` for `AT_PLATFORM`
//! stored above the pointers (no vDSO: no `AT_SYSINFO_EHDR`).
//!
//! Nothing here touches the running process: the caller swaps the new
//! space in only when everything succeeded, so a failed exec leaves the
//! old program intact.

use super::personality::Personality;
use crate::config::USER_STACK_SIZE;
use crate::error::{elf_error, no_memory, Errno};
use crate::mm::addr::VirtAddr;
use crate::mm::address_space::Prot;
use crate::mm::layout::PAGE_SIZE;
use crate::mm::paging::PteFlags;
use crate::mm::{AddressSpace, USER_RW};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use elfload::{LoadConfig, LoadPlan};
use mello_abi::limits::{USER_END, USER_START};
use mello_abi::linux::auxv;

/// One past the highest stack address (without randomisation).
pub const USER_STACK_TOP: u64 = 0x0000_7FFF_FFFF_0000;
/// Where static-PIE (`ET_DYN`) programs are placed (without randomisation).
const DYN_BASE: u64 = 0x40_0000;
/// A Linux program's stack region (Linux's default `RLIMIT_STACK`).
pub const LINUX_STACK_SIZE: u64 = 8 << 20;
/// Most the stack top moves down.
pub const STACK_RANDOM: u64 = 16 << 30;
/// Most the mmap area's top moves down.
pub const MMAP_RANDOM: u64 = 1 << 40;
/// Most the break's start moves up.
pub const BRK_RANDOM: u64 = 32 << 20;
/// Most a static PIE's load base moves up (2 MiB steps, any `p_align`).
pub const PIE_RANDOM: u64 = 4 << 30;
const PIE_STEP: u64 = 2 << 20;
/// Lowest address of any stack region: images must end below it.
pub const STACK_FLOOR: u64 = USER_STACK_TOP - STACK_RANDOM - LINUX_STACK_SIZE - PAGE_SIZE;
/// Top of the mmap area without randomisation: 128 MiB below the lowest
/// stack (Linux's minimum gap between `mmap_base` and the stack).
pub const MMAP_TOP: u64 = STACK_FLOOR - (128 << 20);

/// Whether new images get a random layout (`norandmaps` clears it).
static RANDOMIZE: AtomicBool = AtomicBool::new(true);

/// Turn user ASLR on or off (the command line's `norandmaps`).
pub fn set_randomize(on: bool) {
    RANDOMIZE.store(on, Ordering::Relaxed);
}

/// A random multiple of `step` below `limit`, or 0 without randomisation.
fn random_offset(limit: u64, step: u64) -> u64 {
    if !RANDOMIZE.load(Ordering::Relaxed) {
        return 0;
    }
    let mut b = [0u8; 8];
    crate::fs::random::fill(&mut b);
    u64::from_le_bytes(b) % (limit / step) * step
}

/// A ready image: its address space, entry point, initial stack pointer
/// and the personality it runs with.
pub struct Image {
    pub space: AddressSpace,
    pub entry: u64,
    pub stack_pointer: u64,
    pub personality: Personality,
}

/// What the new program is started with.
pub struct Exec<'a> {
    /// The path exec was given (`AT_EXECFN`).
    pub path: &'a str,
    pub argv: &'a [Vec<u8>],
    /// The environment (Linux programs only; native ones get none).
    pub envp: &'a [Vec<u8>],
    /// The personality of the process calling exec (or, for PID 1, `abi=`):
    /// what an unbranded program gets.
    pub caller: Personality,
}

/// Build an image of ELF file `elf` (see the module doc).
pub fn load(elf: &[u8], exec: &Exec) -> Result<Image, Errno> {
    let cfg = LoadConfig {
        user_start: USER_START as u64,
        user_end: STACK_FLOOR,
        dyn_base: DYN_BASE + random_offset(PIE_RANDOM, PIE_STEP),
    };
    let plan = elfload::plan(elf, &cfg).map_err(elf_error)?;
    let personality = Personality::choose(plan.brand, exec.caller);
    let mut space = AddressSpace::new()?;
    map_segments(&mut space, elf, &plan)?;
    space.set_brk_base(VirtAddr::new(plan.image_end() + random_offset(BRK_RANDOM, PAGE_SIZE)));
    space.set_mmap_top(VirtAddr::new(MMAP_TOP - random_offset(MMAP_RANDOM, PAGE_SIZE)));
    let top = USER_STACK_TOP - random_offset(STACK_RANDOM, PAGE_SIZE);
    let stack_pointer = match personality {
        Personality::Native => build_stack(&mut space, top, USER_STACK_SIZE as u64, exec.argv, &[], None)?,
        Personality::Linux => {
            let aux = LinuxAux { plan: &plan, execfn: exec.path.as_bytes() };
            build_stack(&mut space, top, LINUX_STACK_SIZE, exec.argv, exec.envp, Some(aux))?
        }
    };
    Ok(Image { space, entry: plan.entry, stack_pointer, personality })
}

fn map_segments(space: &mut AddressSpace, elf: &[u8], plan: &LoadPlan) -> Result<(), Errno> {
    // Map the file-backed pages writable for the kernel's copy (final flags
    // below). The pure-BSS pages of a writable data segment are left to
    // demand paging: zero-filled on first touch, so a large BSS costs
    // nothing until used, in exec and in every fork after it.
    for seg in plan.segments() {
        let pages = seg.page_range();
        let prot = Prot::of_segment(seg.readable, seg.writable, seg.executable);
        let file_end = (seg.vaddr + seg.file_size).next_multiple_of(PAGE_SIZE).max(pages.start);
        let lazy_from = if seg.writable && !seg.executable { file_end.min(pages.end) } else { pages.end };
        if pages.start < lazy_from {
            space.add_region(VirtAddr::new(pages.start)..VirtAddr::new(lazy_from), prot, false).map_err(Errno::from)?;
        }
        if lazy_from < pages.end {
            space.add_region(VirtAddr::new(lazy_from)..VirtAddr::new(pages.end), prot, true).map_err(Errno::from)?;
        }
        // Each page gets the file bytes that fall in it, zeros elsewhere.
        let (file, file_start) = (&elf[seg.file_range()], seg.vaddr);
        let file_stop = file_start + file.len() as u64;
        let mut cursor = space.cursor();
        for page in (pages.start..lazy_from).step_by(PAGE_SIZE as usize) {
            let (lo, hi) = (page.max(file_start), (page + PAGE_SIZE).min(file_stop));
            let bytes = if lo < hi { &file[(lo - file_start) as usize..(hi - file_start) as usize] } else { &[][..] };
            cursor.map_filled(VirtAddr::new(page), USER_RW, (lo.min(page + PAGE_SIZE) - page) as usize, bytes)?;
        }
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

/// What a Linux program's auxiliary vector is made of.
struct LinuxAux<'a> {
    plan: &'a LoadPlan,
    execfn: &'a [u8],
}

/// The bytes above the pointer block: strings (and random bytes), each at
/// a known offset from the area's start.
struct Strings {
    bytes: Vec<u8>,
}

impl Strings {
    /// Append `s` (plus a NUL, unless `raw`); returns its offset.
    fn push(&mut self, s: &[u8], raw: bool) -> Result<u64, Errno> {
        let at = self.bytes.len() as u64;
        fallible::in_scope(|| self.bytes.try_reserve(s.len() + 1)).map_err(no_memory)?;
        self.bytes.extend_from_slice(s);
        if !raw {
            self.bytes.push(0);
        }
        Ok(at)
    }
}

/// Declare the stack region (`size` bytes below `top`, filled on demand),
/// lay out argc/argv/envp/auxv at its top; returns the initial RSP.
fn build_stack(
    space: &mut AddressSpace,
    top: u64,
    size: u64,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    linux: Option<LinuxAux>,
) -> Result<u64, Errno> {
    let bottom = top - size;
    space.add_region(VirtAddr::new(bottom)..VirtAddr::new(top), Prot::RW, true).map_err(Errno::from)?;
    space.set_stack(VirtAddr::new(bottom)..VirtAddr::new(top));
    // The strings area (offsets first; its address is known once its size is).
    let mut strings = Strings { bytes: Vec::new() };
    let mut offsets: Vec<u64> = Vec::new();
    fallible::in_scope(|| offsets.try_reserve(argv.len() + envp.len())).map_err(no_memory)?;
    for s in argv.iter().chain(envp) {
        offsets.push(strings.push(s, false)?);
    }
    let mut random = [0u8; auxv::RANDOM_BYTES];
    let mut extra = None;
    if let Some(aux) = &linux {
        crate::fs::random::fill(&mut random);
        let execfn = strings.push(aux.execfn, false)?;
        let platform = strings.push(auxv::PLATFORM.as_bytes(), false)?;
        strings.bytes.resize(strings.bytes.len().next_multiple_of(16), 0);
        let rand = strings.push(&random, true)?;
        extra = Some((execfn, platform, rand));
    }
    // Linux keeps the top word zero (an end marker); so do we, for both.
    let strings_at = (top - 8 - strings.bytes.len() as u64) & !15;
    let at = |off: u64| strings_at + off;

    let mut words: Vec<u64> = Vec::new();
    fallible::in_scope(|| words.try_reserve(argv.len() + envp.len() + 3 + 2 * 20)).map_err(no_memory)?;
    words.push(argv.len() as u64);
    words.extend(offsets[..argv.len()].iter().map(|&o| at(o)));
    words.push(0);
    words.extend(offsets[argv.len()..].iter().map(|&o| at(o)));
    words.push(0);
    if let (Some(aux), Some((execfn, platform, rand))) = (&linux, extra) {
        let plan = aux.plan;
        let hwcap = u64::from(crate::arch::cpu::cpuid(1, 0).3);
        let pairs = [
            (auxv::AT_HWCAP, hwcap),
            (auxv::AT_PAGESZ, PAGE_SIZE),
            (auxv::AT_CLKTCK, auxv::CLOCKS_PER_SEC),
            (auxv::AT_PHDR, plan.phdr_addr),
            (auxv::AT_PHENT, elfload::PHENT_SIZE as u64),
            (auxv::AT_PHNUM, u64::from(plan.phnum)),
            (auxv::AT_BASE, 0),
            (auxv::AT_FLAGS, 0),
            (auxv::AT_ENTRY, plan.entry),
            (auxv::AT_UID, 0),
            (auxv::AT_EUID, 0),
            (auxv::AT_GID, 0),
            (auxv::AT_EGID, 0),
            (auxv::AT_SECURE, 0),
            (auxv::AT_RANDOM, at(rand)),
            (auxv::AT_HWCAP2, 0),
            (auxv::AT_EXECFN, at(execfn)),
            (auxv::AT_PLATFORM, at(platform)),
        ];
        for (k, v) in pairs {
            words.push(k);
            words.push(v);
        }
    }
    words.extend([auxv::AT_NULL, 0]);

    let sp = (strings_at - words.len() as u64 * 8) & !15;
    if sp < bottom + PAGE_SIZE {
        return Err(Errno::E2BIG);
    }
    let mut cursor = space.cursor();
    for page in (sp & !(PAGE_SIZE - 1)..top).step_by(PAGE_SIZE as usize) {
        cursor.map_new(VirtAddr::new(page), USER_RW)?;
    }
    let mut block: Vec<u8> = Vec::new();
    fallible::in_scope(|| block.try_reserve(words.len() * 8)).map_err(no_memory)?;
    for w in &words {
        block.extend_from_slice(&w.to_le_bytes());
    }
    space.write_bytes(VirtAddr::new(sp), &block)?;
    space.write_bytes(VirtAddr::new(strings_at), &strings.bytes)?;
    debug_assert!(top <= USER_END as u64);
    Ok(sp)
}
