//! `symbolize`: naming an address from an ELF file's own symbol table, on
//! hand-built files (sized and unsized function symbols, non-function
//! symbols ignored, stripped and truncated files give `None`).

use elfload::symbolize;

/// An ELF64 file with only section headers: [null, .symtab, .strtab].
fn elf_with_symbols(syms: &[(&str, u8, u64, u64)]) -> Vec<u8> {
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; 24]; // the null symbol
    for &(name, kind, value, size) in syms {
        let off = strtab.len() as u32;
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
        let mut s = [0u8; 24];
        s[0..4].copy_from_slice(&off.to_le_bytes());
        s[4] = kind; // STB_LOCAL | type
        s[6..8].copy_from_slice(&1u16.to_le_bytes());
        s[8..16].copy_from_slice(&value.to_le_bytes());
        s[16..24].copy_from_slice(&size.to_le_bytes());
        symtab.extend_from_slice(&s);
    }
    let mut f = vec![0u8; 64];
    f[0..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    let sym_off = f.len();
    f.extend_from_slice(&symtab);
    let str_off = f.len();
    f.extend_from_slice(&strtab);
    let shoff = f.len();
    let mut sh = vec![0u8; 64 * 3];
    let mut section = |i: usize, kind: u32, off: usize, size: usize, link: u32| {
        let b = &mut sh[i * 64..(i + 1) * 64];
        b[4..8].copy_from_slice(&kind.to_le_bytes());
        b[0x18..0x20].copy_from_slice(&(off as u64).to_le_bytes());
        b[0x20..0x28].copy_from_slice(&(size as u64).to_le_bytes());
        b[0x28..0x2C].copy_from_slice(&link.to_le_bytes());
    };
    section(1, 2, sym_off, symtab.len(), 2);
    section(2, 3, str_off, strtab.len(), 0);
    f.extend_from_slice(&sh);
    f[0x28..0x30].copy_from_slice(&(shoff as u64).to_le_bytes());
    f[0x3A..0x3C].copy_from_slice(&64u16.to_le_bytes());
    f[0x3C..0x3E].copy_from_slice(&3u16.to_le_bytes());
    f
}

const FUNC: u8 = 2;
const OBJECT: u8 = 1;

fn sample() -> Vec<u8> {
    elf_with_symbols(&[
        ("alpha", FUNC, 0x401000, 0x20),
        ("table", OBJECT, 0x401050, 0x100),
        ("beta", FUNC, 0x401100, 0),
        ("gamma", FUNC, 0x401200, 0x10),
    ])
}

#[test]
fn sized_function_contains_the_address() {
    let f = sample();
    assert_eq!(symbolize(&f, 0x401000), Some(("alpha", 0)));
    assert_eq!(symbolize(&f, 0x40101c), Some(("alpha", 0x1c)));
    assert_eq!(symbolize(&f, 0x401208), Some(("gamma", 8)));
}

#[test]
fn unsized_function_is_the_nearest_below() {
    let f = sample();
    assert_eq!(symbolize(&f, 0x401105), Some(("beta", 5)));
}

#[test]
fn gaps_and_objects_are_not_functions() {
    let f = sample();
    assert_eq!(symbolize(&f, 0x401060), None, "inside an object, past alpha's end");
    assert_eq!(symbolize(&f, 0x400000), None, "below every symbol");
}

#[test]
fn stripped_or_truncated_files_have_no_symbols() {
    let stripped = elf_with_symbols(&[]);
    assert_eq!(symbolize(&stripped, 0x401000), None);
    let f = sample();
    // Cuts through the header, the symbols, the strings and the section headers.
    for cut in [0, 10, 63, 64, 100, f.len() - 64 * 2 + 8] {
        assert_eq!(symbolize(&f[..cut], 0x401000), None, "cut at {cut}");
    }
}
