//! Per-process address spaces, their mapping cursor, and copy-on-write.
//!
//! An [`AddressSpace`] owns one PML4. Its upper half (slots 256..512) is a
//! copy of the kernel's, pointing at the shared kernel PDPTs; its lower half
//! is private and holds only user mappings (USER bit set at every level).
//! It also records its *regions* (page-aligned ranges the program may use:
//! ELF segments, the stack) and every page-table frame of the lower half,
//! so fork and teardown visit only what exists instead of scanning whole
//! tables.
//!
//! * Mappings are made and changed through a [`Cursor`], borrowed from
//!   `&mut AddressSpace`: a page-table entry reference never outlives that
//!   borrow, so no two editors of one hierarchy can exist.
//! * Regions marked lazy (the stack) are filled on demand: a fault on an
//!   unmapped page inside one maps a zeroed page ([`AddressSpace::resolve_fault`]).
//! * Every user frame carries a reference count (`pmm::share`/`release`).
//!   [`AddressSpace::fork_cow`] shares all mapped frames with the child and
//!   makes writable pages read-only in both, tagged `COW`; a write fault on
//!   such a page gives the writer a private copy, or just restores write
//!   access when it holds the last reference.
//! * [`AddressSpace::activate`] loads it on this CPU for the current task;
//!   dropping a space that is still loaded panics (instead of leaving the
//!   CPU on freed tables); dropping releases every user frame, every table,
//!   then the PML4.
//!
//! TLB: an address space is loaded only on the CPU running its process's
//! single task (the scheduler reloads CR3 on every switch to a user task),
//! so changes to the current space flush this CPU only.
//!
//! Locking: the owning `Process` keeps the space in a `SpinLock` (level
//! `AddressSpace`); nothing here takes other locks except the frame
//! allocator's.

use super::addr::{Frame, VirtAddr};
use super::fault::PageFault;
use super::kernel_space;
use super::layout::PAGE_SIZE;
use super::paging::{self, MapError, Pte, PteFlags};
use super::pmm::{self, OutOfMemory};
use super::tlb;
use alloc::vec::Vec;
use core::ops::Range;
use mello_abi::limits::USER_END;

/// Flags of an ordinary user data page.
pub const USER_RW: PteFlags = PteFlags::USER.union(PteFlags::WRITABLE).union(PteFlags::NO_EXECUTE);

/// A range of user addresses the program owns.
#[derive(Clone, Debug)]
struct Region {
    range: Range<u64>,
    /// Pages are mapped (zeroed, RW+NX) on first touch.
    lazy: bool,
}

pub struct AddressSpace {
    root: Frame,
    regions: Vec<Region>,
    /// Every page-table frame of the lower half (PDPTs, PDs, PTs).
    tables: Vec<u64>,
}

/// Edits the mappings of one address space; borrowed from it.
pub struct Cursor<'a> {
    space: &'a mut AddressSpace,
}

impl Cursor<'_> {
    /// The leaf entry for `va`, creating missing tables if `create`.
    fn entry(&mut self, va: VirtAddr, create: bool) -> Result<Option<&mut Pte>, MapError> {
        let tables = &mut self.space.tables;
        let mut alloc = || -> Result<u64, OutOfMemory> {
            tables.try_reserve(1).map_err(|_| OutOfMemory)?;
            let t = paging::alloc_table()?;
            tables.push(t);
            Ok(t)
        };
        // SAFETY: `root` is this space's hierarchy, and the `&mut` borrow of
        // the space that this cursor holds serialises every edit of it; the
        // entry returned is re-borrowed for no longer than `&mut self`.
        let e = unsafe { paging::entry_with(self.space.root.as_u64(), va.as_u64(), 1, if create { Some(&mut alloc) } else { None }) }?;
        Ok(e.map(|e| &mut *e))
    }

    /// Map `frame` (whose reference the caller hands over) at `va`.
    fn install(&mut self, va: VirtAddr, frame: Frame, flags: PteFlags) -> Result<(), MapError> {
        let pte = self.entry(va, true)?.expect("created");
        if pte.is_present() {
            return Err(MapError::AlreadyMapped);
        }
        *pte = Pte::new(frame.as_u64(), flags | PteFlags::USER | PteFlags::PRESENT);
        Ok(())
    }

    /// Map a fresh zeroed frame at page `va` with `flags`.
    pub fn map_new(&mut self, va: VirtAddr, flags: PteFlags) -> Result<Frame, MapError> {
        let frame = Frame::new(pmm::alloc_user_frame()?);
        self.install(va, frame, flags).inspect_err(|_| pmm::release(frame.as_u64()))?;
        Ok(frame)
    }

    /// Change the flags of the page at `va`, if it is mapped.
    pub fn protect(&mut self, va: VirtAddr, flags: PteFlags) {
        if let Ok(Some(pte)) = self.entry(va, false) {
            if pte.is_present() {
                *pte = Pte::new(pte.addr(), flags | PteFlags::USER | PteFlags::PRESENT);
            }
        }
    }
}

impl AddressSpace {
    /// An empty user half with the kernel half shared.
    pub fn new() -> Result<Self, OutOfMemory> {
        let root = paging::alloc_table()?;
        kernel_space::copy_kernel_half(root);
        Ok(AddressSpace { root: Frame::new(root), regions: Vec::new(), tables: Vec::new() })
    }

