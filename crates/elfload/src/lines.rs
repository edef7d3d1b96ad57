//! Source lines from an ELF file's DWARF line tables (`.debug_line`, as
//! rustc and C compilers emit with `-g` / `debug = "line-tables-only"`):
//! which `file:line` an address belongs to, the way `addr2line -e FILE
//! ADDR` answers it (the innermost location; inlined callers are not
//! reported).
//!
//! The lookup runs every unit's line-number program (DWARF 2 to 5) and
//! takes, inside the first sequence that covers the address, the last row
//! at or below it. Sequences starting at address 0 are the linker's
//! tombstones for discarded code and are skipped. Paths come out as their
//! directory and file name; a directory that names the user-space
//! workspace (`.../userspace/...`) is shortened to what follows it, so it
//! reads `programs/utest/src/faults.rs`. Relative directories are shown as
//! the table has them (relative to the compilation directory, which is the
//! workspace for cargo builds); a file with directory 0 in DWARF 2-4 (the
//! compilation directory itself, recorded only in `.debug_info`) is shown
//! without one. Files added by `DW_LNE_define_file` are not
//! resolved (no current compiler emits it).
//!
//! Bounded and allocation-free: at most [`MAX_LINE_OPS`] opcodes are run
//! per lookup (each consumes input, and offsets only move forward), so a
//! huge or hostile file costs bounded time; malformed or truncated input
//! yields `None`, never a panic. Only [`line_of`] allocates, fallibly.

use crate::line_header::{next_unit, LineHeader, Reader, Strings};
use crate::sections::section;
use alloc::string::String;
use core::fmt;

/// Most line-program opcodes one lookup runs (a little over 100 times what
/// the largest MelloOS user program has) before giving up.
pub const MAX_LINE_OPS: u32 = 1 << 22;

/// A source location: `dir` (possibly empty) joined to `file` by `/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceLine<'a> {
    pub dir: &'a str,
    pub file: &'a str,
    pub line: u32,
}

impl SourceLine<'_> {
    /// Length of the displayed path (`dir/file`).
    pub fn path_len(&self) -> usize {
        self.dir.len() + usize::from(!self.dir.is_empty()) + self.file.len()
    }
}

/// `dir/file:line`.
impl fmt::Display for SourceLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.dir.is_empty() {
            write!(f, "{}/", self.dir)?;
        }
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The source file and line of `addr`, the path as one string; `None`
/// without line tables, for an address they do not cover, on malformed
/// input, or when the string cannot be allocated.
pub fn line_of(elf: &[u8], addr: u64) -> Option<(String, u32)> {
    let at = source_line(elf, addr)?;
    let mut path = String::new();
    path.try_reserve_exact(at.path_len()).ok()?;
    if !at.dir.is_empty() {
        path.push_str(at.dir);
        path.push('/');
    }
    path.push_str(at.file);
    Some((path, at.line))
}

/// The source location of `addr`, borrowing from `elf` (no allocation).
pub fn source_line(elf: &[u8], addr: u64) -> Option<SourceLine<'_>> {
    let lines = section(elf, b".debug_line")?;
    let strings =
        Strings { line_str: section(elf, b".debug_line_str").unwrap_or(&[]), str: section(elf, b".debug_str").unwrap_or(&[]) };
    let mut units = Reader::new(lines);
    let mut budget = MAX_LINE_OPS;
    while !units.is_empty() {
        let (unit, offset_size) = next_unit(&mut units)?;
        let Some(header) = LineHeader::parse(unit, offset_size, strings) else { continue };
        match run(&header, addr, &mut budget) {
            Found::Row(file, line) => return location(&header, file, line),
            Found::NotHere => {}
            Found::GiveUp => return None,
        }
    }
    None
}

/// What running one unit's program found.
enum Found {
    /// The row covering the address: file index and line.
    Row(u64, u64),
    NotHere,
    /// Malformed program or budget spent.
    GiveUp,
}

// Standard and extended opcodes (DWARF 5, section 6.2.5).
const LNS_COPY: u8 = 1;
const LNS_ADVANCE_PC: u8 = 2;
const LNS_ADVANCE_LINE: u8 = 3;
const LNS_SET_FILE: u8 = 4;
const LNS_CONST_ADD_PC: u8 = 8;
const LNS_FIXED_ADVANCE_PC: u8 = 9;
const LNE_END_SEQUENCE: u8 = 1;
const LNE_SET_ADDRESS: u8 = 2;

/// The line-program state registers this lookup needs.
struct State {
    address: u64,
    op_index: u64,
    file: u64,
    line: u64,
}

