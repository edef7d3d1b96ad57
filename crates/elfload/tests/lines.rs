//! `line_of`: source lines from DWARF line tables.
//!
//! * Real files (tests/fixtures, rebuilt by `tests/fixtures/make.sh`):
//!   rustc's DWARF 4 and 5 and gcc's DWARF 5 and 3; every instruction
//!   address of `.text` must get the answer GNU `addr2line` gave.
//! * Hand-built `.debug_line` sections: the opcodes rustc does not emit in
//!   the fixtures (VLIW op_index, `fixed_advance_pc`, 64-bit DWARF), and
//!   hostile headers and programs, which must give `None` and never panic
//!   or hang; a program longer than `MAX_LINE_OPS` is given up on.
//! * Truncated and mutated fixtures: never a panic.

use elfload::{line_of, source_line, SourceLine, MAX_LINE_OPS};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> (Vec<u8>, Vec<(u64, String)>) {
    let elf = std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture");
    let expected = std::fs::read_to_string(format!("{FIXTURES}/{name}.expected")).expect("expected");
    let rows = expected
        .lines()
        .map(|l| {
            let (addr, want) = l.split_once(' ').expect("ADDR ANSWER");
            (u64::from_str_radix(addr, 16).expect("hex address"), want.to_string())
        })
        .collect();
    (elf, rows)
}

/// `line_of(addr)` as the `.expected` files write it.
fn answer(elf: &[u8], addr: u64) -> String {
    line_of(elf, addr).map_or("-".into(), |(path, line)| format!("{path}:{line}"))
}

/// Every address of `name` answered as addr2line did; `dir0` accepts a
/// missing compilation directory (DWARF 2-4 directory 0, see lines.rs).
fn check_fixture(name: &str, dir0: bool) {
    let (elf, rows) = fixture(name);
    assert!(rows.len() > 20, "{name}: too few instructions");
    let mut found = 0;
    for (addr, want) in &rows {
        let got = answer(&elf, *addr);
        let same = got == *want || (dir0 && !got.contains('/') && want.ends_with(&format!("/{got}")));
        assert!(same, "{name} {addr:#x}: got {got}, addr2line says {want}");
        found += usize::from(got != "-");
    }
    assert!(found * 2 > rows.len(), "{name}: most instructions have a line");
}

#[test]
fn rustc_dwarf4_matches_addr2line() {
    check_fixture("lines-rust-dwarf4", false);
}

#[test]
fn rustc_dwarf5_matches_addr2line() {
    check_fixture("lines-rust-dwarf5", false);
}

#[test]
fn gcc_dwarf5_matches_addr2line() {
    check_fixture("lines-c-dwarf5", false);
}

#[test]
fn gcc_dwarf3_matches_addr2line() {
    check_fixture("lines-c-dwarf3", true);
}

#[test]
fn paths_are_shortened_to_the_workspace() {
    let (elf, _) = fixture("lines-rust-dwarf5");
    // `add` is main.rs:12-13 (see the fixture source); its directory is
    // `build/userspace/programs/lines/src` (rustc run from `/`).
    let at = source_line(&elf, 0x401007).expect("a line");
    assert_eq!(at, SourceLine { dir: "programs/lines/src", file: "main.rs", line: 12 });
    assert_eq!(at.to_string(), "programs/lines/src/main.rs:12");
    assert_eq!(at.path_len(), "programs/lines/src/main.rs".len());
}

#[test]
fn addresses_outside_the_tables_have_no_line() {
    let (elf, _) = fixture("lines-rust-dwarf4");
    for addr in [0, 1, 0x400000, 0x500000, u64::MAX] {
        assert_eq!(line_of(&elf, addr), None, "{addr:#x}");
    }
}

