//! Per-process address spaces and copy-on-write.
//!
//! An [`AddressSpace`] owns one PML4. Its upper half (slots 256..512) is a
//! copy of the kernel's, pointing at the shared kernel PDPTs; its lower half
//! is private and holds only user mappings (USER bit set at every level).
//! It also records its *regions* (page-aligned ranges the program may use:
//! ELF segments, the stack) and every page-table frame of the lower half,
//! so fork and teardown visit only what exists instead of scanning whole
//! tables.
//!
//! * Regions marked lazy (the stack) are filled on demand: a fault on an
//!   unmapped page inside one maps a zeroed page ([`AddressSpace::resolve_fault`]).
//! * Every user frame carries a reference count (`pmm::share`/`release`).
//!   [`AddressSpace::fork_cow`] shares all mapped frames with the child and
//!   makes writable pages read-only in both, tagged `COW`; a write fault on
//!   such a page gives the writer a private copy, or just restores write
//!   access when it holds the last reference.
//! * Dropping a space releases every user frame, every table, then the PML4.
//!
//! TLB: an address space is loaded only on the CPU running its process's
//! single task (the scheduler reloads CR3 on every switch to a user task),
//! so changes to the current space flush this CPU only.
//!
//! Locking: the owning `Process` keeps the space in a `SpinLock` (level
//! `AddressSpace`); nothing here takes other locks except the frame
//! allocator's.

use crate::mm::kernel_space;
use crate::mm::layout::{phys_to_virt, PAGE_SIZE};
use crate::mm::paging::{self, MapError, Pte, PteFlags};
use crate::mm::pmm::{self, OutOfMemory};
use crate::mm::tlb;
use alloc::vec::Vec;
use core::ops::Range;
use mello_abi::limits::USER_END;

/// Flags of an ordinary user data page.
pub const USER_RW: PteFlags = PteFlags::USER.union(PteFlags::WRITABLE).union(PteFlags::NO_EXECUTE);

/// A range of user addresses the program owns.
#[derive(Clone, Debug)]
pub struct Region {
    pub range: Range<u64>,
    /// Pages are mapped (zeroed, RW+NX) on first touch.
    pub lazy: bool,
}

pub struct AddressSpace {
    root: u64,
    regions: Vec<Region>,
    /// Every page-table frame of the lower half (PDPTs, PDs, PTs).
    tables: Vec<u64>,
}

impl AddressSpace {
    /// An empty user half with the kernel half shared.
    pub fn new() -> Result<Self, OutOfMemory> {
        let root = paging::alloc_table()?;
        kernel_space::copy_kernel_half(root);
        Ok(AddressSpace { root, regions: Vec::new(), tables: Vec::new() })
    }

    /// Physical address of the PML4 (for CR3).
    pub fn root(&self) -> u64 {
        self.root
    }

    /// Declare `range` (page-aligned) part of the program.
    pub fn add_region(&mut self, range: Range<u64>, lazy: bool) -> Result<(), OutOfMemory> {
        debug_assert!(range.end <= USER_END as u64 && range.start % PAGE_SIZE == 0);
        self.regions.try_reserve(1).map_err(|_| OutOfMemory)?;
        self.regions.push(Region { range, lazy });
        Ok(())
    }

