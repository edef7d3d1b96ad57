//! Every way `plan` refuses an image: one test per `ElfError` variant (or
//! group of closely related ones), each starting from a valid image and
//! breaking exactly one thing.

mod common;

use common::*;
use elfload::{plan, ElfError, LoadConfig};

/// `plan(image, CFG)`'s error.
fn error(image: &[u8]) -> ElfError {
    plan(image, &CFG).expect_err("image should be rejected")
}

/// The simple executable with `edit` applied to its bytes.
fn broken(edit: impl FnOnce(&mut Vec<u8>)) -> ElfError {
    let mut image = simple_exec().build();
    assert!(plan(&image, &CFG).is_ok(), "the base image must be valid");
    edit(&mut image);
    error(&image)
}

#[test]
fn bad_config() {
    let image = simple_exec().build();
    let bad = [
        LoadConfig {
            user_start: 0x8000,
            user_end: 0x8000,
            ..CFG
        },
        LoadConfig {
            user_start: 0x1_0001,
            ..CFG
        },
        LoadConfig {
            user_end: 0x8000_0000_0001,
            ..CFG
        },
        LoadConfig {
            dyn_base: 0x5555_0000_0800,
            ..CFG
        },
    ];
    for cfg in bad {
        assert_eq!(plan(&image, &cfg), Err(ElfError::BadConfig), "{cfg:?}");
    }
}

#[test]
fn identification_and_header_fields() {
    assert_eq!(error(&[]), ElfError::Truncated);
    assert_eq!(broken(|i| i.truncate(63)), ElfError::Truncated);
    assert_eq!(broken(|i| i[1] = b'e'), ElfError::BadMagic);
    assert_eq!(broken(|i| i[4] = 1), ElfError::NotElf64);
    assert_eq!(broken(|i| i[5] = 2), ElfError::NotLittleEndian);
    assert_eq!(broken(|i| i[6] = 0), ElfError::BadVersion);
    assert_eq!(broken(|i| put32(i, 20, 2)), ElfError::BadVersion);
    assert_eq!(broken(|i| put16(i, 18, 3)), ElfError::WrongMachine);
    assert_eq!(broken(|i| put16(i, 16, 1)), ElfError::NotExecutable);
    assert_eq!(broken(|i| put16(i, 16, 4)), ElfError::NotExecutable);
    assert_eq!(broken(|i| put16(i, 54, 32)), ElfError::BadPhentsize);
}

#[test]
fn program_header_table_out_of_bounds() {
    assert_eq!(
        broken(|i| put64(i, 32, 0x10_0000)),
        ElfError::PhdrsOutOfBounds
    );
    assert_eq!(
        broken(|i| put64(i, 32, u64::MAX - 8)),
        ElfError::PhdrsOutOfBounds
    );
    assert_eq!(broken(|i| put16(i, 56, 0xffff)), ElfError::PhdrsOutOfBounds);
    assert_eq!(
        broken(|i| i.truncate(64 + 56 + 20)),
        ElfError::PhdrsOutOfBounds
    );
}

#[test]
fn no_or_too_many_load_segments() {
    assert_eq!(
        error(&Elf::new(ET_EXEC, 0x40_0000).build()),
        ElfError::NoLoadSegments
    );
    let mut only_note = Elf::new(ET_EXEC, 0x40_0000);
    only_note.phdr(Phdr {
        p_type: PT_NOTE,
        flags: PF_R,
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
        align: 4,
    });
    assert_eq!(error(&only_note.build()), ElfError::NoLoadSegments);
    let mut empty_load = Elf::new(ET_EXEC, 0x40_0000);
    empty_load.load(0x40_0000, PF_R | PF_X, &[], 0);
    assert_eq!(error(&empty_load.build()), ElfError::NoLoadSegments);
    let mut many = Elf::new(ET_EXEC, 0x40_0000);
    for i in 0..17 {
        many.load(0x40_0000 + i * 0x1000, PF_R | PF_X, &[0x90], 1);
    }
    assert_eq!(error(&many.build()), ElfError::TooManySegments);
}

#[test]
fn segment_sizes_and_file_ranges() {
    let data = phdr_at(1);
    assert_eq!(
        broken(|i| put64(i, data + P_FILESZ, 0x2001)),
        ElfError::FileSizeExceedsMemSize
    );
    assert_eq!(
        broken(|i| put64(i, data + P_OFFSET, 0x10_0000)),
        ElfError::SegmentOutOfFile
    );
    assert_eq!(
        broken(|i| put64(i, data + P_OFFSET, u64::MAX - 1)),
        ElfError::SegmentOutOfFile
    );
    assert_eq!(broken(|i| i.truncate(0x2002)), ElfError::SegmentOutOfFile);
}

