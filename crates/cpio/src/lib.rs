//! Reader for cpio "newc" archives, the format of Linux-style initramfs
//! images (`find . | cpio -o -H newc`), and its "crc" variant (`-H crc`).
//!
//! An archive is a sequence of entries, each:
//!
//! ```text
//! header   110 ASCII bytes: magic "070701" (or "070702"), then 13 fields of
//!          8 hex digits: ino mode uid gid nlink mtime filesize devmajor
//!          devminor rdevmajor rdevminor namesize check
//! name     namesize bytes, including a terminating NUL
//! padding  to a multiple of 4 bytes (counted from the archive start)
//! data     filesize bytes (file contents, or a symlink's target)
//! padding  to a multiple of 4 bytes
//! ```
//!
//! The entry named `TRAILER!!!` ends the archive; anything after it (cpio
//! pads to 512 bytes) is ignored. For "070702" entries, `check` is the
//! 32-bit wrapping sum of the data bytes, and it is verified.
//!
//! Everything borrows from the archive bytes: no allocation, no copying.
//! Malformed input (bad magic, non-hex fields, lengths past the end, names
//! that are not NUL-terminated UTF-8, a missing trailer) yields a
//! [`CpioError`] and ends iteration; it never panics. Hard links are
//! reported as stored (newc keeps the data only on the last link).
#![no_std]
#![forbid(unsafe_code)]

/// Size of an entry header in bytes.
pub const HEADER_LEN: usize = 110;
/// Name of the entry that ends an archive.
pub const TRAILER: &str = "TRAILER!!!";

/// File-type bits of `mode`, and the values for the types we recognise.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFLNK: u32 = 0o120000;

/// What is wrong with a malformed archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpioError {
    /// The header does not start with "070701" or "070702".
    BadMagic,
    /// Fewer than `HEADER_LEN` bytes remain where a header should be.
    TruncatedHeader,
    /// A header field contains something other than 8 hex digits.
    BadHexField,
    /// The name is empty, not NUL-terminated, or runs past the end.
    BadName,
    /// The name is not valid UTF-8.
    NameNotUtf8,
    /// The file data runs past the end of the archive.
    DataPastEnd,
    /// A "070702" entry's data does not match its checksum.
    BadChecksum,
    /// The archive ended without a `TRAILER!!!` entry.
    MissingTrailer,
}

/// One archive member, borrowing from the archive bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path as stored, e.g. `"./bin/init"` or `"bin/init"`.
    pub name: &'a str,
    /// File type and permission bits (`S_IF*` | `0o7777`).
    pub mode: u32,
    /// File contents (for a symlink: its target).
    pub data: &'a [u8],
    pub ino: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub mtime: u32,
    /// Device holding the original file (with `ino`, identifies hard links).
    pub dev_major: u32,
    pub dev_minor: u32,
    /// For a character or block device node: the device it stands for.
    pub rdev_major: u32,
    pub rdev_minor: u32,
}

impl Entry<'_> {
    /// Whether this is a regular file.
    pub fn is_file(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// Whether this is a symbolic link (its target is in `data`).
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }

    /// Permission bits (including setuid, setgid and sticky).
    pub fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }
}

/// A cpio newc archive held in memory.
#[derive(Clone, Copy, Debug)]
pub struct Archive<'a> {
    bytes: &'a [u8],
}

impl<'a> Archive<'a> {
    /// Wraps archive bytes. Nothing is parsed until iteration.
    pub fn new(bytes: &'a [u8]) -> Self {
        Archive { bytes }
    }

    /// The entries in order, up to (not including) the trailer. After an
    /// error the iterator yields nothing more.
    pub fn iter(&self) -> Entries<'a> {
        Entries {
            bytes: self.bytes,
            offset: Some(0),
        }
    }

    /// Walks the whole archive; returns the number of entries (without the
    /// trailer) or the first error.
    pub fn validate(&self) -> Result<usize, CpioError> {
        self.iter()
            .try_fold(0, |count, entry| entry.map(|_| count + 1))
    }

    /// The regular file at `path`. `"/bin/init"`, `"bin/init"` and
    /// `"./bin/init"` all name the same file, however the archive spells it.
    /// Returns `None` if there is no such file or the archive is malformed
    /// before it.
    pub fn find(&self, path: &str) -> Option<Entry<'a>> {
        self.get(path).filter(Entry::is_file)
    }

    /// Like [`find`](Self::find), but returns an entry of any type.
    pub fn get(&self, path: &str) -> Option<Entry<'a>> {
        let wanted = normalize(path);
        self.iter()
            .map_while(Result::ok)
            .find(|entry| normalize(entry.name) == wanted)
    }
}

impl<'a> IntoIterator for &Archive<'a> {
    type Item = Result<Entry<'a>, CpioError>;
    type IntoIter = Entries<'a>;

    fn into_iter(self) -> Entries<'a> {
        self.iter()
    }
}

/// Iterator over an archive's entries; see [`Archive::iter`].
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    bytes: &'a [u8],
    /// Offset of the next header; `None` once finished.
    offset: Option<usize>,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, CpioError>;

    fn next(&mut self) -> Option<Self::Item> {
        let offset = self.offset.take()?;
        if offset >= self.bytes.len() {
            return Some(Err(CpioError::MissingTrailer));
        }
        match parse_entry(self.bytes, offset) {
            Ok((entry, _)) if entry.name == TRAILER => None,
            Ok((entry, next)) => {
                self.offset = Some(next);
                Some(Ok(entry))
            }
            Err(error) => Some(Err(error)),
        }
    }
}

