//! Branding: which personality an image asks for (MelloOS note, Linux
//! `EI_OSABI`, GNU ABI tag), the note iterator, and the auxiliary-vector
//! facts of a plan (program-header address and count, image end).

mod common;
use common::*;
use elfload::{notes, plan, Brand, Note, MELLOS_NOTE_NAME, NT_MELLOS_ABI};

/// One note as a linker writes it, padded to `pad` bytes.
fn note(name: &[u8], kind: u32, desc: &[u8], pad: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let namesz = if name.is_empty() { 0 } else { name.len() + 1 };
    out.extend_from_slice(&(namesz as u32).to_le_bytes());
    out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(name);
    if namesz > 0 {
        out.push(0);
    }
    out.resize(out.len().next_multiple_of(pad), 0);
    out.extend_from_slice(desc);
    out.resize(out.len().next_multiple_of(pad), 0);
    out
}

fn mellos_note() -> Vec<u8> {
    note(MELLOS_NOTE_NAME, NT_MELLOS_ABI, &1u32.to_le_bytes(), 4)
}

/// A GNU `.note.ABI-tag` for OS `os`, kernel 3.2.0 (what glibc writes).
fn abi_tag(os: u32) -> Vec<u8> {
    let desc: Vec<u8> = [os, 3, 2, 0].iter().flat_map(|w| w.to_le_bytes()).collect();
    note(b"GNU", 1, &desc, 4)
}

/// A GNU property note (`NT_GNU_PROPERTY_TYPE_0`, 8-byte padding).
fn gnu_property() -> Vec<u8> {
    note(b"GNU", 5, &[2, 0, 0, 0xc0, 4, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0], 8)
}

/// `simple_exec` plus one `PT_NOTE` segment per `(bytes, p_align)`.
fn with_notes(segments: &[(Vec<u8>, u64)]) -> Elf {
    let mut elf = simple_exec();
    for (bytes, align) in segments {
        let offset = elf.place(0, bytes);
        elf.phdr(Phdr {
            p_type: PT_NOTE,
            flags: PF_R,
            offset,
            vaddr: 0,
            filesz: bytes.len() as u64,
            memsz: bytes.len() as u64,
            align: *align,
        });
    }
    elf
}

fn brand_of(image: &[u8]) -> Option<Brand> {
    plan(image, &CFG).expect("valid image").brand
}

fn with_osabi(mut image: Vec<u8>, osabi: u8) -> Vec<u8> {
    image[7] = osabi;
    image
}

#[test]
fn unbranded_images_have_no_brand() {
    assert_eq!(brand_of(&simple_exec().build()), None);
    // A build-id or property note alone is no brand (what musl binaries carry).
    let build_id = note(b"GNU", 3, &[0xab; 20], 4);
    assert_eq!(brand_of(&with_notes(&[(build_id, 4), (gnu_property(), 8)]).build()), None);
    // EI_OSABI of another system (FreeBSD, 9) is not Linux.
    assert_eq!(brand_of(&with_osabi(simple_exec().build(), 9)), None);
}

#[test]
fn the_mellos_note_brands_native() {
    assert_eq!(brand_of(&with_notes(&[(mellos_note(), 4)]).build()), Some(Brand::Native));
    // It wins over every Linux mark, wherever it is.
    let both = with_notes(&[(abi_tag(0), 4), (mellos_note(), 4)]).build();
    assert_eq!(brand_of(&with_osabi(both, 3)), Some(Brand::Native));
    // Several notes in one segment.
    let mut seg = note(b"GNU", 3, &[1; 20], 4);
    seg.extend(mellos_note());
    assert_eq!(brand_of(&with_notes(&[(seg, 4)]).build()), Some(Brand::Native));
}

#[test]
fn a_wrong_mellos_note_is_no_brand() {
    let wrong_type = note(MELLOS_NOTE_NAME, 2, &1u32.to_le_bytes(), 4);
    let wrong_name = note(b"Mello", NT_MELLOS_ABI, &1u32.to_le_bytes(), 4);
    assert_eq!(brand_of(&with_notes(&[(wrong_type, 4), (wrong_name, 4)]).build()), None);
}

