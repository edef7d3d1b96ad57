//! Per-process address spaces, their mapping cursor, and copy-on-write.
//!
//! An [`AddressSpace`] owns one PML4. Its upper half (slots 256..512) is a
//! copy of the kernel's, pointing at the shared kernel PDPTs; its lower half
//! is private and holds only user mappings (USER bit set at every level).
//! It also records its *regions* (page-aligned ranges the program may use,
//! Linux's VMAs: ELF segments, the stack, the program break, anonymous
//! mappings), each with its protection ([`Prot`]) and whether it is filled
//! on demand, in a host-tested [`vma::RegionMap`]; and every page-table
//! frame of the lower half, so fork and teardown visit only what exists
//! instead of scanning whole tables.
//!
//! * Mappings are made and changed through a [`Cursor`], borrowed from
//!   `&mut AddressSpace`: a page-table entry reference never outlives that
//!   borrow, so no two editors of one hierarchy can exist.
//! * Regions marked lazy (the stack, BSS, the break, anonymous mmap) are
//!   filled on demand: a fault on an unmapped page inside one maps a zeroed
//!   page with the region's protection, if the access is allowed
//!   ([`AddressSpace::resolve_fault`]).
//! * [`AddressSpace::map_lazy`], [`AddressSpace::unmap`],
//!   [`AddressSpace::protect`] and [`AddressSpace::set_brk`] are what
//!   `mmap`, `munmap`, `mprotect` and `brk` need: regions are split and
//!   merged by the region map; unmapped pages are released and flushed from
//!   this CPU's TLB; protection changes rewrite the present entries.
//! * A page whose region is `PROT_NONE` keeps its frame in a not-present
//!   entry tagged with the software bit [`HELD`] (x86 cannot express "no
//!   access" in a present entry), so `mprotect(PROT_NONE)` and back keeps
//!   the data, as in Linux; fork and teardown treat such entries like
//!   present ones.
//! * Every user frame carries a reference count (`pmm::share`/`release`).
//!   [`AddressSpace::fork_cow`] shares all mapped frames with the child and
//!   makes writable pages read-only in both, tagged `COW`; a write fault on
//!   such a page gives the writer a private copy, or just restores write
//!   access when it holds the last reference.
//! * The layout the loader chose (randomised: user ASLR) is recorded here:
//!   the break's start, the top of the mmap area ([`AddressSpace::mmap_top`])
//!   and the stack region ([`AddressSpace::stack`]); fork copies it.
//! * [`AddressSpace::activate`] loads it on this CPU for the current task;
//!   dropping a space that is still loaded panics (instead of leaving the
//!   CPU on freed tables); dropping releases every user frame, every table,
//!   then the PML4.
//!
//! TLB: an address space is loaded on the CPUs running its process's
//! threads; a change to its mappings flushes every one of them
//! (`tlb::flush_user_range`, under the space's lock), and the frames an
//! unmapping or a copy-on-write frees are released only after that flush,
//! so no CPU can still reach a frame that has a new owner.
//!
//! Locking: the owning `Process` keeps the space in a `SpinLock` (level
//! `AddressSpace`); nothing here takes other locks except the frame
//! allocator's.
//!
//! Files: this one holds the types, the cursor and the basic accessors;
//! `regions.rs` the region calls (`mmap`, `munmap`, `mprotect`, `brk`),
//! `cow.rs` fork, fault resolution and teardown, `remap.rs` populate
//! (and the loader's `Cursor::map_filled`), discard and resize.

use super::addr::{Frame, VirtAddr};
use super::kernel_space;
use super::layout::PAGE_SIZE;
use super::paging::{self, MapError, Pte, PteFlags};
use super::pmm::{self, OutOfMemory};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use vma::RegionMap;

mod cow;
mod regions;
mod remap;
pub use remap::Resized;

/// Why a region operation was refused (see `vma::MapError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionError {
    /// An empty range.
    Empty,
    /// The range overlaps a region (adding one).
    Overlap,
    /// Part of the range is in no region (changing protection).
    Hole,
    /// Discarding pages of a region that is not filled on demand.
    NotLazy,
    NoMemory,
}

impl From<vma::MapError> for RegionError {
    fn from(e: vma::MapError) -> Self {
        match e {
            vma::MapError::Empty => RegionError::Empty,
            vma::MapError::Overlap => RegionError::Overlap,
            vma::MapError::Hole => RegionError::Hole,
            vma::MapError::NoMemory => RegionError::NoMemory,
        }
    }
}

