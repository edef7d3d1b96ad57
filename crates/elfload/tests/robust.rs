//! Real binaries and hostile input.
//!
//! * If the host has a C compiler, tiny freestanding programs are built as
//!   a static executable, a static PIE with `DT_RELA`, and a static PIE with
//!   `DT_RELR`; each must be accepted, and the PIEs are "loaded" into a
//!   byte array and relocated to check that their pointers come out right.
//!   (Skipped with a message if compiling fails.)
//! * Truncated and mutated images must never panic, and whenever `plan`
//!   accepts one, the plan's documented guarantees must hold.

mod common;

use common::*;
use elfload::{plan, relocations, LoadPlan, Reloc};
use std::process::Command;

const PROGRAM: &str = r#"
static int counter = 5;
static char buffer[8192];
int *ptr = &counter;
char *bufp = buffer + 100;
const char *msg = "hello";
void _start(void) {
    *ptr += bufp[0] + msg[0];
    for (;;) __asm__ volatile("hlt");
}
"#;

/// Compiles `PROGRAM` with `flags`, or `None` (with a note) if impossible.
fn compile(name: &str, flags: &[&str]) -> Option<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("elfload-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let (src, out) = (dir.join("t.c"), dir.join("t"));
    std::fs::write(&src, PROGRAM).ok()?;
    let status = Command::new("cc")
        .args(["-O1", "-ffreestanding", "-fno-stack-protector", "-nostdlib"])
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .output();
    let binary = match status {
        Ok(o) if o.status.success() => std::fs::read(&out).ok(),
        _ => None,
    };
    let _ = std::fs::remove_dir_all(&dir);
    if binary.is_none() {
        eprintln!("skipping {name}: `cc {flags:?}` failed or is unavailable");
    }
    binary
}

/// Copies the segments into a zeroed byte array (as the kernel would into
/// fresh pages) and applies the relocations. Returns (memory, its base).
fn load(image: &[u8], p: &LoadPlan) -> (Vec<u8>, u64) {
    let start = p
        .segments()
        .iter()
        .map(|s| s.page_range().start)
        .min()
        .unwrap();
    let end = p
        .segments()
        .iter()
        .map(|s| s.page_range().end)
        .max()
        .unwrap();
    let mut memory = vec![0u8; (end - start) as usize];
    for s in p.segments() {
        let at = (s.vaddr - start) as usize;
        memory[at..at + s.file_size as usize].copy_from_slice(&image[s.file_range()]);
    }
    for Reloc { addr, value } in relocations(image, p).unwrap() {
        let at = (addr - start) as usize;
        memory[at..at + 8].copy_from_slice(&value.to_le_bytes());
    }
    (memory, start)
}

/// Checks that after relocation some pointer leads to "hello" and some to
/// the int 5, i.e. the pointers were moved along with the image.
fn check_pointers(image: &[u8], p: &LoadPlan) -> Vec<Reloc> {
    let (memory, base) = load(image, p);
    let relocs: Vec<Reloc> = relocations(image, p).unwrap().collect();
    assert!(
        relocs.len() >= 3,
        "ptr, bufp and msg need relocations: {relocs:x?}"
    );
    let target = |r: &Reloc| memory.get((r.value.wrapping_sub(base)) as usize..);
    assert!(relocs
        .iter()
        .any(|r| target(r).is_some_and(|m| m.starts_with(b"hello\0"))));
    assert!(relocs
        .iter()
        .any(|r| target(r).is_some_and(|m| m.starts_with(&5i32.to_le_bytes()))));
    assert!(relocs
        .iter()
        .all(|r| p.segment_containing(r.addr, 8).is_some_and(|s| s.writable)));
    relocs
}

#[test]
fn host_static_executable() {
    let Some(image) = compile("static", &["-static", "-fno-pie", "-no-pie"]) else {
        return;
    };
    let p = plan(&image, &CFG).expect("static executable accepted");
    assert_eq!(p.load_bias, 0);
    assert!(p.segments().iter().any(|s| s.executable && !s.writable));
    assert!(p.segments().iter().any(|s| s.writable && !s.executable));
    assert_eq!(relocations(&image, &p).unwrap().count(), 0);
    fuzz(&image, 0x1000);
}

