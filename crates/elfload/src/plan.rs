//! Validation of an executable image and construction of its `LoadPlan`.
//!
//! The checks run in this order: configuration, file header, program
//! headers one by one (`PT_INTERP` refused, each `PT_LOAD` checked on its
//! own), then the segments together (bias, user range, overlaps, entry
//! point), and finally the dynamic section and every relocation. The first
//! failing check decides the error.

use crate::header::{
    file_range, parse_header, ProgramHeader, ET_DYN, PF_R, PF_W, PF_X, PHENT_SIZE, PT_DYNAMIC,
    PT_INTERP, PT_LOAD, PT_NOTE,
};
use crate::{align_down, align_up, reloc, ElfError, LoadConfig, LoadPlan, Segment};
use crate::{RelocTable, MAX_SEGMENTS, PAGE_SIZE};

/// Validates `image` and computes where and how to load it.
pub fn plan(image: &[u8], cfg: &LoadConfig) -> Result<LoadPlan, ElfError> {
    check_config(cfg)?;
    let header = parse_header(image)?;
    let mut plan = LoadPlan {
        entry: 0,
        segments: [Segment::default(); MAX_SEGMENTS],
        count: 0,
        load_bias: 0,
        rela: RelocTable::default(),
        relr: RelocTable::default(),
        brand: None,
        phdr_addr: 0,
        phnum: header.phnum,
    };
    let mut dynamic = None;
    for ph in header.program_headers(image) {
        match ph.p_type {
            PT_INTERP => return Err(ElfError::HasInterpreter),
            PT_DYNAMIC if dynamic.is_some() => return Err(ElfError::DynamicOutOfBounds),
            PT_DYNAMIC => dynamic = Some(ph),
            PT_LOAD if ph.memsz == 0 => {} // Occupies no memory: nothing to load.
            PT_LOAD => {
                let segment = check_load(image, &ph)?;
                let slot = plan.segments.get_mut(plan.count);
                *slot.ok_or(ElfError::TooManySegments)? = segment;
                plan.count += 1;
            }
            _ => {} // PT_NOTE, PT_GNU_STACK, PT_PHDR, ...: nothing to do.
        }
    }
    if plan.count == 0 {
        return Err(ElfError::NoLoadSegments);
    }

    // Position-independent images move so their lowest page is `dyn_base`.
    let is_pie = header.e_type == ET_DYN;
    let lowest_page = align_down(plan.segments().iter().map(|s| s.vaddr).min().unwrap_or(0));
    if is_pie {
        plan.load_bias = cfg.dyn_base.wrapping_sub(lowest_page);
    }
    for segment in &mut plan.segments[..plan.count] {
        if is_pie {
            let moved = cfg.dyn_base.checked_add(segment.vaddr - lowest_page);
            segment.vaddr = moved.ok_or(ElfError::AddressOverflow)?;
        }
        let end = segment.vaddr.checked_add(segment.mem_size);
        let page_end = end.and_then(align_up).ok_or(ElfError::AddressOverflow)?;
        if align_down(segment.vaddr) < cfg.user_start || page_end > cfg.user_end {
            return Err(ElfError::OutsideUserRange);
        }
    }
    check_overlaps(plan.segments())?;
    plan.phdr_addr = phdr_address(plan.segments(), header.phoff, u64::from(header.phnum));
    let note_bytes = header
        .program_headers(image)
        .filter(|ph| ph.p_type == PT_NOTE)
        .filter_map(|ph| Some((&image[file_range(image, ph.offset, ph.filesz)?], ph.align)));
    plan.brand = crate::note::brand(header.osabi, note_bytes);

    // Wrapping is harmless: link-time to load-time addresses is a bijection
    // modulo 2^64, so only a genuine in-segment entry lands in a segment.
    plan.entry = header.entry.wrapping_add(plan.load_bias);
    let entry_ok = plan
        .segments()
        .iter()
        .any(|s| s.executable && s.contains(plan.entry, 1));
    if !entry_ok {
        return Err(ElfError::EntryNotExecutable);
    }

    if let Some(ph) = dynamic {
        let range = file_range(image, ph.offset, ph.filesz).ok_or(ElfError::DynamicOutOfBounds)?;
        reloc::read_dynamic(&image[range], &mut plan)?;
        // Validates every relocation (types, targets) without keeping them.
        reloc::relocations(image, &plan)?;
    }
    Ok(plan)
}

/// Where the program-header table is in user memory: inside the segment
/// whose file bytes hold it (as Linux computes `AT_PHDR`), or 0 if no
/// segment loads it.
fn phdr_address(segments: &[Segment], phoff: u64, phnum: u64) -> u64 {
    let len = phnum * PHENT_SIZE as u64;
    segments
        .iter()
        .find(|s| s.file_offset <= phoff && phoff + len <= s.file_offset + s.file_size)
        .map_or(0, |s| s.vaddr + (phoff - s.file_offset))
}

/// The configuration must describe a non-empty, page-aligned user range.
fn check_config(cfg: &LoadConfig) -> Result<(), ElfError> {
    let aligned = |v: u64| v.is_multiple_of(PAGE_SIZE);
    if cfg.user_start >= cfg.user_end
        || !aligned(cfg.user_start)
        || !aligned(cfg.user_end)
        || !aligned(cfg.dyn_base)
    {
        return Err(ElfError::BadConfig);
    }
    Ok(())
}

/// Checks one `PT_LOAD` header on its own and converts it (unbiased).
fn check_load(image: &[u8], ph: &ProgramHeader) -> Result<Segment, ElfError> {
    if ph.filesz > ph.memsz {
        return Err(ElfError::FileSizeExceedsMemSize);
    }
    file_range(image, ph.offset, ph.filesz).ok_or(ElfError::SegmentOutOfFile)?;
    let end = ph
        .vaddr
        .checked_add(ph.memsz)
        .ok_or(ElfError::AddressOverflow)?;
    align_up(end).ok_or(ElfError::AddressOverflow)?;
    if ph.align > 1 && !ph.align.is_power_of_two() {
        return Err(ElfError::BadAlignment);
    }
    if ph.align >= PAGE_SIZE && ph.vaddr % PAGE_SIZE != ph.offset % PAGE_SIZE {
        return Err(ElfError::MisalignedSegment);
    }
    if ph.flags & PF_W != 0 && ph.flags & PF_X != 0 {
        return Err(ElfError::WritableAndExecutable);
    }
    Ok(Segment {
        vaddr: ph.vaddr,
        mem_size: ph.memsz,
        file_offset: ph.offset,
        file_size: ph.filesz,
        readable: ph.flags & PF_R != 0,
        writable: ph.flags & PF_W != 0,
        executable: ph.flags & PF_X != 0,
    })
}

/// No two segments may touch the same page: each page gets exactly one
/// set of permissions.
fn check_overlaps(segments: &[Segment]) -> Result<(), ElfError> {
    for (i, a) in segments.iter().enumerate() {
        for b in &segments[i + 1..] {
            let (ra, rb) = (a.page_range(), b.page_range());
            if ra.start < rb.end && rb.start < ra.end {
                return Err(ElfError::OverlappingSegments);
            }
        }
    }
    Ok(())
}