/// An ELF64 file with only section headers: null, the given sections, and
/// `.shstrtab`.
fn elf_with_sections(sections: &[(&str, &[u8])]) -> Vec<u8> {
    let mut f = vec![0u8; 64];
    f[0..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    let mut names = vec![0u8];
    let mut headers = vec![[0u8; 64]];
    let mut add = |f: &mut Vec<u8>, name: &str, data: &[u8]| {
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&(names.len() as u32).to_le_bytes());
        names.extend_from_slice(name.as_bytes());
        names.push(0);
        h[4..8].copy_from_slice(&1u32.to_le_bytes()); // SHT_PROGBITS
        h[0x18..0x20].copy_from_slice(&(f.len() as u64).to_le_bytes());
        h[0x20..0x28].copy_from_slice(&(data.len() as u64).to_le_bytes());
        f.extend_from_slice(data);
        headers.push(h);
    };
    for (name, data) in sections {
        add(&mut f, name, data);
    }
    let shstrndx = headers.len() as u16;
    let names_copy = {
        let mut n = names.clone();
        n.extend_from_slice(b".shstrtab\0");
        n
    };
    let mut h = [0u8; 64];
    h[0..4].copy_from_slice(&(names.len() as u32).to_le_bytes());
    h[4..8].copy_from_slice(&3u32.to_le_bytes()); // SHT_STRTAB
    h[0x18..0x20].copy_from_slice(&(f.len() as u64).to_le_bytes());
    h[0x20..0x28].copy_from_slice(&(names_copy.len() as u64).to_le_bytes());
    f.extend_from_slice(&names_copy);
    headers.push(h);
    let shoff = f.len() as u64;
    for h in &headers {
        f.extend_from_slice(h);
    }
    f[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
    f[0x3A..0x3C].copy_from_slice(&64u16.to_le_bytes());
    f[0x3C..0x3E].copy_from_slice(&(headers.len() as u16).to_le_bytes());
    f[0x3E..0x40].copy_from_slice(&shstrndx.to_le_bytes());
    f
}

/// One DWARF 4 line unit (32-bit, or 64-bit DWARF with `wide`): directory
/// `src`, files `a.rs` (1) and `b.rs` (2) in it, `max_ops` operations per
/// instruction, then `program`.
fn unit(wide: bool, max_ops: u8, program: &[u8]) -> Vec<u8> {
    let mut header = vec![1, max_ops, 1, (-5i8) as u8, 14, 13];
    header.extend_from_slice(&[0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]); // standard_opcode_lengths
    header.extend_from_slice(b"src\0\0a.rs\0\x01\0\0b.rs\0\x01\0\0\0");
    let mut body = 4u16.to_le_bytes().to_vec();
    if wide {
        body.extend_from_slice(&(header.len() as u64).to_le_bytes());
    } else {
        body.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    body.extend_from_slice(&header);
    body.extend_from_slice(program);
    let mut u = Vec::new();
    if wide {
        u.extend_from_slice(&u32::MAX.to_le_bytes());
        u.extend_from_slice(&(body.len() as u64).to_le_bytes());
    } else {
        u.extend_from_slice(&(body.len() as u32).to_le_bytes());
    }
    u.extend_from_slice(&body);
    u
}

const SET_ADDRESS_401000: [u8; 11] = [0, 9, 2, 0x00, 0x10, 0x40, 0, 0, 0, 0, 0];
const END_SEQUENCE: [u8; 3] = [0, 1, 1];

/// A program: rows at 0x401000 (a.rs:1), 0x401010 (a.rs:5), 0x401020
/// (b.rs:7, via fixed_advance_pc), end at 0x401030.
fn program() -> Vec<u8> {
    let mut p = SET_ADDRESS_401000.to_vec();
    p.push(1); // copy: a.rs:1
    p.extend_from_slice(&[2, 0x10, 3, 4, 1]); // advance_pc 16, advance_line 4, copy: a.rs:5
    p.extend_from_slice(&[4, 2, 9, 0x10, 0, 3, 2, 1]); // file 2, +16, line +2: b.rs:7
    p.extend_from_slice(&[2, 0x10]);
    p.extend_from_slice(&END_SEQUENCE);
    p
}

fn lookup(line: &[u8], addr: u64) -> Option<(String, u32)> {
    line_of(&elf_with_sections(&[(".debug_line", line)]), addr)
}

#[test]
fn hand_built_rows_and_64_bit_dwarf() {
    for wide in [false, true] {
        let u = unit(wide, 1, &program());
        assert_eq!(lookup(&u, 0x400fff), None);
        assert_eq!(lookup(&u, 0x401000), Some(("src/a.rs".into(), 1)));
        assert_eq!(lookup(&u, 0x40100f), Some(("src/a.rs".into(), 1)));
        assert_eq!(lookup(&u, 0x401010), Some(("src/a.rs".into(), 5)));
        assert_eq!(lookup(&u, 0x40102f), Some(("src/b.rs".into(), 7)));
        assert_eq!(lookup(&u, 0x401030), None, "end_sequence is past the end");
    }
}

#[test]
fn vliw_operations_advance_by_whole_instructions() {
    // 4 operations per instruction (min_inst_len 1): rows at 0x401000
    // (line 1), +6 operations = 0x401001 op 2 (line 2), +2 = 0x401002 op 0
    // (line 3), end +4 = 0x401003.
    let mut p = SET_ADDRESS_401000.to_vec();
    p.extend_from_slice(&[1, 2, 6, 3, 1, 1, 2, 2, 3, 1, 1, 2, 4]);
    p.extend_from_slice(&END_SEQUENCE);
    let u = unit(false, 4, &p);
    assert_eq!(lookup(&u, 0x401000), Some(("src/a.rs".into(), 1)));
    assert_eq!(lookup(&u, 0x401001), Some(("src/a.rs".into(), 2)));
    assert_eq!(lookup(&u, 0x401002), Some(("src/a.rs".into(), 3)));
    assert_eq!(lookup(&u, 0x401003), None);
}

#[test]
fn tombstoned_sequences_at_zero_are_skipped() {
    let mut p = vec![0, 9, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0x40];
    p.extend_from_slice(&END_SEQUENCE);
    let u = unit(false, 1, &p);
    assert_eq!(lookup(&u, 0x10), None);
}

#[test]
fn a_later_unit_is_found_after_a_broken_one() {
    let mut broken = unit(false, 1, &program());
    broken[4] = 9; // version 9
    let mut two = broken.clone();
    two.extend_from_slice(&unit(false, 1, &program()));
    assert_eq!(lookup(&broken, 0x401000), None);
    assert_eq!(lookup(&two, 0x401000), Some(("src/a.rs".into(), 1)));
}

#[test]
fn hostile_headers_give_none() {
    let good = unit(false, 1, &program());
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut patched = |what, at: usize, bytes: &[u8]| {
        let mut u = good.clone();
        u[at..at + bytes.len()].copy_from_slice(bytes);
        cases.push((what, u));
    };
    patched("unit longer than the section", 0, &u32::MAX.wrapping_sub(20).to_le_bytes());
    patched("64-bit length past the end", 0, &[0xFF; 4]);
    patched("header length past the unit", 6, &u32::MAX.to_le_bytes());
    patched("line_range 0", 14, &[0]);
    patched("opcode_base 0", 15, &[0]);
    patched("file 1 in directory 9", 38, &[9]);
    for (what, u) in &cases {
        assert_eq!(lookup(u, 0x401000), None, "{what}");
    }
    // DWARF 5 with a file table of 2^63 entries of no bytes: refused at
    // once instead of looping.
    let mut v5 = vec![5, 0, 8, 0];
    let header = [1u8, 1, 1, 0xFB, 14, 13, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0];
    let mut rest = header.to_vec();
    rest.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    v5.extend_from_slice(&(rest.len() as u32).to_le_bytes());
    v5.extend_from_slice(&rest);
    let mut u = (v5.len() as u32).to_le_bytes().to_vec();
    u.extend_from_slice(&v5);
    assert_eq!(lookup(&u, 0x401000), None, "huge empty-format table");
}

#[test]
fn hostile_programs_give_none() {
    let mut cases: Vec<(&str, Vec<u8>, u64)> = Vec::new();
    let mut huge_ext = SET_ADDRESS_401000.to_vec();
    huge_ext.extend_from_slice(&[1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1]);
    cases.push(("extended opcode longer than the program", huge_ext, 0x401000));
    let mut endless_leb = SET_ADDRESS_401000.to_vec();
    endless_leb.extend_from_slice(&[1, 2]);
    endless_leb.extend_from_slice(&[0x80; 20]);
    cases.push(("ULEB128 of 20 bytes", endless_leb, 0x401000));
    let mut cut = program();
    cut.truncate(cut.len() - 3);
    cases.push(("no end_sequence after b.rs:7", cut, 0x401020));
    let mut no_file = SET_ADDRESS_401000.to_vec();
    no_file.extend_from_slice(&[4, 9, 1, 2, 4, 1]);
    no_file.extend_from_slice(&END_SEQUENCE);
    cases.push(("file 9 of 2", no_file, 0x401000));
    let mut line0 = SET_ADDRESS_401000.to_vec();
    line0.extend_from_slice(&[3, 0x7F, 1, 2, 4, 1]); // line 1 - 1 = 0: no source line
    line0.extend_from_slice(&END_SEQUENCE);
    cases.push(("line 0", line0, 0x401000));
    for (what, p, addr) in &cases {
        assert_eq!(lookup(&unit(false, 1, p), *addr), None, "{what}");
    }
}

#[test]
fn work_is_bounded() {
    // Rows that never cover the address, then one that does: found within
    // the budget, given up on past it.
    let program = |ops: usize| {
        let mut p = SET_ADDRESS_401000.to_vec();
        p.resize(p.len() + ops, 1); // copy, copy, ... at 0x401000
        p.extend_from_slice(&[2, 0x10, 1]);
        p.extend_from_slice(&END_SEQUENCE);
        p
    };
    let small = unit(false, 1, &program(MAX_LINE_OPS as usize / 2));
    assert_eq!(lookup(&small, 0x401000), Some(("src/a.rs".into(), 1)));
    let big = unit(false, 1, &program(MAX_LINE_OPS as usize + 1));
    assert_eq!(lookup(&big, 0x401000), None);
}

#[test]
fn truncated_and_mutated_fixtures_never_panic() {
    for name in ["lines-rust-dwarf4", "lines-rust-dwarf5", "lines-c-dwarf5", "lines-c-dwarf3"] {
        let (elf, rows) = fixture(name);
        let addrs: Vec<u64> = rows.iter().map(|r| r.0).step_by(7).collect();
        for cut in (0..elf.len()).step_by(97) {
            for &a in &addrs {
                let _ = line_of(&elf[..cut], a);
            }
        }
        // Deterministic byte mutations all over the file.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut m = elf.clone();
            let at = (seed % m.len() as u64) as usize;
            m[at] = (seed >> 32) as u8;
            let _ = line_of(&m, addrs[(seed >> 40) as usize % addrs.len()]);
        }
    }
}

#[test]
fn no_sections_no_lines() {
    assert_eq!(line_of(&[], 0x401000), None);
    assert_eq!(line_of(b"\x7fELF", 0x401000), None);
    assert_eq!(lookup(&[], 0x401000), None);
    assert_eq!(line_of(&elf_with_sections(&[(".debug_info", &[1, 2, 3])]), 0x401000), None);
}
