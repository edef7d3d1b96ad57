//! Images `plan` accepts, the exact plans it produces (segments, bias,
//! entry), and the relocations it reports for `DT_RELA` and `DT_RELR`.

mod common;

use common::*;
use elfload::{plan, relocations, ElfError, LoadConfig, Reloc, Segment, MAX_SEGMENTS};

#[test]
fn static_executable_plan() {
    let image = simple_exec().build();
    let p = plan(&image, &CFG).unwrap();
    assert_eq!((p.entry, p.load_bias, p.count), (0x40_0010, 0, 2));
    let code = Segment {
        vaddr: 0x40_0000,
        mem_size: 0x40,
        file_offset: 0x1000,
        file_size: 0x40,
        readable: true,
        writable: false,
        executable: true,
    };
    assert_eq!(p.segments()[0], code);
    assert_eq!(code.page_range(), 0x40_0000..0x40_1000);
    assert_eq!(&image[code.file_range()], &[0x90; 0x40][..]);
    let data = p.segments()[1];
    assert_eq!(
        (data.vaddr, data.mem_size, data.file_size),
        (0x40_1000, 0x2000, 4)
    );
    assert!(data.readable && data.writable && !data.executable);
    assert_eq!(data.page_range(), 0x40_1000..0x40_3000);
    assert_eq!(&image[data.file_range()], &[1, 2, 3, 4]);
    assert_eq!(p.segment_containing(0x40_2ff8, 8), Some(&data));
    assert_eq!(p.segment_containing(0x40_2ffc, 8), None);
    assert_eq!(relocations(&image, &p).unwrap().count(), 0);
}

#[test]
fn pie_is_moved_to_dyn_base() {
    let mut elf = Elf::new(ET_DYN, 0x1010);
    elf.load(0x800, PF_R, &[0; 8], 8); // Lowest vaddr not page aligned.
    elf.load(0x1000, PF_R | PF_X, &[0x90; 32], 32);
    let p = plan(&elf.build(), &CFG).unwrap();
    assert_eq!(p.load_bias, CFG.dyn_base);
    assert_eq!(p.segments()[0].vaddr, CFG.dyn_base + 0x800);
    assert_eq!(p.segments()[1].vaddr, CFG.dyn_base + 0x1000);
    assert_eq!(p.entry, CFG.dyn_base + 0x1010);
    // Linked high and moved down: the bias wraps, addresses do not.
    let mut high = Elf::new(ET_DYN, 0x7000_0000_0010);
    high.load(0x7000_0000_0000, PF_R | PF_X, &[0x90; 32], 32);
    let p = plan(&high.build(), &CFG).unwrap();
    assert_eq!(p.load_bias, CFG.dyn_base.wrapping_sub(0x7000_0000_0000));
    assert_eq!(
        (p.segments()[0].vaddr, p.entry),
        (CFG.dyn_base, CFG.dyn_base + 0x10)
    );
}

#[test]
fn boundaries_that_are_still_valid() {
    // Segments exactly filling the user range, entry on the last code byte.
    let mut elf = Elf::new(ET_EXEC, 0x1_0fff);
    elf.load(0x1_0000, PF_R | PF_X, &[0x90; 0x1000], 0x1000);
    elf.load(0x1_1000, PF_R | PF_W, &[], 0x1000);
    let tight = LoadConfig {
        user_start: 0x1_0000,
        user_end: 0x1_2000,
        dyn_base: 0,
    };
    assert!(plan(&elf.build(), &tight).is_ok());
    assert_eq!(
        plan(
            &elf.build(),
            &LoadConfig {
                user_end: 0x1_1000,
                ..tight
            }
        ),
        Err(ElfError::OutsideUserRange)
    );
    // With p_align < 4096 the page offsets may differ (the kernel copies).
    let mut loose = Elf::new(ET_EXEC, 0x40_0008);
    loose.load(0x40_0000, PF_R | PF_X, &[0x90; 16], 16);
    let mut image = loose.build();
    put64(&mut image, phdr_at(0) + P_VADDR, 0x40_0008);
    put64(&mut image, phdr_at(0) + P_ALIGN, 8);
    assert_eq!(plan(&image, &CFG).unwrap().segments()[0].vaddr, 0x40_0008);
}

#[test]
fn ignored_headers_and_maximum_segments() {
    let mut elf = Elf::new(ET_EXEC, 0x40_0000);
    elf.phdr(Phdr {
        p_type: PT_NOTE,
        flags: PF_R,
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
        align: 4,
    });
    elf.phdr(Phdr {
        p_type: 0x6474_e551,
        flags: PF_R | PF_W,
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
        align: 16,
    });
    elf.load(0x50_0000, PF_R, &[], 0); // Empty PT_LOAD: skipped.
    for i in 0..MAX_SEGMENTS as u64 {
        elf.load(0x40_0000 + i * 0x1000, PF_R | PF_X, &[0x90], 1);
    }
    let p = plan(&elf.build(), &CFG).unwrap();
    assert_eq!(p.count, MAX_SEGMENTS);
    assert!(p.segments().iter().all(|s| s.mem_size == 1 && s.executable));
}

/// A PIE linked at 0: code page at 0, data at 0x2000 (`data` as file
/// bytes, 0x2000 bytes in memory), and a dynamic section.
fn pie(data: &[u8], dynamic: &[(u64, u64)]) -> Vec<u8> {
    let mut elf = Elf::new(ET_DYN, 0);
    elf.load(0, PF_R | PF_X, &[0x90; 16], 16);
    elf.load(0x2000, PF_R | PF_W, data, 0x2000);
    elf.dynamic(dynamic);
    elf.build()
}

