//! 4-level page tables: entries, flags, and the map/unmap/translate walker.
//!
//! Page-table frames are reached through the direct map, so any table of any
//! address space can be edited from any CPU. The functions here do no
//! locking: the owner of a root (the kernel-table lock for the kernel half,
//! the address-space lock for a process) serialises edits. Unmapping or
//! downgrading a present entry needs a TLB flush; callers decide how wide
//! (this CPU only, or every CPU for kernel mappings, see `mm::tlb`).

use super::layout::{phys_to_virt, PAGE_SIZE};
use super::pmm::{self, OutOfMemory};
use bitflags::bitflags;

bitflags! {
    /// Page-table entry flags (x86-64).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PteFlags: u64 {
        const PRESENT = 1 << 0;
        const WRITABLE = 1 << 1;
        const USER = 1 << 2;
        const WRITE_THROUGH = 1 << 3;
        const NO_CACHE = 1 << 4;
        const ACCESSED = 1 << 5;
        const DIRTY = 1 << 6;
        const HUGE = 1 << 7;
        const GLOBAL = 1 << 8;
        /// Software bit: read-only because shared copy-on-write.
        const COW = 1 << 9;
        const NO_EXECUTE = 1 << 63;
    }
}

const ADDR_MASK: u64 = 0x000F_FFFF_FFFF_F000;

/// Flags used for intermediate tables: permissive; leaves decide.
const TABLE_FLAGS: PteFlags = PteFlags::PRESENT.union(PteFlags::WRITABLE).union(PteFlags::USER);

/// A page-table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Pte(pub u64);

impl Pte {
    pub fn new(pa: u64, flags: PteFlags) -> Self {
        Pte((pa & ADDR_MASK) | flags.bits())
    }
    pub fn addr(self) -> u64 {
        self.0 & ADDR_MASK
    }
    pub fn flags(self) -> PteFlags {
        PteFlags::from_bits_truncate(self.0)
    }
    pub fn is_present(self) -> bool {
        self.0 & 1 != 0
    }
}

/// One 4 KiB table of 512 entries.
pub type Table = [Pte; 512];

/// Clear the entry at physical address `entry_pa` (what an allocator given
/// to [`entry_with`] was told).
///
/// # Safety
/// `entry_pa` is an entry of a page table, and the caller holds whatever
/// lock serialises edits of its hierarchy and flushes what needs flushing.
pub unsafe fn clear_entry_at(entry_pa: u64) {
    // SAFETY: the caller's contract; an entry is 8-aligned in its table.
    unsafe { table_at(entry_pa & !(PAGE_SIZE - 1))[(entry_pa % PAGE_SIZE / 8) as usize] = Pte(0) };
}

/// Borrow the table in physical frame `pa`.
///
/// # Safety
/// `pa` must be a page-table frame, and the caller must hold whatever lock
/// serialises edits of the hierarchy it belongs to.
#[allow(clippy::mut_from_ref)]
pub unsafe fn table_at(pa: u64) -> &'static mut Table {
    // SAFETY: the caller's contract; the direct map covers all RAM.
    unsafe { &mut *(phys_to_virt(pa) as *mut Table) }
}

/// Index into the table at `level` (4 = PML4 .. 1 = PT) for `va`.
#[inline]
pub const fn index(va: u64, level: u32) -> usize {
    ((va >> (12 + 9 * (level - 1))) & 511) as usize
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    OutOfMemory,
    AlreadyMapped,
    /// A huge page covers the address; it cannot be split here.
    HugePage,
}

impl From<OutOfMemory> for MapError {
    fn from(_: OutOfMemory) -> Self {
        MapError::OutOfMemory
    }
}

/// Allocate a zeroed frame for a page table.
pub fn alloc_table() -> Result<u64, OutOfMemory> {
    pmm::alloc_frame_zeroed()
}

/// The leaf entry for `va` in the hierarchy at `root`, creating missing
/// tables when `create` is set. `level` of the leaf: 1 (4 KiB) or 2 (2 MiB).
///
/// # Safety
/// As for [`table_at`]: `root` is a PML4 frame and the caller serialises edits.
pub unsafe fn entry(root: u64, va: u64, leaf_level: u32, create: bool) -> Result<Option<&'static mut Pte>, MapError> {
    let mut alloc = |_| alloc_table();
    // SAFETY: forwarded contract.
    unsafe { entry_with(root, va, leaf_level, if create { Some(&mut alloc) } else { None }) }
}