    fn lookup(&mut self, va: u64, create: bool) -> Result<Option<&'static mut Pte>, MapError> {
        let tables = &mut self.tables;
        let mut alloc = || -> Result<u64, OutOfMemory> {
            tables.try_reserve(1).map_err(|_| OutOfMemory)?;
            let t = paging::alloc_table()?;
            tables.push(t);
            Ok(t)
        };
        // SAFETY: `self.root` is our hierarchy and `&mut self` serialises edits.
        unsafe { paging::entry_with(self.root, va, 1, if create { Some(&mut alloc) } else { None }) }
    }

    /// Map frame `pa` (whose reference the caller hands over) at `va`.
    fn install(&mut self, va: u64, pa: u64, flags: PteFlags) -> Result<(), MapError> {
        let pte = self.lookup(va, true)?.expect("created");
        if pte.is_present() {
            return Err(MapError::AlreadyMapped);
        }
        *pte = Pte::new(pa, flags | PteFlags::USER | PteFlags::PRESENT);
        Ok(())
    }

    /// Map a fresh zeroed frame at `va` with `flags`. Returns the frame so
    /// the caller can fill it through the direct map.
    pub fn map_new_page(&mut self, va: u64, flags: PteFlags) -> Result<u64, MapError> {
        let pa = pmm::alloc_user_frame()?;
        self.install(va, pa, flags).inspect_err(|_| pmm::release(pa))?;
        Ok(pa)
    }

    /// Change the flags of the page at `va`, if mapped.
    pub fn protect(&mut self, va: u64, flags: PteFlags) {
        if let Ok(Some(pte)) = self.lookup(va, false) {
            if pte.is_present() {
                *pte = Pte::new(pte.addr(), flags | PteFlags::USER | PteFlags::PRESENT);
            }
        }
    }

    /// Translate a user address.
    pub fn translate(&self, va: u64) -> Option<(u64, PteFlags)> {
        // SAFETY: reading our own hierarchy.
        unsafe { paging::translate(self.root, va) }
    }

    /// Copy `data` into this space at `va` through the direct map (the
    /// pages must be mapped; used by the loader, whatever the page flags).
    pub fn write_bytes(&mut self, mut va: u64, mut data: &[u8]) -> Result<(), MapError> {
        while !data.is_empty() {
            let (pa, _) = self.translate(va).ok_or(MapError::AlreadyMapped)?;
            let n = ((PAGE_SIZE - va % PAGE_SIZE) as usize).min(data.len());
            // SAFETY: `pa..pa+n` lies in one user frame owned by this space,
            // reached through the direct map.
            unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), phys_to_virt(pa) as *mut u8, n) };
            data = &data[n..];
            va += n as u64;
        }
        Ok(())
    }

    /// Every mapped page: (address, entry), region by region.
    fn mapped_pages(&self) -> impl Iterator<Item = (u64, &'static mut Pte)> + '_ {
        self.regions.iter().flat_map(|r| r.range.clone().step_by(PAGE_SIZE as usize)).filter_map(|va| {
            // SAFETY: reading our own hierarchy (no tables are created).
            let pte = unsafe { paging::entry_with(self.root, va, 1, None) }.ok()??;
            pte.is_present().then_some((va, pte))
        })
    }

    /// A copy-on-write clone for `fork`. The caller flushes its TLB after
    /// (this space is the current one).
    pub fn fork_cow(&mut self) -> Result<AddressSpace, OutOfMemory> {
        let mut child = AddressSpace::new()?;
        child.regions.try_reserve(self.regions.len()).map_err(|_| OutOfMemory)?;
        child.regions.extend(self.regions.iter().cloned());
        for (va, pte) in self.mapped_pages() {
            let mut flags = pte.flags();
            if flags.contains(PteFlags::WRITABLE) {
                flags = (flags - PteFlags::WRITABLE) | PteFlags::COW;
                *pte = Pte::new(pte.addr(), flags);
            }
            pmm::share(pte.addr());
            if child.install(va, pte.addr(), flags).is_err() {
                pmm::release(pte.addr());
                return Err(OutOfMemory); // `child` drops what it holds
            }
        }
        Ok(child)
    }

    /// Resolve a user page fault at `va` with CPU error code `error`:
    /// a write to a copy-on-write page, or a first touch of a lazy region.
    /// `Ok(false)` means a genuine fault (the caller kills the process).
    pub fn resolve_fault(&mut self, va: u64, write: bool, present: bool) -> Result<bool, OutOfMemory> {
        let page = va & !(PAGE_SIZE - 1);
        if !present {
            if !self.regions.iter().any(|r| r.lazy && r.range.contains(&page)) {
                return Ok(false);
            }
            return match self.map_new_page(page, USER_RW) {
                Ok(_) => Ok(true),
                Err(MapError::OutOfMemory) => Err(OutOfMemory),
                Err(_) => Ok(false),
            };
        }
        if !write {
            return Ok(false);
        }
        let Ok(Some(pte)) = self.lookup(page, false) else { return Ok(false) };
        let flags = pte.flags();
        if !pte.is_present() || !flags.contains(PteFlags::COW) {
            return Ok(false);
        }
        let old = pte.addr();
        let writable = (flags - PteFlags::COW) | PteFlags::WRITABLE;
        if pmm::ref_count(old) == 1 {
            *pte = Pte::new(old, writable);
        } else {
            let new = pmm::alloc_frame()?;
            // SAFETY: both frames are whole pages reached through the direct
            // map; `new` is fresh, `old` is shared read-only.
            unsafe {
                core::ptr::copy_nonoverlapping(phys_to_virt(old) as *const u8, phys_to_virt(new) as *mut u8, PAGE_SIZE as usize)
            };
            pmm::init_user_frame(new);
            *pte = Pte::new(new, writable);
            pmm::release(old);
        }
        tlb::flush_local(page);
        Ok(true)
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        debug_assert_ne!(crate::arch::cpu::read_cr3(), self.root, "freeing the live address space");
        for (_, pte) in self.mapped_pages() {
            pmm::release(pte.addr());
        }
        for &t in &self.tables {
            pmm::free_frame(t);
        }
        pmm::free_frame(self.root);
    }
}
