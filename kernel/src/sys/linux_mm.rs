//! Linux memory calls: `mmap` (anonymous memory and private file
//! mappings), `munmap`, `mprotect`, `mremap`, `madvise`, `brk`, over the
//! current process's address space (`mm::AddressSpace` regions; anonymous
//! pages are filled on first touch).
//!
//! Placement: without `MAP_FIXED`, a free range at the (page-aligned) hint
//! if it is free, else the highest free range below the process's mmap top
//! (`AddressSpace::mmap_top`, randomised by the loader unless
//! `norandmaps`: Linux's top-down layout; `MAP_32BIT` searches below 2 GiB).
//! The break grows at most up to that top. `MAP_FIXED` replaces
//! whatever was there; `MAP_FIXED_NOREPLACE` fails with `EEXIST` instead.
//! A file mapping copies the file's bytes into fresh pages when it is made
//! (a later change of the file is not seen, which POSIX leaves open for
//! private mappings; pages past the end of the file read as zeroes where
//! Linux would raise `SIGBUS`). `MAP_SHARED` of a file is the same when the
//! mapping cannot write; a writable shared file mapping would have to
//! write back: `ENODEV`, logged. Descriptors that are not regular files
//! (terminals, pipes, directories) are `ENODEV`, as Linux's files without
//! an mmap operation. Shared anonymous memory would have to stay shared
//! across fork, which copy-on-write address spaces cannot do yet: `EINVAL`,
//! logged.
//! `mremap` resizes or moves (`MREMAP_MAYMOVE`) a range inside one region
//! by moving its page-table entries; `MREMAP_FIXED`/`DONTUNMAP` are
//! `EINVAL`, logged. `madvise(MADV_DONTNEED/FREE)` releases anonymous pages
//! (zeroes on the next touch; `EINVAL` for file-filled ones, which could
//! not be refilled); the pure hints are accepted and change nothing.
//! `MAP_POPULATE`, `MAP_NORESERVE`, `MAP_STACK`, `MAP_GROWSDOWN`,
//! `MAP_LOCKED` are accepted (pages are still filled on demand).
//!
//! The argument checks are Linux's, in Linux's order (`do_mmap`,
//! `vm_munmap`, `do_mprotect_pkey`, `brk`).

#![forbid(unsafe_code)]

use super::Args;
use crate::error::{Errno, SysResult};
use crate::mm::addr::VirtAddr;
use crate::mm::address_space::{AddressSpace, Prot, RegionError, Resized};
use crate::mm::layout::PAGE_SIZE;
use crate::user::loader::MMAP_TOP;
use mello_abi::limits::USER_START;
use mello_abi::linux::mman::*;

/// `MAP_32BIT`: below 2 GiB.
const LOW_2G: u64 = 0x8000_0000;

/// Run `f` on the current process's address space.
fn with_space<R>(f: impl FnOnce(&mut AddressSpace) -> Result<R, Errno>) -> Result<R, Errno> {
    let proc = crate::user::current_process().ok_or(Errno::EINVAL)?;
    let mut guard = proc.space.lock();
    f(guard.as_mut().ok_or(Errno::EINVAL)?)
}

fn page_ceil(len: u64) -> Option<u64> {
    len.checked_add(PAGE_SIZE - 1).map(|v| v & !(PAGE_SIZE - 1))
}

fn range(start: u64, len: u64) -> core::ops::Range<VirtAddr> {
    VirtAddr::new(start)..VirtAddr::new(start + len)
}