/// [`entry`] with a caller-supplied allocator for missing tables, told the
/// physical address of the entry that will point at the new table (address
/// spaces use it to remember every table they own and where it hangs).
///
/// # Safety
/// As for [`entry`].
pub unsafe fn entry_with(
    root: u64,
    va: u64,
    leaf_level: u32,
    mut alloc: Option<&mut dyn FnMut(u64) -> Result<u64, OutOfMemory>>,
) -> Result<Option<&'static mut Pte>, MapError> {
    let mut table_pa = root;
    let mut level = 4;
    loop {
        // SAFETY: `table_pa` is a table of this hierarchy (induction from `root`).
        let table = unsafe { table_at(table_pa) };
        let i = index(va, level);
        let e = &mut table[i];
        if level == leaf_level {
            return Ok(Some(e));
        }
        if !e.is_present() {
            let Some(alloc) = alloc.as_mut() else { return Ok(None) };
            *e = Pte::new(alloc(table_pa + 8 * i as u64)?, TABLE_FLAGS);
        } else if e.flags().contains(PteFlags::HUGE) {
            return Err(MapError::HugePage);
        }
        table_pa = e.addr();
        level -= 1;
    }
}

/// The page table (level 1) covering `va` if it exists; else `Err(next)`,
/// the first address above `va` that a table could cover: the end of the
/// missing table's span (2 MiB, 1 GiB or 512 GiB), so that a walk over a
/// sparse range visits the tables that exist, not every page. A huge entry
/// (never in user space) counts as a gap too.
///
/// # Safety
/// As for [`entry`].
pub unsafe fn leaf_table_or_next(root: u64, va: u64) -> Result<&'static mut Table, u64> {
    let mut table_pa = root;
    for level in (2..=4).rev() {
        // SAFETY: `table_pa` is a table of this hierarchy (induction from `root`).
        let e = unsafe { &mut table_at(table_pa)[index(va, level)] };
        if !e.is_present() || e.flags().contains(PteFlags::HUGE) {
            let span = 1u64 << (12 + 9 * (level - 1));
            return Err((va & !(span - 1)).saturating_add(span));
        }
        table_pa = e.addr();
    }
    // SAFETY: as above; `table_pa` is the level-1 table for `va`.
    Ok(unsafe { table_at(table_pa) })
}

/// The page table (level 1) covering `va`, creating it and the tables above
/// it with `alloc`. A huge page in the way is an error.
///
/// # Safety
/// As for [`entry`].
pub unsafe fn leaf_table_with(
    root: u64,
    va: u64,
    alloc: &mut dyn FnMut(u64) -> Result<u64, OutOfMemory>,
) -> Result<&'static mut Table, MapError> {
    // SAFETY: forwarded contract.
    let leaf = unsafe { entry_with(root, va, 1, Some(alloc)) }?.expect("created");
    let table = super::layout::virt_to_phys(leaf as *const Pte as u64) & !(PAGE_SIZE - 1);
    // SAFETY: `leaf` is an entry of the level-1 table for `va`, which
    // `table` is the frame of.
    Ok(unsafe { table_at(table) })
}

/// Map the 4 KiB page at `va` to frame `pa`.
///
/// # Safety
/// As for [`entry`]; the mapping must not break memory safety (e.g. alias a
/// frame the kernel uses elsewhere as something else).
pub unsafe fn map(root: u64, va: u64, pa: u64, flags: PteFlags) -> Result<(), MapError> {
    // SAFETY: forwarded contract.
    let e = unsafe { entry(root, va, 1, true)? }.expect("created");
    if e.is_present() {
        return Err(MapError::AlreadyMapped);
    }
    *e = Pte::new(pa, flags | PteFlags::PRESENT);
    Ok(())
}

/// Map a 2 MiB page (both addresses 2 MiB aligned).
///
/// # Safety
/// As for [`map`].
pub unsafe fn map_huge(root: u64, va: u64, pa: u64, flags: PteFlags) -> Result<(), MapError> {
    // SAFETY: forwarded contract.
    let e = unsafe { entry(root, va, 2, true)? }.expect("created");
    if e.is_present() {
        return Err(MapError::AlreadyMapped);
    }
    *e = Pte::new(pa, flags | PteFlags::PRESENT | PteFlags::HUGE);
    Ok(())
}

/// Remove the 4 KiB mapping at `va`; returns the frame it mapped. The caller
/// flushes the TLB.
///
/// # Safety
/// As for [`entry`].
pub unsafe fn unmap(root: u64, va: u64) -> Option<u64> {
    // SAFETY: forwarded contract.
    let e = unsafe { entry(root, va, 1, false) }.ok()??;
    if !e.is_present() {
        return None;
    }
    let pa = e.addr();
    *e = Pte(0);
    Some(pa)
}

/// Translate `va` to (physical address, leaf flags), following huge pages.
///
/// # Safety
/// `root` is a PML4 frame; concurrent edits may make the answer stale.
pub unsafe fn translate(root: u64, va: u64) -> Option<(u64, PteFlags)> {
    let mut table_pa = root;
    for level in (1..=4).rev() {
        // SAFETY: walking down a hierarchy from its root.
        let e = unsafe { table_at(table_pa) }[index(va, level)];
        if !e.is_present() {
            return None;
        }
        if level == 1 || e.flags().contains(PteFlags::HUGE) {
            let page_size = PAGE_SIZE << (9 * (level - 1));
            return Some((e.addr() & !(page_size - 1) | (va & (page_size - 1)), e.flags()));
        }
        table_pa = e.addr();
    }
    None
}
