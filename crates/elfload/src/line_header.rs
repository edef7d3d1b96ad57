//! DWARF line-program headers (`.debug_line`, DWARF 2 to 5, 32- and 64-bit
//! DWARF): a bounds-checked byte [`Reader`], the header of one unit, and
//! its directory and file tables.
//!
//! Nothing is allocated: the tables stay raw bytes and are walked again to
//! find entry `i` (DWARF 5's entry formats are kept raw too), so a hostile
//! header costs time proportional to its size and no memory. Every read is
//! checked; a malformed header yields `None`, never a panic.

/// A cursor over a byte slice; every read fails (`None`) past the end.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.buf.split_at_checked(n)?;
        self.buf = rest;
        Some(head)
    }
    pub fn u8(&mut self) -> Option<u8> {
        Some(self.bytes(1)?[0])
    }
    /// A little-endian unsigned value of `n` (at most 8) bytes.
    pub fn uint(&mut self, n: usize) -> Option<u64> {
        let b = self.bytes(n)?;
        (n <= 8).then(|| b.iter().rev().fold(0, |v, &x| (v << 8) | u64::from(x)))
    }
    pub fn uleb(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            value |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None // longer than 10 bytes: not a 64-bit value
    }
    pub fn sleb(&mut self) -> Option<i64> {
        let (mut value, mut shift) = (0i64, 0u32);
        loop {
            let b = self.u8()?;
            value |= i64::from(b & 0x7F).checked_shl(shift).unwrap_or(0);
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Some(value);
            }
            if shift >= 70 {
                return None;
            }
        }
    }
    /// A NUL-terminated string, without its NUL.
    pub fn cstr(&mut self) -> Option<&'a [u8]> {
        let end = self.buf.iter().position(|&b| b == 0)?;
        let s = self.bytes(end)?;
        self.bytes(1)?;
        Some(s)
    }
}

// DW_FORM_* values that may appear in DWARF 5 directory and file entries.
const FORM_BLOCK2: u64 = 0x03;
const FORM_BLOCK4: u64 = 0x04;
const FORM_DATA2: u64 = 0x05;
const FORM_DATA4: u64 = 0x06;
const FORM_DATA8: u64 = 0x07;
const FORM_STRING: u64 = 0x08;
const FORM_BLOCK: u64 = 0x09;
const FORM_BLOCK1: u64 = 0x0a;
const FORM_DATA1: u64 = 0x0b;
const FORM_FLAG: u64 = 0x0c;
const FORM_SDATA: u64 = 0x0d;
const FORM_STRP: u64 = 0x0e;
const FORM_UDATA: u64 = 0x0f;
const FORM_SEC_OFFSET: u64 = 0x17;
const FORM_STRX: u64 = 0x1a;
const FORM_STRP_SUP: u64 = 0x1d;
const FORM_DATA16: u64 = 0x1e;
const FORM_LINE_STRP: u64 = 0x1f;
const FORM_STRX1: u64 = 0x25;
const FORM_STRX4: u64 = 0x28;
// DW_LNCT_* content types.
const LNCT_PATH: u64 = 1;
const LNCT_DIRECTORY_INDEX: u64 = 2;

/// The string sections a DWARF 5 entry may point into.
#[derive(Clone, Copy, Default)]
pub(crate) struct Strings<'a> {
    /// `.debug_line_str` (`DW_FORM_line_strp`).
    pub line_str: &'a [u8],
    /// `.debug_str` (`DW_FORM_strp`).
    pub str: &'a [u8],
}

/// A directory or file table: its raw bytes, and for DWARF 5 its entry
/// format (`(content type, form)` ULEB pairs) and entry count.
#[derive(Clone)]
pub(crate) struct Table<'a> {
    raw: &'a [u8],
    format: &'a [u8],
    count: u64,
}

/// One decoded table entry: its path and (for files) directory index.
pub(crate) struct Entry<'a> {
    pub path: &'a [u8],
    pub dir: u64,
}

/// The header of one line-program unit.
pub(crate) struct LineHeader<'a> {
    pub version: u16,
    pub min_inst_len: u8,
    pub max_ops: u8,
    pub line_base: i8,
    pub line_range: u8,
    pub opcode_base: u8,
    /// Operand counts of standard opcodes `1..opcode_base`.
    pub std_lengths: &'a [u8],
    pub dirs: Table<'a>,
    pub files: Table<'a>,
    /// The line-number program itself.
    pub program: &'a [u8],
    offset_size: usize,
    strings: Strings<'a>,
}

/// Splits the next unit off `units`: `(unit bytes after the length field,
/// offset size 4 or 8)`; `None` if the length does not fit.
pub(crate) fn next_unit<'a>(units: &mut Reader<'a>) -> Option<(&'a [u8], usize)> {
    let (len, offset_size) = match units.uint(4)? {
        0xFFFF_FFFF => (units.uint(8)?, 8),
        n if n >= 0xFFFF_FFF0 => return None, // reserved
        n => (n, 4),
    };
    Some((units.bytes(usize::try_from(len).ok()?)?, offset_size))
}