/// mmap(addr, len, prot, flags, fd, offset).
pub fn linux_mmap(a: &Args) -> SysResult {
    let (addr, len, prot, flags, fd, offset) = (a.get(0), a.get(1), a.get(2), a.get(3), a.get(4) as i32, a.get(5));
    if offset % PAGE_SIZE != 0 || len == 0 {
        return Err(Errno::EINVAL);
    }
    // Unknown PROT bits are ignored by Linux's mmap (unlike mprotect).
    let len = page_ceil(len).ok_or(Errno::ENOMEM)?;
    if len > MMAP_TOP {
        return Err(Errno::ENOMEM);
    }
    match flags & MAP_TYPE {
        MAP_PRIVATE => {}
        MAP_SHARED | MAP_SHARED_VALIDATE if flags & MAP_ANONYMOUS != 0 => {
            super::linux::log_unsupported("mmap(MAP_SHARED|MAP_ANONYMOUS)");
            return Err(Errno::EINVAL);
        }
        MAP_SHARED | MAP_SHARED_VALIDATE => {}
        _ => return Err(Errno::EINVAL),
    }
    let data = if flags & MAP_ANONYMOUS == 0 { Some(file_bytes(fd, offset, len, flags & MAP_TYPE == MAP_PRIVATE, prot)?) } else { None };
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let prot = Prot::from_bits(prot);
    with_space(|space| {
        let start = if fixed {
            if addr % PAGE_SIZE != 0 {
                return Err(Errno::EINVAL);
            }
            let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
            if addr < USER_START as u64 || end > mello_abi::limits::USER_END as u64 {
                return Err(Errno::ENOMEM);
            }
            if !space.is_free(range(addr, len)) {
                if flags & MAP_FIXED != 0 && flags & MAP_FIXED_NOREPLACE == 0 {
                    space.unmap(range(addr, len))?;
                } else {
                    return Err(Errno::EEXIST);
                }
            }
            addr
        } else {
            let top = if flags & MAP_32BIT != 0 { LOW_2G } else { space.mmap_top() };
            let hint = addr & !(PAGE_SIZE - 1);
            let hint_ok = hint >= USER_START as u64
                && hint.checked_add(len).is_some_and(|end| end <= space.mmap_top())
                && space.is_free(range(hint, len));
            if hint_ok {
                hint
            } else {
                let window = VirtAddr::new(USER_START as u64)..VirtAddr::new(top);
                space.find_free(len, window).ok_or(Errno::ENOMEM)?.as_u64()
            }
        };
        space.map_lazy(range(start, len), prot)?;
        if let Some(data) = data.filter(|d| !d.is_empty()) {
            space.populate(VirtAddr::new(start), &data).inspect_err(|_| {
                let _ = space.unmap(range(start, len));
            })?;
        }
        Ok(start as usize)
    })
}

/// The bytes a file mapping of `len` bytes at `offset` starts with (module
/// doc), read before the address space is locked.
fn file_bytes(fd: i32, offset: u64, len: u64, private: bool, prot: u64) -> Result<alloc::vec::Vec<u8>, Errno> {
    let file = super::handlers::me()?.files.lock().fds.get(usize::try_from(fd).map_err(|_| Errno::EBADF)?)?;
    let (loc, _) = file.regular().ok_or(Errno::ENODEV)?;
    if !file.readable() {
        return Err(Errno::EACCES);
    }
    if !private && prot & PROT_WRITE != 0 {
        if !file.writable() {
            return Err(Errno::EACCES);
        }
        super::linux::log_unsupported("mmap(MAP_SHARED, PROT_WRITE) of a file");
        return Err(Errno::ENODEV);
    }
    let size = crate::fs::mounts::getattr(loc)?.size;
    let n = size.saturating_sub(offset).min(len) as usize;
    let mut data = alloc::vec::Vec::new();
    fallible::in_scope(|| data.try_reserve_exact(n)).map_err(|_| Errno::ENOMEM)?;
    data.resize(n, 0);
    let got = crate::fs::rw::inode_read_kernel(loc, offset, &mut data)?;
    data.truncate(got);
    Ok(data)
}

