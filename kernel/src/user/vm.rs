//! Per-process address spaces and copy-on-write.
//!
//! An [`AddressSpace`] owns one PML4. Its upper half (slots 256..512) is a
//! copy of the kernel's, pointing at the shared kernel PDPTs; its lower half
//! is private and holds only user mappings (USER bit set at every level).
//!
//! Every user frame carries a reference count (`pmm::share`/`release`).
//! `fork_cow` shares all frames of the parent with the child and makes
//! writable pages read-only in both, tagged `COW`. A write fault on such a
//! page ([`AddressSpace::resolve_cow`]) gives the writer a private copy, or
//! just restores write access when it holds the last reference. Dropping
//! an address space releases every user frame and every page-table frame
//! of the lower half; the PML4 frame last.
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
use crate::mm::paging::{self, MapError, Pte, PteFlags, Table};
use crate::mm::pmm::{self, OutOfMemory};
use crate::mm::tlb;
use mello_abi::limits::USER_END;

/// Flags of an ordinary user page.
pub const USER_RW: PteFlags = PteFlags::USER.union(PteFlags::WRITABLE).union(PteFlags::NO_EXECUTE);

pub struct AddressSpace {
    root: u64,
}

impl AddressSpace {
    /// An empty user half with the kernel half shared.
    pub fn new() -> Result<Self, OutOfMemory> {
        let root = paging::alloc_table()?;
        kernel_space::copy_kernel_half(root);
        Ok(AddressSpace { root })
    }

    /// Physical address of the PML4 (for CR3).
    pub fn root(&self) -> u64 {
        self.root
    }

    /// Map a fresh zeroed frame at `va` with `flags` (USER added). Returns
    /// the frame so the caller can fill it through the direct map.
    pub fn map_new_page(&mut self, va: u64, flags: PteFlags) -> Result<u64, MapError> {
        debug_assert!(va < USER_END as u64);
        let pa = pmm::alloc_user_frame()?;
        // SAFETY: `self.root` is our hierarchy and `&mut self` serialises
        // edits; the frame is fresh and owned by this mapping.
        match unsafe { paging::map(self.root, va, pa, flags | PteFlags::USER) } {
            Ok(()) => Ok(pa),
            Err(e) => {
                pmm::release(pa);
                Err(e)
            }
        }
    }

    /// Change the flags of the page at `va` (mapped by this space).
    pub fn protect(&mut self, va: u64, flags: PteFlags) {
        // SAFETY: our hierarchy, exclusive access through `&mut self`.
        if let Ok(Some(pte)) = unsafe { paging::entry(self.root, va, 1, false) } {
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
            // SAFETY: `pa..pa+n` lies in one user frame owned by this space
            // (mapped above), reached through the direct map.
            unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), phys_to_virt(pa) as *mut u8, n) };
            data = &data[n..];
            va += n as u64;
        }
        Ok(())
    }

    /// A copy-on-write clone for `fork`. The caller flushes its TLB after
    /// (this space is the current one).
    pub fn fork_cow(&mut self) -> Result<AddressSpace, OutOfMemory> {
        let child = AddressSpace::new()?;
        // SAFETY: both roots are PML4s we own exclusively.
        let (src, dst) = unsafe { (paging::table_at(self.root), paging::table_at(child.root)) };
        for i in 0..crate::mm::layout::KERNEL_PML4_FIRST {
            if src[i].is_present() {
                // On failure `child` drops and releases what was copied.
                dst[i] = Pte::new(clone_table(src[i].addr(), 3)?, src[i].flags());
            }
        }
        Ok(child)
    }

    /// Resolve a write fault at `va` if it hit a copy-on-write page.
    pub fn resolve_cow(&mut self, va: u64) -> Result<bool, OutOfMemory> {
        let page = va & !(PAGE_SIZE - 1);
        // SAFETY: our hierarchy, exclusive access through `&mut self`.
        let Ok(Some(pte)) = (unsafe { paging::entry(self.root, page, 1, false) }) else { return Ok(false) };
        let flags = pte.flags();
        if !pte.is_present() || !flags.contains(PteFlags::COW) {
            return Ok(false);
        }
        let old = pte.addr();
        let writable = (flags - PteFlags::COW) | PteFlags::WRITABLE;
        if pmm::ref_count(old) == 1 {
            *pte = Pte::new(old, writable);
        } else {
            let new = pmm::alloc_user_frame()?;
            // SAFETY: both frames are whole pages reached through the direct
            // map; `new` is fresh, `old` is shared read-only.
            unsafe {
                core::ptr::copy_nonoverlapping(phys_to_virt(old) as *const u8, phys_to_virt(new) as *mut u8, PAGE_SIZE as usize)
            };
            *pte = Pte::new(new, writable);
            pmm::release(old);
        }
        tlb::flush_local(page);
        Ok(true)
    }
}

/// Copy the table at `pa` (a level-`level` table of the user half) for a
/// child: tables are duplicated, leaf frames shared copy-on-write.
fn clone_table(pa: u64, level: u32) -> Result<u64, OutOfMemory> {
    let new = paging::alloc_table()?;
    // SAFETY: `pa` is a user page table of the (locked) parent space; `new`
    // is a fresh table only we know.
    let (src, dst): (&mut Table, &mut Table) = unsafe { (paging::table_at(pa), paging::table_at(new)) };
    for i in 0..512 {
        let e = src[i];
        if !e.is_present() {
            continue;
        }
        if level == 1 {
            let mut flags = e.flags();
            if flags.contains(PteFlags::WRITABLE) {
                flags = (flags - PteFlags::WRITABLE) | PteFlags::COW;
                src[i] = Pte::new(e.addr(), flags);
            }
            pmm::share(e.addr());
            dst[i] = Pte::new(e.addr(), flags);
        } else {
            match clone_table(e.addr(), level - 1) {
                Ok(child) => dst[i] = Pte::new(child, e.flags()),
                Err(err) => {
                    free_table(new, level);
                    return Err(err);
                }
            }
        }
    }
    Ok(new)
}

/// Release every frame under the level-`level` table at `pa`, then the table.
fn free_table(pa: u64, level: u32) {
    // SAFETY: the table belongs to an address space being torn down (or a
    // half-built clone) that no CPU has loaded.
    let table = unsafe { paging::table_at(pa) };
    for e in table.iter().filter(|e| e.is_present()) {
        if level == 1 {
            pmm::release(e.addr());
        } else {
            free_table(e.addr(), level - 1);
        }
    }
    pmm::free_frame(pa);
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        debug_assert_ne!(crate::arch::cpu::read_cr3(), self.root, "freeing the live address space");
        // SAFETY: we own the root and nobody has it loaded.
        let pml4 = unsafe { paging::table_at(self.root) };
        for i in 0..crate::mm::layout::KERNEL_PML4_FIRST {
            if pml4[i].is_present() {
                free_table(pml4[i].addr(), 3);
            }
        }
        pmm::free_frame(self.root);
    }
}
