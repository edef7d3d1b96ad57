//! Tests for the newc reader on archives written by hand (a small writer
//! below), on archives produced by the host's `cpio` (skipped if it is not
//! installed), and on truncated and mutated archives, which must produce
//! errors but never panic.

use cpio_newc::{checksum, Archive, CpioError, Entry, S_IFDIR, S_IFLNK, S_IFREG};
use std::process::Command;

/// Writes newc ("070701") or crc ("070702") archives.
struct Writer {
    out: Vec<u8>,
    crc: bool,
    ino: u32,
}

impl Writer {
    fn new(crc: bool) -> Self {
        Writer {
            out: Vec::new(),
            crc,
            ino: 1,
        }
    }

    /// Appends one entry. `namesize` overrides the name length field.
    fn raw(&mut self, name: &[u8], namesize: usize, mode: u32, data: &[u8]) -> &mut Self {
        let check = if self.crc { checksum(data) } else { 0 };
        let fields = [
            self.ino,
            mode,
            0,
            0,
            1,
            0,
            data.len() as u32,
            0,
            0,
            0,
            0,
            namesize as u32,
            check,
        ];
        self.out
            .extend_from_slice(if self.crc { b"070702" } else { b"070701" });
        for f in fields {
            self.out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.out.extend_from_slice(name);
        self.out.push(0);
        self.pad();
        self.out.extend_from_slice(data);
        self.pad();
        self.ino += 1;
        self
    }

    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) -> &mut Self {
        self.raw(name.as_bytes(), name.len() + 1, mode, data)
    }

    fn pad(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }

    /// Appends the trailer and pads to 512 bytes, as cpio does.
    fn finish(&mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, b"");
        self.out.resize(self.out.len().next_multiple_of(512), 0);
        std::mem::take(&mut self.out)
    }
}

/// A small initramfs: a directory, two files (odd sizes), a symlink.
fn sample(crc: bool) -> Vec<u8> {
    Writer::new(crc)
        .entry(".", S_IFDIR | 0o755, b"")
        .entry("bin", S_IFDIR | 0o755, b"")
        .entry("bin/init", S_IFREG | 0o755, b"\x7fELF pretend")
        .entry("etc/motd", S_IFREG | 0o644, b"hello, world\n")
        .entry("sbin", S_IFLNK | 0o777, b"bin")
        .entry("empty", S_IFREG | 0o600, b"")
        .finish()
}

fn names(archive: &Archive) -> Vec<String> {
    archive
        .iter()
        .map(|e| e.unwrap().name.to_string())
        .collect()
}

#[test]
fn iterates_entries_in_order_and_stops_at_trailer() {
    for crc in [false, true] {
        let bytes = sample(crc);
        let archive = Archive::new(&bytes);
        assert_eq!(
            names(&archive),
            [".", "bin", "bin/init", "etc/motd", "sbin", "empty"]
        );
        assert_eq!(archive.validate(), Ok(6));
        let init = archive.iter().nth(2).unwrap().unwrap();
        assert!(init.is_file() && !init.is_dir() && !init.is_symlink());
        assert_eq!(
            (init.data, init.permissions(), init.ino),
            (&b"\x7fELF pretend"[..], 0o755, 3)
        );
        let bin = archive.iter().nth(1).unwrap().unwrap();
        assert!(bin.is_dir() && !bin.is_file());
        let link = archive.get("sbin").unwrap();
        assert!(link.is_symlink() && link.data == b"bin");
    }
}

#[test]
fn find_normalizes_paths_and_matches_only_files() {
    let bytes = sample(false);
    let archive = Archive::new(&bytes);
    for path in ["/bin/init", "bin/init", "./bin/init"] {
        assert_eq!(
            archive.find(path).map(|e| e.data),
            Some(&b"\x7fELF pretend"[..]),
            "{path}"
        );
    }
    assert_eq!(archive.find("/etc/motd").unwrap().data, b"hello, world\n");
    assert_eq!(archive.find("/empty").unwrap().data, b"");
    assert_eq!(archive.find("/bin"), None, "directories are not files");
    assert_eq!(archive.find("/sbin"), None, "symlinks are not files");
    assert!(archive.get("/bin").is_some());
    assert_eq!(archive.find("/bin/ini"), None);
    assert_eq!(archive.find("/bin/init/"), None);
    assert_eq!(archive.find("TRAILER!!!"), None);
    // Entries stored with a "./" prefix are found too.
    let dotted = Writer::new(false)
        .entry("./bin/sh", S_IFREG | 0o755, b"sh")
        .finish();
    assert_eq!(
        Archive::new(&dotted).find("/bin/sh").unwrap().name,
        "./bin/sh"
    );
}

#[test]
fn empty_archive_and_missing_trailer() {
    let only_trailer = Writer::new(false).finish();
    assert_eq!(Archive::new(&only_trailer).validate(), Ok(0));
    assert_eq!(
        Archive::new(b"").iter().next(),
        Some(Err(CpioError::MissingTrailer))
    );
    let mut w = Writer::new(false);
    w.entry("a", S_IFREG, b"x");
    let no_trailer = std::mem::take(&mut w.out);
    let results: Vec<_> = Archive::new(&no_trailer).iter().collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert_eq!(results[1], Err(CpioError::MissingTrailer));
}

/// The first error iterating `bytes` (or `Ok` if none).
fn first_error(bytes: &[u8]) -> Result<usize, CpioError> {
    Archive::new(bytes).validate()
}