#[test]
fn address_overflow() {
    let data = phdr_at(1);
    assert_eq!(
        broken(|i| put64(i, data + P_VADDR, u64::MAX - 0xfff)),
        ElfError::AddressOverflow
    );
    assert_eq!(
        broken(|i| put64(i, data + P_MEMSZ, u64::MAX)),
        ElfError::AddressOverflow
    );
    // A PIE whose span does not fit above `dyn_base`.
    let mut pie = Elf::new(ET_DYN, 0);
    pie.load(0, PF_R | PF_X, &[0x90], 1)
        .load(0x1000, PF_R | PF_W, &[0], 1);
    let top = LoadConfig {
        dyn_base: 0xffff_ffff_ffff_f000,
        user_end: 0xffff_ffff_ffff_f000,
        ..CFG
    };
    assert_eq!(plan(&pie.build(), &top), Err(ElfError::AddressOverflow));
}

#[test]
fn alignment() {
    let code = phdr_at(0);
    assert_eq!(
        broken(|i| put64(i, code + P_ALIGN, 3)),
        ElfError::BadAlignment
    );
    assert_eq!(
        broken(|i| put64(i, code + P_ALIGN, 0x1800)),
        ElfError::BadAlignment
    );
    // vaddr and offset must agree modulo the page size.
    assert_eq!(
        broken(|i| put64(i, code + P_VADDR, 0x40_0008)),
        ElfError::MisalignedSegment
    );
    assert_eq!(
        broken(|i| put64(i, code + P_OFFSET, 0x1010)),
        ElfError::MisalignedSegment
    );
}

#[test]
fn outside_user_range() {
    let narrow = LoadConfig {
        user_start: 0x40_1000,
        ..CFG
    };
    assert_eq!(
        plan(&simple_exec().build(), &narrow),
        Err(ElfError::OutsideUserRange)
    );
    // The data segment's last page ends at 0x40_3000.
    let narrow = LoadConfig {
        user_end: 0x40_2000,
        ..CFG
    };
    assert_eq!(
        plan(&simple_exec().build(), &narrow),
        Err(ElfError::OutsideUserRange)
    );
    // A PIE placed below user space.
    let mut pie = Elf::new(ET_DYN, 0);
    pie.load(0, PF_R | PF_X, &[0x90], 1);
    let low = LoadConfig { dyn_base: 0, ..CFG };
    assert_eq!(plan(&pie.build(), &low), Err(ElfError::OutsideUserRange));
    // Kernel-half addresses.
    let data = phdr_at(1);
    assert_eq!(
        broken(|i| put64(i, data + P_VADDR, 0xffff_8000_0000_0000)),
        ElfError::OutsideUserRange
    );
}

#[test]
fn overlapping_segments() {
    let mut same_page = Elf::new(ET_EXEC, 0x40_0000);
    same_page.load(0x40_0000, PF_R | PF_X, &[0x90; 16], 16);
    same_page.load(0x40_0800, PF_R | PF_W, &[0; 16], 16);
    assert_eq!(error(&same_page.build()), ElfError::OverlappingSegments);
    // bss running into the next segment's page.
    let mut bss = Elf::new(ET_EXEC, 0x40_3000);
    bss.load(0x40_0000, PF_R | PF_W, &[0; 16], 0x3001);
    bss.load(0x40_3000, PF_R | PF_X, &[0x90], 1);
    assert_eq!(error(&bss.build()), ElfError::OverlappingSegments);
}

#[test]
fn writable_and_executable() {
    assert_eq!(
        broken(|i| put32(i, phdr_at(1) + P_FLAGS, PF_R | PF_W | PF_X)),
        ElfError::WritableAndExecutable
    );
}

#[test]
fn entry_point_must_be_executable() {
    assert_eq!(
        broken(|i| put64(i, 24, 0x40_1000)),
        ElfError::EntryNotExecutable
    );
    assert_eq!(
        broken(|i| put64(i, 24, 0x40_0040)),
        ElfError::EntryNotExecutable
    );
    assert_eq!(broken(|i| put64(i, 24, 0)), ElfError::EntryNotExecutable);
    let mut pie = Elf::new(ET_DYN, 0x800);
    pie.load(0x1000, PF_R | PF_X, &[0x90], 1);
    assert_eq!(
        error(&pie.build()),
        ElfError::EntryNotExecutable,
        "entry below the lowest segment"
    );
}

#[test]
fn interpreter_and_shared_libraries() {
    let mut interp = simple_exec();
    let path = b"/lib64/ld-linux-x86-64.so.2\0";
    let offset = interp.place(0, path);
    let len = path.len() as u64;
    interp.phdr(Phdr {
        p_type: PT_INTERP,
        flags: PF_R,
        offset,
        vaddr: 0,
        filesz: len,
        memsz: len,
        align: 1,
    });
    assert_eq!(error(&interp.build()), ElfError::HasInterpreter);
    let mut needed = simple_exec();
    needed.dynamic(&[(DT_NEEDED, 1)]);
    assert_eq!(error(&needed.build()), ElfError::NeedsLibraries);
}