/// mremap(old_addr, old_len, new_len, flags, new_addr), checked as Linux's.
pub fn linux_mremap(a: &Args) -> SysResult {
    let (addr, old_len, new_len, flags) = (a.get(0), a.get(1), a.get(2), a.get(3));
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
        || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
        || addr % PAGE_SIZE != 0
    {
        return Err(Errno::EINVAL);
    }
    if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
        super::linux::log_unsupported("mremap(MREMAP_FIXED or MREMAP_DONTUNMAP)");
        return Err(Errno::EINVAL);
    }
    let (old_len, new_len) = (page_ceil(old_len).ok_or(Errno::EINVAL)?, page_ceil(new_len).ok_or(Errno::EINVAL)?);
    // old_len 0 duplicates a shared mapping in Linux; there are none.
    if new_len == 0 || old_len == 0 {
        return Err(Errno::EINVAL);
    }
    let end = addr.checked_add(old_len).filter(|&e| e <= mello_abi::limits::USER_END as u64).ok_or(Errno::EFAULT)?;
    with_space(|space| {
        let top = VirtAddr::new(space.mmap_top());
        match space.resize(range(addr, end - addr), new_len, flags & MREMAP_MAYMOVE != 0, top) {
            Ok(Resized::InPlace) => Ok(addr as usize),
            Ok(Resized::Moved(to)) => Ok(to.as_u64() as usize),
            Err(RegionError::Hole) => Err(Errno::EFAULT),
            Err(RegionError::Overlap) => Err(Errno::ENOMEM),
            Err(e) => Err(e.into()),
        }
    })
}

/// madvise(addr, len, advice) (module doc).
pub fn linux_madvise(a: &Args) -> SysResult {
    let (addr, len, advice) = (a.get(0), a.get(1), a.get(2));
    let discard = match advice {
        MADV_DONTNEED | MADV_FREE => true,
        MADV_NORMAL | MADV_RANDOM | MADV_SEQUENTIAL | MADV_WILLNEED | MADV_HUGEPAGE | MADV_NOHUGEPAGE | MADV_DONTDUMP
        | MADV_DODUMP => false,
        _ => return Err(Errno::EINVAL),
    };
    if addr % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    let len = page_ceil(len).ok_or(Errno::EINVAL)?;
    let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
    if len == 0 {
        return Ok(0);
    }
    if end > mello_abi::limits::USER_END as u64 {
        return Err(Errno::ENOMEM);
    }
    with_space(|space| {
        if space.is_free(range(addr, len)) || !space.covers(range(addr, len)) {
            return Err(Errno::ENOMEM);
        }
        if discard {
            space.discard(range(addr, len))?;
        }
        Ok(0)
    })
}

/// munmap(addr, len).
pub fn linux_munmap(a: &Args) -> SysResult {
    let (addr, len) = (a.get(0), a.get(1));
    if addr % PAGE_SIZE != 0 || len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = page_ceil(len).ok_or(Errno::EINVAL)?;
    let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
    if end > mello_abi::limits::USER_END as u64 {
        return Err(Errno::EINVAL);
    }
    with_space(|space| Ok(space.unmap(range(addr, len))?)).map(|_| 0)
}

/// mprotect(addr, len, prot).
pub fn linux_mprotect(a: &Args) -> SysResult {
    let (addr, len, prot) = (a.get(0), a.get(1), a.get(2));
    if addr % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP) != 0
        || prot & (PROT_GROWSDOWN | PROT_GROWSUP) == PROT_GROWSDOWN | PROT_GROWSUP
    {
        return Err(Errno::EINVAL);
    }
    let len = page_ceil(len).ok_or(Errno::ENOMEM)?;
    let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
    if len == 0 {
        return Ok(0);
    }
    if end > mello_abi::limits::USER_END as u64 {
        return Err(Errno::ENOMEM);
    }
    with_space(|space| Ok(space.protect(range(addr, len), Prot::from_bits(prot))?)).map(|_| 0)
}

/// brk(addr): the new break, or the old one if it cannot move there
/// (Linux's contract: no errno, the caller compares).
pub fn linux_brk(a: &Args) -> SysResult {
    let new = a.get(0);
    with_space(|space| {
        let limit = space.mmap_top();
        Ok(space.set_brk(new, limit) as usize)
    })
}
