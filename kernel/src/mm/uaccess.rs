//! Validated access to user memory.
//!
//! Every user pointer the kernel follows goes through [`UserSlice`]: the
//! constructor rejects ranges that wrap, leave the lower canonical half
//! (kernel or non-canonical addresses) or start in the never-mapped first
//! 64 KiB; the copies run in the fault-tolerant `usercopy` routine, so an
//! unmapped or protected page turns into `EFAULT` instead of a kernel
//! fault. Nothing is ever read from or written to a user address any other
//! way, so the kernel cannot be tricked into leaking or overwriting its own
//! memory.
//!
//! Rule: never hold an address-space lock across these copies (a
//! copy-on-write fault inside takes that lock).

use crate::arch::usercopy;
use mello_abi::Errno;
use alloc::vec::Vec;
use mello_abi::limits::{USER_END, USER_START};

/// A validated range of user memory.
#[derive(Clone, Copy, Debug)]
pub struct UserSlice {
    addr: usize,
    len: usize,
}

impl UserSlice {
    /// Validate `[addr, addr + len)` as a user range.
    pub fn new(addr: usize, len: usize) -> Result<Self, Errno> {
        let end = addr.checked_add(len).ok_or(Errno::EFAULT)?;
        if len > 0 && (addr < USER_START || end > USER_END) {
            return Err(Errno::EFAULT);
        }
        Ok(UserSlice { addr, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Copy the whole range into `dst` (`dst.len() == len`).
    pub fn read_into(&self, dst: &mut [u8]) -> Result<(), Errno> {
        assert_eq!(dst.len(), self.len);
        // SAFETY: `dst` is a kernel buffer of `len` bytes; the source range
        // was validated to lie in user space; faults are fixed up.
        let left = unsafe { usercopy::copy_raw(dst.as_mut_ptr(), self.addr as *const u8, self.len) };
        if left == 0 { Ok(()) } else { Err(Errno::EFAULT) }
    }

    /// Copy the whole range into a new vector.
    pub fn read_vec(&self) -> Result<Vec<u8>, Errno> {
        let mut v = Vec::new();
        fallible::in_scope(|| v.try_reserve_exact(self.len)).map_err(|_| Errno::ENOMEM)?;
        v.resize(self.len, 0);
        self.read_into(&mut v)?;
        Ok(v)
    }

    /// Copy `src` to the start of the range (`src.len() <= len`).
    pub fn write_from(&self, src: &[u8]) -> Result<(), Errno> {
        if self.write_partial(src) == src.len() { Ok(()) } else { Err(Errno::EFAULT) }
    }

    /// Copy as much of `src` to the start of the range as is writable
    /// (`src.len() <= len`): the bytes copied, which stop exactly at the
    /// first inaccessible byte (`read` then returns that count, as Linux's).
    pub fn write_partial(&self, src: &[u8]) -> usize {
        assert!(src.len() <= self.len);
        // SAFETY: `src` is a kernel buffer; the destination was validated to
        // lie in user space; faults are fixed up.
        let left = unsafe { usercopy::copy_raw(self.addr as *mut u8, src.as_ptr(), src.len()) };
        src.len() - left
    }
}

/// Read a plain value (`u64`, `usize`, ...) from user address `addr`.
pub fn read_u64(addr: usize) -> Result<u64, Errno> {
    let mut bytes = [0u8; 8];
    UserSlice::new(addr, 8)?.read_into(&mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}

/// Write an `i32` to user address `addr`.
pub fn write_i32(addr: usize, value: i32) -> Result<(), Errno> {
    UserSlice::new(addr, 4)?.write_from(&value.to_le_bytes())
}

/// Read a NUL-terminated string of at most `max` bytes (NUL included).
/// Too long → `too_long`.
pub fn read_cstr(addr: usize, max: usize, too_long: Errno) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 64];
    let mut pos = addr;
    loop {
        // Read up to the end of the current page so we never touch a page
        // beyond the terminator.
        let page_left = 4096 - (pos % 4096);
        let n = chunk.len().min(page_left);
        UserSlice::new(pos, n)?.read_into(&mut chunk[..n])?;
        if let Some(nul) = chunk[..n].iter().position(|&b| b == 0) {
            if out.len() + nul + 1 > max {
                return Err(too_long);
            }
            fallible::in_scope(|| out.try_reserve(nul)).map_err(|_| Errno::ENOMEM)?;
            out.extend_from_slice(&chunk[..nul]);
            return Ok(out);
        }
        if out.len() + n >= max {
            return Err(too_long);
        }
        fallible::in_scope(|| out.try_reserve(n)).map_err(|_| Errno::ENOMEM)?;
        out.extend_from_slice(&chunk[..n]);
        pos += n;
    }
}