#[test]
fn dynamic_section_problems() {
    let mut two = simple_exec();
    two.dynamic(&[]).dynamic(&[]);
    assert_eq!(error(&two.build()), ElfError::DynamicOutOfBounds);
    let mut outside = simple_exec();
    outside.dynamic(&[]);
    let dyn_index = outside.phdrs.len() - 1;
    let mut image = outside.build();
    assert!(plan(&image, &CFG).is_ok());
    put64(&mut image, phdr_at(dyn_index) + P_OFFSET, 0x100_0000);
    assert_eq!(error(&image), ElfError::DynamicOutOfBounds);
}

/// A PIE whose data segment (at 0x2000, 0x100 bytes of file data and
/// 0x1000 in memory) starts with `table`, plus the given dynamic entries.
fn pie_with(table: &[u8], dynamic: &[(u64, u64)]) -> Vec<u8> {
    let mut data = table.to_vec();
    data.resize(0x100, 0);
    let mut elf = Elf::new(ET_DYN, 0x1000);
    elf.load(0x1000, PF_R | PF_X, &[0x90; 16], 16);
    elf.load(0x2000, PF_R | PF_W, &data, 0x1000);
    elf.dynamic(dynamic);
    elf.build()
}

#[test]
fn bad_relocation_tables() {
    let table = rela(0x2080, R_X86_64_RELATIVE, 0x1000);
    let ok = pie_with(
        &table,
        &[(DT_RELA, 0x2000), (DT_RELASZ, 24), (DT_RELAENT, 24)],
    );
    assert!(plan(&ok, &CFG).is_ok());
    let cases = [
        (
            vec![(DT_RELA, 0x2000), (DT_RELASZ, 24), (DT_RELAENT, 16)],
            ElfError::BadDynamic,
        ),
        (
            vec![(DT_RELA, 0x2000), (DT_RELASZ, 20)],
            ElfError::BadDynamic,
        ),
        (
            vec![(DT_RELR, 0x2000), (DT_RELRSZ, 8), (DT_RELRENT, 4)],
            ElfError::BadDynamic,
        ),
        (
            vec![(DT_RELA, 0x9000), (DT_RELASZ, 24)],
            ElfError::RelocTableOutOfBounds,
        ),
        // Inside the segment's memory but past its file bytes (bss).
        (
            vec![(DT_RELA, 0x2100), (DT_RELASZ, 24)],
            ElfError::RelocTableOutOfBounds,
        ),
        (
            vec![(DT_RELA, 0x2000), (DT_RELASZ, u64::MAX - 15)],
            ElfError::RelocTableOutOfBounds,
        ),
        (vec![(18, 24)], ElfError::UnsupportedRelocTable), // DT_RELSZ
        (vec![(2, 24)], ElfError::UnsupportedRelocTable),  // DT_PLTRELSZ
    ];
    for (dynamic, want) in cases {
        assert_eq!(error(&pie_with(&table, &dynamic)), want, "{dynamic:x?}");
    }
}

#[test]
fn bad_relocations() {
    let dynamic = [(DT_RELA, 0x2000), (DT_RELASZ, 24), (DT_RELAENT, 24)];
    let r_x86_64_64 = rela(0x2080, 1, 0);
    assert_eq!(
        error(&pie_with(&r_x86_64_64, &dynamic)),
        ElfError::UnsupportedRelocation(1)
    );
    let outside = rela(0x5000, R_X86_64_RELATIVE, 0);
    assert_eq!(
        error(&pie_with(&outside, &dynamic)),
        ElfError::RelocationOutOfRange
    );
    let straddling = rela(0x2ffc, R_X86_64_RELATIVE, 0);
    assert_eq!(
        error(&pie_with(&straddling, &dynamic)),
        ElfError::RelocationOutOfRange
    );
    let relr = [(DT_RELR, 0x2000), (DT_RELRSZ, 8), (DT_RELRENT, 8)];
    let bitmap_first = 0b11u64.to_le_bytes();
    assert_eq!(error(&pie_with(&bitmap_first, &relr)), ElfError::BadDynamic);
    let relr_outside = 0x8000u64.to_le_bytes();
    assert_eq!(
        error(&pie_with(&relr_outside, &relr)),
        ElfError::RelocationOutOfRange
    );
    // A bitmap reaching past the end of the segment (0x3000): after the
    // address 0x2e08 the cursor is 0x2e10; bit 62 means 0x2e10 + 61 * 8 =
    // 0x2ff8 (the last word inside), bit 63 means 0x3000 (outside).
    let mut words = Vec::new();
    words.extend_from_slice(&0x2e08u64.to_le_bytes());
    words.extend_from_slice(&(1u64 << 62 | 1).to_le_bytes());
    let two_words = [(DT_RELR, 0x2000), (DT_RELRSZ, 16), (DT_RELRENT, 8)];
    assert!(
        plan(&pie_with(&words, &two_words), &CFG).is_ok(),
        "bit 62 still fits"
    );
    words[8..].copy_from_slice(&(1u64 << 63 | 1).to_le_bytes());
    assert_eq!(
        error(&pie_with(&words, &two_words)),
        ElfError::RelocationOutOfRange
    );
}