fn relocs(image: &[u8], cfg: &LoadConfig) -> Vec<Reloc> {
    let p = plan(image, cfg).unwrap();
    relocations(image, &p).unwrap().collect()
}

#[test]
fn rela_relative_relocations() {
    // The table at 0x2000, targets after it and in the bss at 0x3000.
    let mut data = Vec::new();
    data.extend(rela(0x2100, R_X86_64_RELATIVE, 0x10));
    data.extend(rela(0x2108, 0, 0)); // R_X86_64_NONE: skipped.
    data.extend(rela(0x3ff8, R_X86_64_RELATIVE, -8));
    data.resize(0x200, 0);
    let dynamic = [(DT_RELA, 0x2000), (DT_RELASZ, 72), (DT_RELAENT, 24)];
    let image = pie(&data, &dynamic);
    let base = CFG.dyn_base;
    let want = [
        Reloc {
            addr: base + 0x2100,
            value: base + 0x10,
        },
        Reloc {
            addr: base + 0x3ff8,
            value: base - 8,
        },
    ];
    assert_eq!(relocs(&image, &CFG), want);
    let p = plan(&image, &CFG).unwrap();
    assert_eq!((p.rela.count, p.relr.count), (3, 0));
    assert_eq!(p.rela.offset, p.segments()[1].file_offset);
}

#[test]
fn relr_relocations_add_the_bias_to_stored_words() {
    // Words stored at 0x2100.. hold link-time pointers 0x1000, 0x1008, ...
    let mut data = vec![0u8; 0x300];
    for i in 0..64u64 {
        let at = 0x100 + 8 * i as usize;
        data[at..at + 8].copy_from_slice(&(0x1000 + 8 * i).to_le_bytes());
    }
    // Address 0x2100, then a bitmap for 0x2108 + 8*{0, 2, 62}, then one
    // for the next 63 words starting at 0x2108 + 63*8 = 0x2300 (bss).
    let table = [0x2100u64, 1 | 1 << 1 | 1 << 3 | 1 << 63, 1 | 1 << 1];
    for (i, word) in table.iter().enumerate() {
        data[8 * i..8 * i + 8].copy_from_slice(&word.to_le_bytes());
    }
    let dynamic = [(DT_RELR, 0x2000), (DT_RELRSZ, 24), (DT_RELRENT, 8)];
    let image = pie(&data, &dynamic);
    let base = CFG.dyn_base;
    let stored = |addr: u64| {
        if addr < 0x2300 {
            0x1000 + (addr - 0x2100)
        } else {
            0
        }
    };
    let want: Vec<Reloc> = [0x2100, 0x2108, 0x2118, 0x22f8, 0x2300]
        .iter()
        .map(|&a| Reloc {
            addr: base + a,
            value: base + stored(a),
        })
        .collect();
    assert_eq!(relocs(&image, &CFG), want);
}

#[test]
fn rela_and_relr_together_and_executables_with_dynamic() {
    let mut data = rela(0x2200, R_X86_64_RELATIVE, 0x40);
    data.extend(0x2208u64.to_le_bytes());
    data.resize(0x300, 0);
    data[0x208..0x210].copy_from_slice(&0x80u64.to_le_bytes());
    let dynamic = [
        (DT_RELA, 0x2000),
        (DT_RELASZ, 24),
        (DT_RELR, 0x2018),
        (DT_RELRSZ, 8),
    ];
    let image = pie(&data, &dynamic);
    let got = relocs(&image, &CFG);
    let base = CFG.dyn_base;
    assert_eq!(
        got,
        [
            Reloc {
                addr: base + 0x2200,
                value: base + 0x40
            },
            Reloc {
                addr: base + 0x2208,
                value: base + 0x80
            }
        ]
    );
    // The same file as ET_EXEC linked at 0x40_0000 is not moved: bias 0.
    let mut exec = Elf::new(ET_EXEC, 0x40_0000);
    exec.load(0x40_0000, PF_R | PF_X, &[0x90], 1);
    exec.load(
        0x40_2000,
        PF_R | PF_W,
        &rela(0x40_2100, R_X86_64_RELATIVE, 0x40_0000),
        0x1000,
    );
    exec.dynamic(&[(DT_RELA, 0x40_2000), (DT_RELASZ, 24)]);
    assert_eq!(
        relocs(&exec.build(), &CFG),
        [Reloc {
            addr: 0x40_2100,
            value: 0x40_0000
        }]
    );
}

#[test]
fn relocations_with_a_different_image_fail_cleanly() {
    let mut data = rela(0x2100, R_X86_64_RELATIVE, 0x10);
    data.resize(0x200, 0);
    let image = pie(&data, &[(DT_RELA, 0x2000), (DT_RELASZ, 24)]);
    let p = plan(&image, &CFG).unwrap();
    assert_eq!(
        relocations(&image[..0x1000], &p).err(),
        Some(ElfError::SegmentOutOfFile)
    );
    let mut other = image.clone();
    let table = p.rela.offset as usize;
    other[table + 8] = 7; // R_X86_64_JUMP_SLOT
    assert_eq!(
        relocations(&other, &p).err(),
        Some(ElfError::UnsupportedRelocation(7))
    );
}
