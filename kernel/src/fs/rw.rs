//! Moving bytes between inode files and memory, shared by `read`/`write`
//! (at the description's position) and `pread`/`pwrite`/`sendfile` (at an
//! explicit offset): [`inode_read`] into user memory, [`inode_write`] from a
//! [`Src`] (user memory, or a kernel buffer for `sendfile`).
//!
//! Data moves through a kernel buffer of at most `CHUNK` bytes: each piece
//! is one filesystem call (its instance lock held only for that call), and
//! user memory is copied with no filesystem lock held. A fault after some
//! bytes moved ends the transfer with their count (Linux's short read or
//! write); a fault before any is `EFAULT`. The caller holds the position
//! lock if there is one.

use super::mounts;
use crate::mm::uaccess::UserSlice;
use alloc::vec::Vec;
use mello_abi::Errno;
use vfs::Location;

/// Largest piece moved through a kernel buffer at once.
pub const CHUNK: usize = 64 * 1024;

/// Where the bytes of a write come from.
#[derive(Clone, Copy)]
pub enum Src<'a> {
    /// User memory at this address (the caller validated the range).
    User(usize),
    /// A kernel buffer.
    Kernel(&'a [u8]),
}

impl Src<'_> {
    /// `n` bytes from offset `at` of the source.
    pub fn fetch(&self, at: usize, n: usize) -> Result<Vec<u8>, Errno> {
        match self {
            Src::User(addr) => UserSlice::new(addr + at, n)?.read_vec(),
            Src::Kernel(buf) => buf.get(at..at + n).map(<[u8]>::to_vec).ok_or(Errno::EFAULT),
        }
    }

    /// Copy `out.len()` bytes from offset `at` into `out`.
    pub fn fetch_into(&self, at: usize, out: &mut [u8]) -> Result<(), Errno> {
        match self {
            Src::User(addr) => UserSlice::new(addr + at, out.len())?.read_into(out),
            Src::Kernel(buf) => {
                out.copy_from_slice(buf.get(at..at + out.len()).ok_or(Errno::EFAULT)?);
                Ok(())
            }
        }
    }
}

/// Read up to `len` bytes of the regular file at `loc` from offset `pos`
/// into user memory at `addr`; returns the count (0 at the end).
pub fn inode_read(loc: Location, pos: u64, addr: usize, len: usize) -> Result<usize, Errno> {
    // Filled by `read_append` (no zeroing first), emptied for each piece.
    let mut buf = Vec::with_capacity(len.min(CHUNK));
    let mut done = 0;
    while done < len {
        let want = (len - done).min(CHUNK);
        let at = pos + done as u64;
        buf.clear();
        let n = match mounts::with_fs(loc, |fs| fs.read_append(loc.ino, at, want, &mut buf, mounts::now())) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        // A buffer that runs into an inaccessible page: what was copied
        // counts (Linux's filemap_read), EFAULT only if nothing was.
        let copied = UserSlice::new(addr + done, n)?.write_partial(&buf[..n]);
        done += copied;
        if copied < n {
            return if done > 0 { Ok(done) } else { Err(Errno::EFAULT) };
        }
        if n < want {
            break;
        }
    }
    Ok(done)
}

/// Read up to `out.len()` bytes of the regular file at `loc` from `pos`
/// into a kernel buffer (for `sendfile`).
pub fn inode_read_kernel(loc: Location, pos: u64, out: &mut [u8]) -> Result<usize, Errno> {
    mounts::with_fs(loc, |fs| fs.read(loc.ino, pos, out, mounts::now()))
}

/// Write `len` bytes from `src` to the file at `loc`, at `pos`, or at its
/// end if `append` (the end is looked up in the same filesystem call as
/// each piece's write). Returns (the offset after the last byte written,
/// the count).
pub fn inode_write(loc: Location, pos: u64, append: bool, src: Src<'_>, len: usize) -> Result<(u64, usize), Errno> {
    let mut done = 0;
    let mut end = pos;
    while done < len {
        let n = (len - done).min(CHUNK);
        let data = match src.fetch(done, n) {
            Ok(data) => data,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let at = end;
        let wrote = mounts::with_fs(loc, |fs| {
            let off = if append { fs.getattr(loc.ino)?.size } else { at };
            let n = fs.write(loc.ino, off, &data, mounts::now())?;
            Ok((off, n))
        });
        match wrote {
            Ok((off, n)) => {
                end = off + n as u64;
                done += n;
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok((end, done))
}
