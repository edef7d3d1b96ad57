//! Copy-on-write and the life of an address space's frames: the clone for
//! `fork`, the page-fault resolver, and teardown.
//!
//! * Every user frame carries a reference count (`pmm::share`/`release`).
//!   [`AddressSpace::fork_cow`] shares all mapped frames with the child and
//!   makes writable pages read-only in both, tagged `COW`; a write fault on
//!   such a page ([`AddressSpace::resolve_fault`]) gives the writer a
//!   private copy, or just restores write access when it holds the last
//!   reference. A fault on an unmapped page of a lazy region maps a zeroed
//!   page with the region's protection, if the access is allowed.
//! * Dropping a space that is still loaded panics (instead of leaving the
//!   CPU on freed tables); dropping releases every user frame, every table,
//!   then the PML4.
//!
//! The old frame of a copy-on-write fault is released only after the page
//! was flushed wherever the space is loaded. The caller holds the process's
//! `AddressSpace` lock; nothing here takes other locks except the frame
//! allocator's.

use super::{holds_frame, AddressSpace, Prot};
use crate::mm::addr::Frame;
use crate::mm::fault::PageFault;
use crate::mm::layout::PAGE_SIZE;
use crate::mm::kernel_space;
use crate::mm::paging::{self, MapError, Pte, PteFlags};
use crate::mm::pmm::{self, OutOfMemory};
use crate::mm::tlb;

impl AddressSpace {
    /// A copy-on-write clone for `fork`. The caller flushes its TLB after
    /// (this space is the current one).
    pub fn fork_cow(&mut self) -> Result<AddressSpace, OutOfMemory> {
        let mut child = AddressSpace::new()?;
        child.regions = self.regions.try_clone().map_err(|_| OutOfMemory)?;
        (child.brk_start, child.brk) = (self.brk_start, self.brk);
        (child.mmap_top, child.stack) = (self.mmap_top, self.stack);
        // A page table at a time: the child's table for the same 2 MiB is
        // found (or made) once, then the entries are copied in one pass.
        self.try_for_each_span(|at, entries| {
            let child_table = child.cursor().table(at).map_err(|_| OutOfMemory)?;
            let first = paging::index(at, 1);
            for (pte, slot) in entries.iter_mut().zip(&mut child_table[first..]) {
                if !holds_frame(pte) {
                    continue;
                }
                pmm::share(pte.addr());
                // A frame held under PROT_NONE is held the same way by the
                // child; a writable page becomes copy-on-write in both.
                if pte.is_present() && pte.flags().contains(PteFlags::WRITABLE) {
                    *pte = Pte::new(pte.addr(), (pte.flags() - PteFlags::WRITABLE) | PteFlags::COW);
                }
                *slot = *pte;
            }
            Ok(())
        })?;
        Ok(child)
    }

    /// Resolve a user page fault: a write to a copy-on-write page, or a
    /// first touch of a lazy region. `Ok(false)` means a genuine fault (the
    /// caller kills the process or delivers a signal).
    pub fn resolve_fault(&mut self, fault: &PageFault) -> Result<bool, OutOfMemory> {
        let page = fault.addr.page_floor();
        let Some(&vma::Area { attr, .. }) = self.regions.find(page.as_u64()) else { return Ok(false) };
        let allowed = attr.prot.accessible()
            && (!fault.write || attr.prot.contains(Prot::WRITE))
            && (!fault.instruction || attr.prot.contains(Prot::EXEC));
        if !allowed {
            return Ok(false);
        }
        // Another thread of this space may have resolved the page between
        // the fault and our taking the lock, or this CPU faulted on a stale
        // TLB entry: if the entry allows the access now, there is nothing to do.
        if let Ok(Some(pte)) = self.cursor().entry(page, false) {
            let flags = pte.flags();
            let done = pte.is_present()
                && (!fault.write || flags.contains(PteFlags::WRITABLE))
                && (!fault.instruction || !flags.contains(PteFlags::NO_EXECUTE));
            if done {
                tlb::flush_local(page.as_u64());
                return Ok(true);
            }
        }
        if !fault.present {
            if !attr.lazy {
                return Ok(false);
            }
            return match self.cursor().map_new(page, attr.prot.pte_flags(false) - PteFlags::PRESENT - PteFlags::USER) {
                Ok(_) => Ok(true),
                Err(MapError::OutOfMemory) => Err(OutOfMemory),
                Err(_) => Ok(false),
            };
        }
        if !fault.write {
            return Ok(false);
        }
        // A write to a present page of a writable region: copy-on-write.
        let mut cursor = self.cursor();
        let Ok(Some(pte)) = cursor.entry(page, false) else { return Ok(false) };
        let flags = pte.flags();
        if !pte.is_present() || !flags.contains(PteFlags::COW) {
            return Ok(false);
        }
        let old = Frame::new(pte.addr());
        let writable = (flags - PteFlags::COW) | PteFlags::WRITABLE;
        if pmm::ref_count(old.as_u64()) == 1 {
            *pte = Pte::new(old.as_u64(), writable);
        } else {
            let new = Frame::new(pmm::alloc_frame()?);
            let (src, dst) = (old.start().to_direct_map().as_u64(), new.start().to_direct_map().as_u64());
            // SAFETY: both frames are whole pages reached through the direct
            // map; `new` is fresh (ours alone), `old` is shared read-only.
            unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, PAGE_SIZE as usize) };
            pmm::init_user_frame(new.as_u64());
            *pte = Pte::new(new.as_u64(), writable);
            // Other threads' CPUs may still read the old frame: flush first.
            self.flush_and_release(page.as_u64()..page.as_u64() + PAGE_SIZE, &[old.as_u64()]);
            return Ok(true);
        }
        tlb::flush_user_range(self.root.as_u64(), page.as_u64(), page.as_u64() + PAGE_SIZE);
        Ok(true)
    }
}

impl Drop for AddressSpace {
    /// Releases every user frame and returns the tables empty: each leaf
    /// entry that held a frame is cleared as it is released (the others are
    /// zero already: entries outside every region are cleared when their
    /// region goes), and each table's entry in its parent, so every table
    /// goes back all zero and the next address space takes it without
    /// clearing it again (`pmm::free_zeroed_frame`).
    fn drop(&mut self) {
        assert_ne!(crate::arch::cpu::read_cr3(), self.root.as_u64(), "freeing the live address space");
        let _ = self.try_for_each_mapped(|_, pte| -> Result<(), ()> {
            pmm::release(pte.addr());
            *pte = Pte(0);
            Ok(())
        });
        for &(_, parent) in &self.tables {
            // SAFETY: `parent` is the entry of this space's hierarchy that
            // points at one of its tables (recorded by `new_table`); the
            // space is not loaded anywhere and is being dropped.
            unsafe { paging::clear_entry_at(parent) };
        }
        for &(t, _) in &self.tables {
            pmm::free_zeroed_frame(t);
        }
        kernel_space::clear_kernel_half(self.root.as_u64());
        pmm::free_zeroed_frame(self.root.as_u64());
        super::TABLE_FRAMES.fetch_sub(self.tables.len() + 1, core::sync::atomic::Ordering::Relaxed);
    }
}