/// Parses the entry whose header starts at `offset`; returns it and the
/// offset of the following header.
fn parse_entry(bytes: &[u8], offset: usize) -> Result<(Entry<'_>, usize), CpioError> {
    let header = bytes
        .get(offset..offset.saturating_add(HEADER_LEN))
        .ok_or(CpioError::TruncatedHeader)?;
    let has_checksum = match &header[..6] {
        b"070701" => false,
        b"070702" => true,
        _ => return Err(CpioError::BadMagic),
    };
    // Field `i` (0 = ino ... 12 = check) of the 13 hex fields after the magic.
    let field = |i: usize| parse_hex(&header[6 + 8 * i..14 + 8 * i]);
    let file_size = field(6)? as usize;
    let name_size = field(11)? as usize;
    let check = field(12)?;

    let name_start = offset + HEADER_LEN;
    let name_end = name_start
        .checked_add(name_size)
        .ok_or(CpioError::BadName)?;
    let name = match bytes.get(name_start..name_end) {
        Some([name @ .., 0]) => name,
        _ => return Err(CpioError::BadName),
    };
    let name = core::str::from_utf8(name).map_err(|_| CpioError::NameNotUtf8)?;

    let data_start = align4(name_end).ok_or(CpioError::DataPastEnd)?;
    let data_end = data_start
        .checked_add(file_size)
        .ok_or(CpioError::DataPastEnd)?;
    let data = bytes
        .get(data_start..data_end)
        .ok_or(CpioError::DataPastEnd)?;
    if has_checksum && checksum(data) != check {
        return Err(CpioError::BadChecksum);
    }
    let entry = Entry {
        name,
        mode: field(1)?,
        data,
        ino: field(0)?,
        uid: field(2)?,
        gid: field(3)?,
        nlink: field(4)?,
        mtime: field(5)?,
        dev_major: field(7)?,
        dev_minor: field(8)?,
        rdev_major: field(9)?,
        rdev_minor: field(10)?,
    };
    // A missing final padding only matters if another header follows, and
    // then the next parse reports it as truncated.
    Ok((entry, align4(data_end).unwrap_or(usize::MAX)))
}

/// Parses exactly 8 ASCII hex digits (either case).
fn parse_hex(digits: &[u8]) -> Result<u32, CpioError> {
    digits.iter().try_fold(0u32, |value, &digit| {
        let nibble = (digit as char).to_digit(16).ok_or(CpioError::BadHexField)?;
        Ok(value << 4 | nibble)
    })
}

/// The "070702" checksum: wrapping sum of all data bytes.
pub fn checksum(data: &[u8]) -> u32 {
    data.iter()
        .fold(0u32, |sum, &b| sum.wrapping_add(u32::from(b)))
}

/// `value` rounded up to a multiple of 4.
fn align4(value: usize) -> Option<usize> {
    Some(value.checked_add(3)? & !3)
}

/// Strips any mix of leading `/` and `./` so equivalent spellings compare
/// equal: `"/bin/init"`, `"./bin/init"` and `"bin/init"` all become
/// `"bin/init"`.
pub fn normalize(path: &str) -> &str {
    let mut path = path;
    loop {
        if let Some(rest) = path.strip_prefix("./") {
            path = rest;
        } else if let Some(rest) = path.strip_prefix('/') {
            path = rest;
        } else {
            return path;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_fields() {
        assert_eq!(parse_hex(b"0000000a"), Ok(10));
        assert_eq!(parse_hex(b"DEADbeef"), Ok(0xdead_beef));
        assert_eq!(parse_hex(b"ffffffff"), Ok(u32::MAX));
        assert_eq!(parse_hex(b"0000000g"), Err(CpioError::BadHexField));
        assert_eq!(parse_hex(b"+0000001"), Err(CpioError::BadHexField));
        assert_eq!(parse_hex(b" 0000001"), Err(CpioError::BadHexField));
    }

    #[test]
    fn path_normalization() {
        for path in [
            "/bin/init",
            "bin/init",
            "./bin/init",
            "//bin/init",
            "/./bin/init",
        ] {
            assert_eq!(normalize(path), "bin/init", "{path}");
        }
        assert_eq!(normalize("."), ".");
        assert_eq!(normalize("/"), "");
        assert_eq!(normalize("bin/./init"), "bin/./init");
    }

    #[test]
    fn device_numbers() {
        // /dev/console: character device 5:1, on device 8:2, inode 7.
        let mut a = [0u8; 256];
        let mut n = 0;
        for piece in [
            "070701", "00000007", "00002180", "00000000", "00000000", "00000001", "00000000",
            "00000000", "00000008", "00000002", "00000005", "00000001", "00000008", "00000000",
            "console\0", "\0\0",
        ] {
            a[n..n + piece.len()].copy_from_slice(piece.as_bytes());
            n += piece.len();
        }
        let e = parse_entry(&a[..n], 0).unwrap().0;
        assert_eq!((e.name, e.mode, e.ino), ("console", 0o20600, 7));
        assert_eq!((e.dev_major, e.dev_minor, e.rdev_major, e.rdev_minor), (8, 2, 5, 1));
    }

    #[test]
    fn alignment_and_checksum() {
        assert_eq!(align4(0), Some(0));
        assert_eq!(align4(1), Some(4));
        assert_eq!(align4(4), Some(4));
        assert_eq!(align4(usize::MAX), None);
        assert_eq!(checksum(b""), 0);
        assert_eq!(checksum(&[0xff; 3]), 765);
    }
}