#[test]
fn host_static_pie_with_rela_and_relr() {
    let pie_flags = ["-static-pie", "-fPIE"];
    let Some(rela) = compile("pie", &pie_flags) else {
        return;
    };
    let p = plan(&rela, &CFG).expect("static PIE accepted");
    assert_eq!(p.segments()[0].page_range().start, CFG.dyn_base);
    assert!(p.rela.count >= 3 && p.relr.count == 0);
    let rela_relocs = check_pointers(&rela, &p);
    fuzz(&rela, 0x1000);

    let relr_flags = ["-static-pie", "-fPIE", "-Wl,-z,pack-relative-relocs"];
    let Some(relr) = compile("relr", &relr_flags) else {
        return;
    };
    let q = plan(&relr, &CFG).expect("static PIE with RELR accepted");
    assert!(q.relr.count >= 1 && q.rela.count == 0);
    let relr_relocs = check_pointers(&relr, &q);
    // Both encodings describe the same fixups; when the linker put them at
    // the same addresses (it does for this program), they must agree exactly.
    let (mut a, mut b) = (rela_relocs, relr_relocs);
    a.sort();
    b.sort();
    assert_eq!(a.len(), b.len());
    if a.iter().zip(&b).all(|(x, y)| x.addr == y.addr) {
        assert_eq!(a, b);
    }
    fuzz(&relr, 0x1000);
}

/// The guarantees `plan` documents, checked on an accepted plan.
fn check_guarantees(image: &[u8], p: &LoadPlan) {
    let segments = p.segments();
    assert!(!segments.is_empty());
    for (i, s) in segments.iter().enumerate() {
        assert!(s.file_size <= s.mem_size && image.get(s.file_range()).is_some());
        let pages = s.page_range();
        assert!(pages.start >= CFG.user_start && pages.end <= CFG.user_end);
        assert!(!(s.writable && s.executable));
        for t in &segments[i + 1..] {
            assert!(pages.end <= t.page_range().start || t.page_range().end <= pages.start);
        }
    }
    assert!(segments
        .iter()
        .any(|s| s.executable && s.contains(p.entry, 1)));
    for r in relocations(image, p).expect("relocations of an accepted plan") {
        assert!(p.segment_containing(r.addr, 8).is_some());
    }
}

/// Truncates `image` at every length and mutates each of its first
/// `mutate_len` bytes in several ways: no panics, and every accepted
/// variant satisfies the guarantees.
fn fuzz(image: &[u8], mutate_len: usize) {
    check_guarantees(image, &plan(image, &CFG).unwrap());
    for len in 0..image.len() {
        if let Ok(p) = plan(&image[..len], &CFG) {
            check_guarantees(&image[..len], &p);
        }
    }
    let mut mutated = image.to_vec();
    for i in 0..mutate_len.min(image.len()) {
        let original = mutated[i];
        for value in [
            0,
            0xff,
            0x80,
            original ^ 1,
            original ^ 0x10,
            original.wrapping_add(0x40),
        ] {
            mutated[i] = value;
            if let Ok(p) = plan(&mutated, &CFG) {
                check_guarantees(&mutated, &p);
            }
        }
        mutated[i] = original;
    }
}

#[test]
fn handmade_images_survive_truncation_and_mutation() {
    fuzz(&simple_exec().build(), usize::MAX);
    // A PIE with both relocation tables.
    let mut data = rela(0x2200, R_X86_64_RELATIVE, 0x40);
    data.extend(0x2208u64.to_le_bytes());
    data.extend((1u64 | 0b1010).to_le_bytes());
    data.resize(0x300, 0);
    let mut elf = Elf::new(ET_DYN, 0x10);
    elf.load(0, PF_R | PF_X, &[0x90; 32], 32);
    elf.load(0x2000, PF_R | PF_W, &data, 0x2000);
    elf.dynamic(&[
        (DT_RELA, 0x2000),
        (DT_RELASZ, 24),
        (DT_RELR, 0x2018),
        (DT_RELRSZ, 16),
    ]);
    let image = elf.build();
    assert_eq!(
        relocations(&image, &plan(&image, &CFG).unwrap())
            .unwrap()
            .count(),
        4
    );
    fuzz(&image, usize::MAX);
}