    /// The PML4 frame (what CR3 holds while this space is loaded).
    pub fn root(&self) -> Frame {
        self.root
    }

    /// Load this space for the current task, on this CPU and on every later
    /// switch to the task.
    pub fn activate(&self) {
        crate::sched::set_current_root(self.root.as_u64());
    }

    /// A cursor to edit this space's mappings.
    pub fn cursor(&mut self) -> Cursor<'_> {
        Cursor { space: self }
    }

    /// Declare `range` (page-aligned) part of the program.
    pub fn add_region(&mut self, range: Range<VirtAddr>, lazy: bool) -> Result<(), OutOfMemory> {
        let range = range.start.as_u64()..range.end.as_u64();
        debug_assert!(range.end <= USER_END as u64 && range.start % PAGE_SIZE == 0);
        self.regions.try_reserve(1).map_err(|_| OutOfMemory)?;
        self.regions.push(Region { range, lazy });
        Ok(())
    }

    /// Translate a user address to its frame and leaf flags.
    pub fn translate(&self, va: VirtAddr) -> Option<(Frame, PteFlags)> {
        // SAFETY: reading our own hierarchy; `&self` excludes editors.
        let (pa, flags) = unsafe { paging::translate(self.root.as_u64(), va.as_u64()) }?;
        Some((Frame::new(pa & !(PAGE_SIZE - 1)), flags))
    }

    /// Copy `data` into this space at `va` through the direct map (the
    /// pages must be mapped; used by the loader, whatever the page flags).
    pub fn write_bytes(&mut self, va: VirtAddr, mut data: &[u8]) -> Result<(), MapError> {
        let mut va = va.as_u64();
        while !data.is_empty() {
            let (frame, _) = self.translate(VirtAddr::new(va)).ok_or(MapError::AlreadyMapped)?;
            let off = va % PAGE_SIZE;
            let n = ((PAGE_SIZE - off) as usize).min(data.len());
            let dst = frame.start().to_direct_map().as_u64() + off;
            // SAFETY: `dst..dst + n` lies in one user frame owned by this
            // space (it stays within the page), reached through the direct map.
            unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), dst as *mut u8, n) };
            data = &data[n..];
            va += n as u64;
        }
        Ok(())
    }

    /// Visit every mapped page, region by region, stopping at an error.
    fn try_for_each_mapped<E>(&mut self, mut f: impl FnMut(VirtAddr, &mut Pte) -> Result<(), E>) -> Result<(), E> {
        let regions = core::mem::take(&mut self.regions);
        let mut result = Ok(());
        'all: for r in &regions {
            for va in r.range.clone().step_by(PAGE_SIZE as usize) {
                let va = VirtAddr::new(va);
                if let Ok(Some(pte)) = self.cursor().entry(va, false) {
                    if pte.is_present() {
                        if let Err(e) = f(va, pte) {
                            result = Err(e);
                            break 'all;
                        }
                    }
                }
            }
        }
        self.regions = regions;
        result
    }

    /// A copy-on-write clone for `fork`. The caller flushes its TLB after
    /// (this space is the current one).
    pub fn fork_cow(&mut self) -> Result<AddressSpace, OutOfMemory> {
        let mut child = AddressSpace::new()?;
        child.regions.try_reserve(self.regions.len()).map_err(|_| OutOfMemory)?;
        child.regions.extend(self.regions.iter().cloned());
        self.try_for_each_mapped(|va, pte| {
            let mut flags = pte.flags();
            if flags.contains(PteFlags::WRITABLE) {
                flags = (flags - PteFlags::WRITABLE) | PteFlags::COW;
                *pte = Pte::new(pte.addr(), flags);
            }
            pmm::share(pte.addr());
            child.cursor().install(va, Frame::new(pte.addr()), flags).map_err(|_| {
                pmm::release(pte.addr());
                OutOfMemory // `child` drops what it holds
            })
        })?;
        Ok(child)
    }

    /// Resolve a user page fault: a write to a copy-on-write page, or a
    /// first touch of a lazy region. `Ok(false)` means a genuine fault (the
    /// caller kills the process or delivers a signal).
    pub fn resolve_fault(&mut self, fault: &PageFault) -> Result<bool, OutOfMemory> {
        let page = fault.addr.page_floor();
        if !fault.present {
            if !self.regions.iter().any(|r| r.lazy && r.range.contains(&page.as_u64())) {
                return Ok(false);
            }
            return match self.cursor().map_new(page, USER_RW) {
                Ok(_) => Ok(true),
                Err(MapError::OutOfMemory) => Err(OutOfMemory),
                Err(_) => Ok(false),
            };
        }
        if !fault.write {
            return Ok(false);
        }
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
            pmm::release(old.as_u64());
        }
        tlb::flush_local(page.as_u64());
        Ok(true)
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        assert_ne!(crate::arch::cpu::read_cr3(), self.root.as_u64(), "freeing the live address space");
        let _ = self.try_for_each_mapped(|_, pte| -> Result<(), ()> {
            pmm::release(pte.addr());
            Ok(())
        });
        for &t in &self.tables {
            pmm::free_frame(t);
        }
        pmm::free_frame(self.root.as_u64());
    }
}