impl<'a> LineHeader<'a> {
    /// Parses a unit (as returned by [`next_unit`]).
    pub fn parse(unit: &'a [u8], offset_size: usize, strings: Strings<'a>) -> Option<Self> {
        let mut r = Reader::new(unit);
        let version = r.uint(2)? as u16;
        if !(2..=5).contains(&version) {
            return None;
        }
        if version >= 5 {
            let _address_size = r.u8()?;
            let _segment_selector_size = r.u8()?;
        }
        let header_len = r.uint(offset_size)?;
        let program_at = (unit.len() - r.buf.len()).checked_add(usize::try_from(header_len).ok()?)?;
        let program = unit.get(program_at..)?;
        let min_inst_len = r.u8()?;
        let max_ops = if version >= 4 { r.u8()? } else { 1 };
        let _default_is_stmt = r.u8()?;
        let line_base = r.u8()? as i8;
        let line_range = r.u8()?;
        let opcode_base = r.u8()?;
        if line_range == 0 || opcode_base == 0 {
            return None;
        }
        let std_lengths = r.bytes(usize::from(opcode_base) - 1)?;
        let mut h = LineHeader {
            version,
            min_inst_len,
            max_ops: max_ops.max(1),
            line_base,
            line_range,
            opcode_base,
            std_lengths,
            dirs: Table { raw: &[], format: &[], count: 0 },
            files: Table { raw: &[], format: &[], count: 0 },
            program,
            offset_size,
            strings,
        };
        h.dirs = h.table(&mut r, false)?;
        h.files = h.table(&mut r, true)?;
        Some(h)
    }

    /// Reads a directory (`!files`) or file table off `r`, checking that
    /// every entry decodes.
    fn table(&self, r: &mut Reader<'a>, files: bool) -> Option<Table<'a>> {
        let mut t = Table { raw: r.buf, format: &[], count: 0 };
        if self.version >= 5 {
            let pairs = usize::from(r.u8()?);
            let start = r.buf;
            for _ in 0..2 * pairs {
                r.uleb()?;
            }
            t.format = &start[..start.len() - r.buf.len()];
            t.count = r.uleb()?;
            t.raw = r.buf;
            if t.format.is_empty() && t.count != 0 {
                return None; // entries of no bytes: a count that costs time, not input
            }
            for _ in 0..t.count {
                self.entry(r, &t, files)?;
            }
        } else {
            while self.entry(r, &t, files)?.is_some() {
                t.count += 1;
            }
        }
        Some(t)
    }

    /// Entry `i` of `table` (`files` says which table it is).
    pub fn lookup(&self, table: &Table<'a>, files: bool, i: u64) -> Option<Entry<'a>> {
        if i >= table.count {
            return None;
        }
        let mut r = Reader::new(table.raw);
        for _ in 0..i {
            self.entry(&mut r, table, files)?;
        }
        self.entry(&mut r, table, files)?
    }

    /// Decodes one entry off `r`: `Some(None)` is the end of a DWARF 2-4
    /// table (an empty name).
    fn entry(&self, r: &mut Reader<'a>, t: &Table<'a>, files: bool) -> Option<Option<Entry<'a>>> {
        if self.version < 5 {
            let path = r.cstr()?;
            if path.is_empty() {
                return Some(None);
            }
            let mut dir = 0;
            if files {
                dir = r.uleb()?;
                let _mtime = r.uleb()?;
                let _length = r.uleb()?;
            }
            return Some(Some(Entry { path, dir }));
        }
        let mut e = Entry { path: &[], dir: 0 };
        let mut format = Reader::new(t.format);
        while !format.is_empty() {
            let (content, form) = (format.uleb()?, format.uleb()?);
            match (content, self.value(r, form)?) {
                (LNCT_PATH, Value::Str(s)) => e.path = s,
                (LNCT_DIRECTORY_INDEX, Value::Num(n)) => e.dir = n,
                (LNCT_PATH | LNCT_DIRECTORY_INDEX, _) => return None,
                _ => {}
            }
        }
        Some(Some(e))
    }

    /// Reads one attribute value of `form` off `r`.
    fn value(&self, r: &mut Reader<'a>, form: u64) -> Option<Value<'a>> {
        let in_section = |sec: &'a [u8], off: u64| Reader::new(sec.get(usize::try_from(off).ok()?..)?).cstr();
        Some(match form {
            FORM_DATA1 | FORM_FLAG => Value::Num(r.uint(1)?),
            FORM_DATA2 => Value::Num(r.uint(2)?),
            FORM_DATA4 => Value::Num(r.uint(4)?),
            FORM_DATA8 => Value::Num(r.uint(8)?),
            FORM_UDATA => Value::Num(r.uleb()?),
            FORM_SDATA => Value::Num(r.sleb()? as u64),
            FORM_DATA16 => skip(r.bytes(16))?,
            FORM_BLOCK1 | FORM_BLOCK2 | FORM_BLOCK4 | FORM_BLOCK => {
                let n = match form {
                    FORM_BLOCK1 => r.uint(1)?,
                    FORM_BLOCK2 => r.uint(2)?,
                    FORM_BLOCK4 => r.uint(4)?,
                    _ => r.uleb()?,
                };
                skip(r.bytes(usize::try_from(n).ok()?))?
            }
            FORM_STRING => Value::Str(r.cstr()?),
            FORM_LINE_STRP => Value::Str(in_section(self.strings.line_str, r.uint(self.offset_size)?)?),
            FORM_STRP => Value::Str(in_section(self.strings.str, r.uint(self.offset_size)?)?),
            // Offsets into sections this reader does not follow
            // (supplementary files, string offset tables).
            FORM_SEC_OFFSET | FORM_STRP_SUP => skip(r.bytes(self.offset_size))?,
            FORM_STRX => {
                r.uleb()?;
                Value::Other
            }
            FORM_STRX1..=FORM_STRX4 => skip(r.bytes((form - FORM_STRX1 + 1) as usize))?,
            _ => return None,
        })
    }
}

/// A decoded attribute value.
enum Value<'a> {
    Num(u64),
    Str(&'a [u8]),
    /// Read past, not used.
    Other,
}

/// `Value::Other` once `read` succeeded.
fn skip<T>(read: Option<T>) -> Option<Value<'static>> {
    read.map(|_| Value::Other)
}