#[test]
fn malformed_headers_are_reported() {
    let good = sample(false);
    let mut bad = good.clone();
    bad[..6].copy_from_slice(b"070707"); // Old ASCII format: not supported.
    assert_eq!(first_error(&bad), Err(CpioError::BadMagic));
    let mut bad = good.clone();
    bad[6 + 8 * 6 + 3] = b'z'; // Inside filesize.
    assert_eq!(first_error(&bad), Err(CpioError::BadHexField));
    assert_eq!(first_error(&good[..50]), Err(CpioError::TruncatedHeader));
    // Garbage after a good entry where the next header should be.
    let mut w = Writer::new(false);
    w.entry("a", S_IFREG, b"1234");
    w.out.extend_from_slice(&[b'0'; 200]);
    assert_eq!(first_error(&w.out), Err(CpioError::BadMagic));
}

#[test]
fn malformed_names_are_reported() {
    let zero = Writer::new(false).raw(b"", 0, S_IFREG, b"").finish();
    assert_eq!(first_error(&zero), Err(CpioError::BadName));
    // namesize one short: the name's last byte is 'e', not NUL.
    let short = Writer::new(false).raw(b"name", 4, S_IFREG, b"").finish();
    assert_eq!(first_error(&short), Err(CpioError::BadName));
    let huge = Writer::new(false)
        .raw(b"name", 0xffff_ffff, S_IFREG, b"")
        .finish();
    assert_eq!(first_error(&huge), Err(CpioError::BadName));
    let latin1 = Writer::new(false).raw(b"caf\xe9", 5, S_IFREG, b"").finish();
    assert_eq!(first_error(&latin1), Err(CpioError::NameNotUtf8));
}

#[test]
fn data_past_end_and_bad_checksum_are_reported() {
    let mut w = Writer::new(false);
    w.entry("big", S_IFREG, &[7; 100]);
    let cut = &w.out[..w.out.len() - 10];
    assert_eq!(first_error(cut), Err(CpioError::DataPastEnd));
    let mut crc = sample(true);
    let init_data = crc.windows(4).position(|w| w == b"\x7fELF").unwrap();
    crc[init_data + 1] ^= 1;
    assert_eq!(first_error(&crc), Err(CpioError::BadChecksum));
    assert_eq!(Archive::new(&crc).find("/bin/init"), None);
    // Entries before the damage are still found.
    assert!(Archive::new(&crc).get("/bin").is_some());
}

#[test]
fn iteration_is_fused_after_an_error() {
    let bytes = b"070701garbage";
    let mut it = Archive::new(bytes).iter();
    assert!(matches!(it.next(), Some(Err(_))));
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);
}

/// Iterates everything and looks a few paths up; returns the outcome.
fn exercise(bytes: &[u8]) -> Result<usize, CpioError> {
    let archive = Archive::new(bytes);
    let count = archive.iter().take(bytes.len() / 112 + 2).count();
    assert!(count <= bytes.len() / 112 + 1, "iterator did not terminate");
    for path in ["/bin/init", "etc/motd"] {
        let _: Option<Entry> = archive.find(path);
    }
    archive.validate()
}

/// Offset just past the trailer's name and its padding: cutting there or
/// later loses nothing.
fn trailer_end(bytes: &[u8]) -> usize {
    let name = bytes.windows(10).position(|w| w == b"TRAILER!!!").unwrap();
    (name + 11).next_multiple_of(4)
}

fn fuzz(bytes: &[u8]) {
    assert!(exercise(bytes).is_ok());
    let complete = trailer_end(bytes);
    for len in 0..bytes.len() {
        let result = exercise(&bytes[..len]);
        assert_eq!(
            result.is_ok(),
            len >= complete,
            "truncated to {len} bytes: {result:?}"
        );
    }
    for i in 0..bytes.len() {
        for value in [0u8, b'f', b'g', bytes[i] ^ 0x01, bytes[i] ^ 0x80] {
            let mut mutated = bytes.to_vec();
            mutated[i] = value;
            let _ = exercise(&mutated);
        }
    }
}

#[test]
fn truncated_or_mutated_archives_never_panic() {
    fuzz(&sample(false));
    fuzz(&sample(true));
}

/// Builds an archive of a temporary tree with the host's `cpio -o -H
/// <format>`, or `None` if that is not possible here.
fn host_cpio(format: &str) -> Option<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("cpio-newc-{format}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bin")).ok()?;
    std::fs::create_dir_all(dir.join("etc")).ok()?;
    std::fs::write(dir.join("bin/init"), b"#!init\n").ok()?;
    std::fs::write(dir.join("etc/motd"), vec![b'm'; 1001]).ok()?;
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd '{}' && find . | LC_ALL=C sort | cpio -o -H {format} 2>/dev/null",
            dir.display()
        ))
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match output {
        Ok(out) if out.status.success() && !out.stdout.is_empty() => Some(out.stdout),
        _ => {
            eprintln!("skipping: host `cpio -o -H {format}` unavailable");
            None
        }
    }
}

#[test]
fn reads_archives_made_by_host_cpio() {
    for format in ["newc", "crc"] {
        let Some(bytes) = host_cpio(format) else {
            return;
        };
        let archive = Archive::new(&bytes);
        // GNU cpio strips the leading "./" from names.
        assert_eq!(names(&archive), [".", "bin", "bin/init", "etc", "etc/motd"]);
        assert_eq!(archive.find("/bin/init").unwrap().data, b"#!init\n");
        assert_eq!(archive.find("etc/motd").unwrap().data, &[b'm'; 1001][..]);
        assert!(archive.get("/etc").unwrap().is_dir());
        assert!(archive.iter().all(|e| e.unwrap().mtime > 0));
        fuzz(&bytes);
    }
}
