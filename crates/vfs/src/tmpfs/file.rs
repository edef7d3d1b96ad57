//! Regular-file contents for tmpfs: 4 KiB pages stored sparsely.
//!
//! A page exists only where data has been written; everything else below
//! `size` is a hole and reads as zeros. `blocks` counts allocated pages
//! (8 sectors of 512 bytes each), so holes do not count, as in Linux tmpfs.
//!
//! Invariants: no page lies wholly at or past `size` (truncation drops
//! them), and the bytes of the last page past `size` are zero, so growing
//! the file again exposes zeros. Accessed under the filesystem's lock.

use crate::types::MAX_FILE_SIZE;
use crate::Result;
use alloc::boxed::Box;
use fallible::{try_zeroed, SortedMap};
use mello_abi::Errno;

/// Size of one page of file data.
pub const PAGE_SIZE: usize = 4096;
const PAGE: u64 = PAGE_SIZE as u64;

/// A stretch of a read: bytes of one page, or so many bytes of a hole.
enum Piece<'a> {
    Data(&'a [u8]),
    Hole(usize),
}

impl Piece<'_> {
    fn len(&self) -> usize {
        match self {
            Piece::Data(data) => data.len(),
            Piece::Hole(n) => *n,
        }
    }
}

/// The data of one regular file.
#[derive(Default)]
pub(super) struct FileData {
    size: u64,
    /// Page index -> page contents (always `PAGE_SIZE` bytes).
    pages: SortedMap<u64, Box<[u8]>>,
}

impl FileData {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Allocated 512-byte blocks.
    pub fn blocks(&self) -> u64 {
        self.pages.len() as u64 * (PAGE / 512)
    }

    /// Copies bytes at `offset` into `buf`; returns how many (0 at or past
    /// the end of the file).
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        let mut done = 0;
        self.for_each_piece(offset, buf.len(), |piece| {
            let out = &mut buf[done..done + piece.len()];
            match piece {
                Piece::Data(data) => out.copy_from_slice(data),
                Piece::Hole(_) => out.fill(0),
            }
            done += out.len();
        })
    }

    /// Appends up to `len` bytes from `offset` to `out` (which has room
    /// for them: nothing is allocated then), copying each page once and
    /// zeroing only holes; returns how many.
    pub fn read_append(&self, offset: u64, len: usize, out: &mut alloc::vec::Vec<u8>) -> usize {
        self.for_each_piece(offset, len, |piece| match piece {
            Piece::Data(data) => out.extend_from_slice(data),
            Piece::Hole(n) => out.resize(out.len() + n, 0),
        })
    }

    /// Calls `f` on the consecutive pieces (a page's data, or a hole's
    /// length) of the up to `len` bytes from `offset`; returns their total.
    fn for_each_piece(&self, offset: u64, len: usize, mut f: impl FnMut(Piece<'_>)) -> usize {
        if offset >= self.size {
            return 0;
        }
        let len = (self.size - offset).min(len as u64) as usize;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let (index, within) = (pos / PAGE, (pos % PAGE) as usize);
            let n = (PAGE_SIZE - within).min(len - done);
            f(match self.pages.get(&index) {
                Some(page) => Piece::Data(&page[within..within + n]),
                None => Piece::Hole(n),
            });
            done += n;
        }
        len
    }

    /// Writes `data` at `offset`, allocating pages as needed and growing the
    /// file. Returns the bytes written: all of them, or fewer if the write
    /// would pass [`MAX_FILE_SIZE`] or memory ran out after some were
    /// written; `EFBIG` if `offset` is already there, `ENOMEM` if not even
    /// the first page could be allocated.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let len = (MAX_FILE_SIZE - offset).min(data.len() as u64) as usize;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let (index, within) = (pos / PAGE, (pos % PAGE) as usize);
            let n = (PAGE_SIZE - within).min(len - done);
            if !self.pages.contains_key(&index) {
                let added = try_zeroed(PAGE_SIZE).and_then(|page| self.pages.try_insert(index, page));
                if added.is_err() {
                    break;
                }
            }
            let page = self.pages.get_mut(&index).expect("page present or just added");
            page[within..within + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        if done == 0 {
            return Err(Errno::ENOMEM);
        }
        self.size = self.size.max(offset + done as u64);
        Ok(done)
    }

    /// Sets the size. Shrinking frees the pages past the new end and zeroes
    /// the tail of a partial last page; growing leaves a hole.
    pub fn truncate(&mut self, size: u64) -> Result<()> {
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        if size < self.size {
            let keep = size.div_ceil(PAGE);
            self.pages.retain(|&index, _| index < keep);
            let within = (size % PAGE) as usize;
            if within != 0 {
                if let Some(page) = self.pages.get_mut(&(size / PAGE)) {
                    page[within..].fill(0);
                }
            }
        }
        self.size = size;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_pages() {
        let mut f = FileData::default();
        assert_eq!(f.write(3 * PAGE + 10, b"abc"), Ok(3));
        assert_eq!(f.size(), 3 * PAGE + 13);
        assert_eq!(f.blocks(), 8);
        let mut buf = [1u8; 20];
        assert_eq!(f.read(3 * PAGE, &mut buf), 13);
        assert_eq!(&buf[..13], b"\0\0\0\0\0\0\0\0\0\0abc");
        assert_eq!(f.read(3 * PAGE + 13, &mut buf), 0);
    }

    #[test]
    fn write_across_pages_and_shrink() {
        let mut f = FileData::default();
        let data = alloc::vec![7u8; PAGE_SIZE + 2];
        assert_eq!(f.write(PAGE - 1, &data), Ok(PAGE_SIZE + 2));
        assert_eq!(f.blocks(), 24);
        f.truncate(PAGE + 1).unwrap();
        assert_eq!(f.blocks(), 16);
        f.truncate(2 * PAGE).unwrap();
        let mut buf = [9u8; 2];
        assert_eq!(f.read(PAGE, &mut buf), 2);
        assert_eq!(buf, [7, 0]);
        assert_eq!(f.write(MAX_FILE_SIZE, b"x"), Err(Errno::EFBIG));
        assert_eq!(f.truncate(MAX_FILE_SIZE + 1), Err(Errno::EFBIG));
    }
}