impl From<vma::NoMemory> for RegionError {
    fn from(_: vma::NoMemory) -> Self {
        RegionError::NoMemory
    }
}

/// Flags of an ordinary user data page.
pub const USER_RW: PteFlags = PteFlags::USER.union(PteFlags::WRITABLE).union(PteFlags::NO_EXECUTE);

/// Software bit (ignored by the CPU in a not-present entry): the entry
/// still owns its frame, inaccessible because its region is `PROT_NONE`.
pub const HELD: u64 = 1 << 10;

/// Access rights of a region, as Linux's `PROT_*` bits (read 1, write 2,
/// exec 4). x86 cannot refuse reads of a present page, so write or exec
/// imply read, as on Linux/x86.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prot(u8);

impl Prot {
    pub const WRITE: Prot = Prot(2);
    pub const EXEC: Prot = Prot(4);
    pub const RW: Prot = Prot(3);

    /// From `PROT_*` bits (others ignored; the caller refuses them).
    pub const fn from_bits(bits: u64) -> Prot {
        Prot((bits & 7) as u8)
    }
    pub const fn contains(self, other: Prot) -> bool {
        self.0 & other.0 == other.0
    }
    /// The protection of an ELF segment.
    pub const fn of_segment(read: bool, write: bool, exec: bool) -> Prot {
        Prot(read as u8 | (write as u8) << 1 | (exec as u8) << 2)
    }
    fn accessible(self) -> bool {
        self.0 != 0
    }
    /// Leaf flags of a present page of this protection (`cow`: shared, so
    /// read-only until the first write copies it).
    fn pte_flags(self, cow: bool) -> PteFlags {
        let mut f = PteFlags::USER | PteFlags::PRESENT;
        if self.contains(Prot::WRITE) {
            f |= if cow { PteFlags::COW } else { PteFlags::WRITABLE };
        }
        if !self.contains(Prot::EXEC) {
            f |= PteFlags::NO_EXECUTE;
        }
        f
    }
}

/// What the region map records for each region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Attr {
    prot: Prot,
    /// Pages are mapped (zeroed, with `prot`) on first touch.
    lazy: bool,
}

/// Whether an entry owns a frame (present, or held under `PROT_NONE`).
fn holds_frame(pte: &Pte) -> bool {
    pte.is_present() || pte.0 & HELD != 0
}

pub struct AddressSpace {
    root: Frame,
    regions: RegionMap<Attr>,
    /// The program break: its region starts at `brk_start` (page aligned,
    /// above the image); `brk` is the current (unaligned) end. Both 0 until
    /// the loader sets them.
    brk_start: u64,
    brk: u64,
    /// Where `mmap` searches from (downwards) and the break must stay
    /// below: chosen by the loader (randomised unless `norandmaps`).
    mmap_top: u64,
    /// The stack region `[bottom, top)` (for fault reports); 0..0 until set.
    stack: (u64, u64),
    /// Every page-table frame of the lower half (PDPTs, PDs, PTs), with the
    /// physical address of the entry that points at it.
    tables: Vec<(u64, u64)>,
}

/// Page-table frames all address spaces own, PML4s included (`PageTables`
/// in /proc/meminfo).
static TABLE_FRAMES: AtomicUsize = AtomicUsize::new(0);

/// Frames that user page tables take now.
pub fn table_frames() -> usize {
    TABLE_FRAMES.load(Ordering::Relaxed)
}

/// Allocate a zeroed page table for the lower half, to hang from the entry
/// at physical address `parent`, and record both in `tables`.
fn new_table(tables: &mut Vec<(u64, u64)>, parent: u64) -> Result<u64, OutOfMemory> {
    fallible::in_scope(|| tables.try_reserve(1)).map_err(|_| OutOfMemory)?;
    let t = paging::alloc_table()?;
    tables.push((t, parent));
    TABLE_FRAMES.fetch_add(1, Ordering::Relaxed);
    Ok(t)
}

/// Edits the mappings of one address space; borrowed from it.
pub struct Cursor<'a> {
    space: &'a mut AddressSpace,
}

