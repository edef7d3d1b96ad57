//! Kernel errors mapped to the ABI's errno values, in one place.
//!
//! System-call handlers return `SysResult`; internal error types convert
//! into [`Errno`] through the `From` impls here, so every mapping decision
//! is visible in this file.

#![forbid(unsafe_code)]

use crate::mm::paging::MapError;
use crate::mm::pmm::OutOfMemory;
pub use mello_abi::Errno;

/// Result of a system call: a non-negative value or an errno.
pub type SysResult = Result<usize, Errno>;

impl From<OutOfMemory> for Errno {
    fn from(_: OutOfMemory) -> Self {
        Errno::ENOMEM
    }
}

impl From<MapError> for Errno {
    fn from(e: MapError) -> Self {
        match e {
            MapError::OutOfMemory => Errno::ENOMEM,
            // A program whose segments collide with each other or the stack.
            MapError::AlreadyMapped | MapError::HugePage => Errno::ENOEXEC,
        }
    }
}

impl From<crate::mm::address_space::RegionError> for Errno {
    fn from(e: crate::mm::address_space::RegionError) -> Self {
        use crate::mm::address_space::RegionError;
        match e {
            // mprotect of a range with a hole, and every failed allocation.
            RegionError::Hole | RegionError::NoMemory => Errno::ENOMEM,
            // MAP_FIXED_NOREPLACE over a mapping (also a loader collision).
            RegionError::Overlap => Errno::EEXIST,
            RegionError::Empty | RegionError::NotLazy => Errno::EINVAL,
        }
    }
}

/// Any defect in an ELF image: not executable.
pub fn elf_error(_: elfload::ElfError) -> Errno {
    Errno::ENOEXEC
}

/// A kernel collection could not grow.
pub fn no_memory(_: alloc::collections::TryReserveError) -> Errno {
    Errno::ENOMEM
}

/// Encode a result for `rax`.
pub fn encode(r: SysResult) -> u64 {
    match r {
        Ok(v) => v as u64,
        Err(e) => e.as_ret() as u64,
    }
}