impl State {
    fn new() -> Self {
        State { address: 0, op_index: 0, file: 1, line: 1 }
    }
    /// Advances by `ops` operations (VLIW-aware, as the standard says).
    fn advance(&mut self, h: &LineHeader, ops: u64) {
        let (len, max) = (u64::from(h.min_inst_len), u64::from(h.max_ops));
        let total = self.op_index.wrapping_add(ops);
        self.address = self.address.wrapping_add(len.wrapping_mul(total / max));
        self.op_index = total % max;
    }
}

/// Runs `h`'s program until a sequence covers `addr`.
fn run(h: &LineHeader, addr: u64, budget: &mut u32) -> Found {
    let mut r = Reader::new(h.program);
    let mut s = State::new();
    // The previous row of the current sequence, and where it started.
    let mut prev: Option<(u64, u64, u64)> = None;
    let mut start: Option<u64> = None;
    while !r.is_empty() {
        let Some(left) = budget.checked_sub(1) else { return Found::GiveUp };
        *budget = left;
        let Some(op) = r.u8() else { return Found::GiveUp };
        let mut row = false;
        let mut end = false;
        if op >= h.opcode_base {
            let adjusted = op - h.opcode_base;
            s.advance(h, u64::from(adjusted / h.line_range));
            let delta = i64::from(h.line_base) + i64::from(adjusted % h.line_range);
            s.line = s.line.wrapping_add(delta as u64);
            row = true;
        } else {
            let step = match op {
                0 => extended(&mut r, &mut s, &mut end),
                LNS_COPY => {
                    row = true;
                    Some(())
                }
                LNS_ADVANCE_PC => r.uleb().map(|n| s.advance(h, n)),
                LNS_ADVANCE_LINE => r.sleb().map(|d| s.line = s.line.wrapping_add(d as u64)),
                LNS_SET_FILE => r.uleb().map(|f| s.file = f),
                LNS_CONST_ADD_PC => {
                    s.advance(h, u64::from((255 - h.opcode_base) / h.line_range));
                    Some(())
                }
                LNS_FIXED_ADVANCE_PC => r.uint(2).map(|d| {
                    s.address = s.address.wrapping_add(d);
                    s.op_index = 0;
                }),
                // Column, flags, ISA...: only operands to skip.
                _ => (0..h.std_lengths[usize::from(op) - 1]).try_for_each(|_| r.uleb().map(|_| ())),
            };
            if step.is_none() {
                return Found::GiveUp;
            }
            row |= end;
        }
        if !row {
            continue;
        }
        if let (Some((a, file, line)), Some(first)) = (prev, start) {
            if first != 0 && a <= addr && addr < s.address {
                return Found::Row(file, line);
            }
        }
        prev = Some((s.address, s.file, s.line));
        start = start.or(Some(s.address));
        if end {
            (s, prev, start) = (State::new(), None, None);
        }
    }
    Found::NotHere
}

/// Runs one extended opcode (after its 0 byte); sets `end` at the end of
/// a sequence.
fn extended(r: &mut Reader, s: &mut State, end: &mut bool) -> Option<()> {
    let len = r.uleb()?;
    let mut body = Reader::new(r.bytes(usize::try_from(len).ok()?)?);
    match body.u8() {
        Some(LNE_END_SEQUENCE) => *end = true,
        Some(LNE_SET_ADDRESS) => {
            s.address = body.uint(usize::try_from(len - 1).ok()?.min(8))?;
            s.op_index = 0;
        }
        _ => {} // define_file, set_discriminator, vendor opcodes, or empty
    }
    Some(())
}

/// The path and line of file `file` in `h` (1-based before DWARF 5).
fn location<'a>(h: &LineHeader<'a>, file: u64, line: u64) -> Option<SourceLine<'a>> {
    let index = if h.version >= 5 { file } else { file.checked_sub(1)? };
    let entry = h.lookup(&h.files, true, index)?;
    let file = core::str::from_utf8(entry.path).ok()?;
    let line = u32::try_from(line).ok().filter(|&l| l != 0)?;
    if file.starts_with('/') {
        let (dir, file) = file.rsplit_once('/')?;
        return Some(SourceLine { dir: shorten(dir), file, line });
    }
    let dir = match (h.version >= 5, entry.dir) {
        (false, 0) => "",
        (false, d) => core::str::from_utf8(h.lookup(&h.dirs, false, d - 1)?.path).ok()?,
        (true, d) => core::str::from_utf8(h.lookup(&h.dirs, false, d)?.path).ok()?,
    };
    Some(SourceLine { dir: shorten(dir), file, line })
}

/// A directory inside the user-space workspace, relative to it.
fn shorten(dir: &str) -> &str {
    if dir == "userspace" || dir.ends_with("/userspace") {
        return "";
    }
    if let Some(rest) = dir.strip_prefix("userspace/") {
        return rest;
    }
    dir.split_once("/userspace/").map_or(dir, |(_, rest)| rest)
}