impl<'a> Cursor<'a> {
    /// The leaf entry for `va`, creating missing tables if `create`.
    fn entry(&mut self, va: VirtAddr, create: bool) -> Result<Option<&mut Pte>, MapError> {
        let tables = &mut self.space.tables;
        let mut alloc = |parent| new_table(tables, parent);
        // SAFETY: `root` is this space's hierarchy, and the `&mut` borrow of
        // the space that this cursor holds serialises every edit of it; the
        // entry returned is re-borrowed for no longer than `&mut self`.
        let e = unsafe { paging::entry_with(self.space.root.as_u64(), va.as_u64(), 1, if create { Some(&mut alloc) } else { None }) }?;
        Ok(e.map(|e| &mut *e))
    }

    /// The first page at or above `va` and below `end` whose page table
    /// exists, with its leaf entry (present or not). Missing tables are
    /// skipped whole, so walking a huge, mostly empty range costs what its
    /// tables cost, not one step per page.
    fn next_entry(&mut self, va: u64, end: u64) -> Option<(VirtAddr, &mut Pte)> {
        let (at, entries) = self.next_span(va, end)?;
        Some((VirtAddr::new(at), &mut entries[0]))
    }

    /// The entries of the first existing page table that covers part of
    /// `va..end`: the address of the first one (`va`, or the start of a
    /// table's 2 MiB span above it) and the slice of that table's entries
    /// from there up to `end` or the table's last entry.
    fn next_span(&mut self, mut va: u64, end: u64) -> Option<(u64, &mut [Pte])> {
        while va < end {
            // SAFETY: as in `entry`: our hierarchy, edits serialised by the
            // `&mut` borrow of the space, the table re-borrowed for `&mut self`.
            match unsafe { paging::leaf_table_or_next(self.space.root.as_u64(), va) } {
                Ok(table) => {
                    let first = paging::index(va, 1);
                    let pages = ((end - va).div_ceil(PAGE_SIZE)).min((512 - first) as u64) as usize;
                    return Some((va, &mut table[first..first + pages]));
                }
                Err(next) => va = next,
            }
        }
        None
    }

    /// The page table covering `va`, created (with the tables above it) if
    /// missing.
    fn table(self, va: u64) -> Result<&'a mut paging::Table, MapError> {
        let tables = &mut self.space.tables;
        let mut alloc = |parent| new_table(tables, parent);
        // SAFETY: as in `entry`; the table is borrowed for as long as the
        // cursor's own borrow of the space.
        let table = unsafe { paging::leaf_table_with(self.space.root.as_u64(), va, &mut alloc) }?;
        Ok(table)
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
        TABLE_FRAMES.fetch_add(1, Ordering::Relaxed);
        Ok(AddressSpace {
            root: Frame::new(root),
            regions: RegionMap::new(),
            brk_start: 0,
            brk: 0,
            mmap_top: 0,
            stack: (0, 0),
            tables: Vec::new(),
        })
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

    /// Visit every page that owns a frame (present or held), region by
    /// region, stopping at an error.
    fn try_for_each_mapped<E>(&mut self, mut f: impl FnMut(VirtAddr, &mut Pte) -> Result<(), E>) -> Result<(), E> {
        self.try_for_each_span(|at, entries| {
            for (i, pte) in entries.iter_mut().enumerate() {
                if holds_frame(pte) {
                    f(VirtAddr::new(at + i as u64 * PAGE_SIZE), pte)?;
                }
            }
            Ok(())
        })
    }

    /// Visit, region by region, the entries of every existing page table
    /// inside a region, a table's worth at a time: `f(first page's address,
    /// entries)`. Stops at the first error.
    fn try_for_each_span<E>(&mut self, mut f: impl FnMut(u64, &mut [Pte]) -> Result<(), E>) -> Result<(), E> {
        let regions = core::mem::take(&mut self.regions);
        let mut result = Ok(());
        'all: for r in regions.areas() {
            let mut next = r.range.start;
            while let Some((at, entries)) = self.cursor().next_span(next, r.range.end) {
                next = at + entries.len() as u64 * PAGE_SIZE;
                if let Err(e) = f(at, entries) {
                    result = Err(e);
                    break 'all;
                }
            }
        }
        self.regions = regions;
        result
    }

    /// How many pages hold a frame (present, or held under `PROT_NONE`),
    /// shared copy-on-write ones included: the OOM killer's measure.
    pub fn resident_pages(&mut self) -> usize {
        let mut n = 0;
        let _ = self.try_for_each_mapped(|_, _| -> Result<(), ()> {
            n += 1;
            Ok(())
        });
        n
    }
}