#[test]
fn linux_osabi_or_gnu_abi_tag_brands_linux() {
    assert_eq!(brand_of(&with_osabi(simple_exec().build(), 3)), Some(Brand::Linux));
    assert_eq!(brand_of(&with_notes(&[(abi_tag(0), 4)]).build()), Some(Brand::Linux));
    // After an 8-aligned property segment, as glibc's static binaries have.
    let elf = with_notes(&[(gnu_property(), 8), (abi_tag(0), 4)]);
    assert_eq!(brand_of(&elf.build()), Some(Brand::Linux));
    // An ABI tag for the Hurd (1) or Solaris (2) is not Linux.
    assert_eq!(brand_of(&with_notes(&[(abi_tag(1), 4), (abi_tag(2), 4)]).build()), None);
}

#[test]
fn malformed_notes_brand_nothing_and_do_not_fail_the_load() {
    // namesz past the segment's end: the segment's notes are skipped.
    let mut huge = abi_tag(0);
    huge[0..4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    assert_eq!(brand_of(&with_notes(&[(huge, 4)]).build()), None);
    // A truncated descriptor.
    let mut short = abi_tag(0);
    short.truncate(20);
    assert_eq!(brand_of(&with_notes(&[(short, 4)]).build()), None);
    // A PT_NOTE outside the file.
    let mut elf = simple_exec();
    elf.phdr(Phdr { p_type: PT_NOTE, flags: PF_R, offset: 1 << 40, vaddr: 0, filesz: 64, memsz: 64, align: 4 });
    assert_eq!(brand_of(&elf.build()), None);
    // A good note after a bad segment still counts.
    let mut bad = mellos_note();
    bad[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(brand_of(&with_notes(&[(bad, 4), (abi_tag(0), 4)]).build()), Some(Brand::Linux));
}

#[test]
fn the_note_iterator() {
    let mut seg = abi_tag(0);
    seg.extend(mellos_note());
    seg.extend(note(b"", 7, &[], 4));
    let all: Vec<Note> = notes(&seg, 4).collect();
    assert_eq!(all.len(), 3);
    assert_eq!((all[0].name, all[0].kind, all[0].desc.len()), (&b"GNU"[..], 1, 16));
    assert_eq!((all[1].name, all[1].kind, all[1].desc), (MELLOS_NOTE_NAME, NT_MELLOS_ABI, &1u32.to_le_bytes()[..]));
    assert_eq!((all[2].name, all[2].kind), (&b""[..], 7));
    // 8-byte padding: "GNU\0" fits in 4, the 16-byte desc in 16.
    let prop = gnu_property();
    assert_eq!(prop.len(), 32);
    assert_eq!(notes(&prop, 8).count(), 1);
    assert_eq!(notes(&[], 4).count(), 0);
    assert_eq!(notes(&[1, 2, 3], 4).count(), 0);
}

#[test]
fn program_header_address_count_and_image_end() {
    let p = plan(&simple_exec().build(), &CFG).unwrap();
    // No segment loads file offset 64: AT_PHDR would be 0.
    assert_eq!((p.phdr_addr, p.phnum), (0, 2));
    assert_eq!(p.image_end(), 0x40_3000);
    // A read-only first segment from file offset 0 (as ld lays out musl's
    // static binaries) holds the headers.
    let mut elf = simple_exec();
    elf.phdr(Phdr { p_type: PT_LOAD, flags: PF_R, offset: 0, vaddr: 0x3f_f000, filesz: 0x200, memsz: 0x200, align: 0x1000 });
    let p = plan(&elf.build(), &CFG).unwrap();
    assert_eq!((p.phdr_addr, p.phnum), (0x3f_f040, 3));
}

#[test]
fn a_pie_program_header_address_is_biased() {
    let mut elf = Elf::new(ET_DYN, 0x1010);
    elf.phdr(Phdr { p_type: PT_LOAD, flags: PF_R, offset: 0, vaddr: 0, filesz: 0x200, memsz: 0x200, align: 0x1000 });
    elf.load(0x1000, PF_R | PF_X, &[0x90; 0x40], 0x40);
    let p = plan(&elf.build(), &CFG).unwrap();
    assert_eq!(p.phdr_addr, CFG.dyn_base + 64);
    assert_eq!(p.image_end(), CFG.dyn_base + 0x2000);
}
