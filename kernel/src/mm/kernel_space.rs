//! The kernel half of every address space.
//!
//! [`init`] builds the kernel's own PML4, replacing the boot tables:
//!
//! * a direct map of every memory-map region at `HHDM_BASE` (RW, NX,
//!   global; 2 MiB pages where alignment allows);
//! * the kernel image with per-section permissions: `.text` RX, `.rodata`
//!   R+NX, `.data`/`.bss` RW+NX (4 KiB pages);
//! * every PML4 slot of the kernel half pre-populated with a PDPT, so
//!   mappings added later (heap, kernel stacks, MMIO) appear in every
//!   process's address space without copying: processes share these PDPTs.
//!
//! Locking: `KERNEL_PT` (level `KernelPageTable`) serialises edits of the
//! kernel half. Removing a kernel mapping requires a TLB shootdown on every
//! CPU (`mm::tlb`).

use super::layout::*;
use super::paging::{self, MapError, PteFlags};
use super::pmm;
use crate::bootinfo::BootInfo;
use crate::linker_addr;
use crate::sync::{IrqSpinLock, LockLevel};
use core::sync::atomic::{AtomicU64, Ordering};

static KERNEL_PML4: AtomicU64 = AtomicU64::new(0);
static KERNEL_PT: IrqSpinLock<()> = IrqSpinLock::new(LockLevel::KernelPageTable, "kernel-pt", ());

const HUGE: u64 = 2 << 20;
const RW_NX: PteFlags = PteFlags::WRITABLE.union(PteFlags::NO_EXECUTE).union(PteFlags::GLOBAL);

/// Switch the current task to the kernel's own tables (before its address
/// space is freed).
pub fn activate_kernel() {
    crate::sched::set_current_root(kernel_pml4());
}

/// Physical address of the kernel PML4 (what kernel-only tasks run on).
pub fn kernel_pml4() -> u64 {
    KERNEL_PML4.load(Ordering::Relaxed)
}

/// Build the kernel page tables and switch to them.
pub fn init(boot: &BootInfo) {
    let root = paging::alloc_table().expect("out of memory building the kernel page tables");
    // SAFETY: `root` was just allocated and is not live; single-threaded boot.
    let pml4 = unsafe { paging::table_at(root) };
    for slot in pml4.iter_mut().skip(KERNEL_PML4_FIRST) {
        let pdpt = paging::alloc_table().expect("out of memory building the kernel page tables");
        *slot = paging::Pte::new(pdpt, PteFlags::PRESENT | PteFlags::WRITABLE);
    }

    for r in boot.regions() {
        map_direct(root, r.base, r.base + r.len);
    }

    let sections = [
        (linker_addr!(__text_start), linker_addr!(__text_end), PteFlags::GLOBAL),
        (linker_addr!(__rodata_start), linker_addr!(__rodata_end), PteFlags::NO_EXECUTE | PteFlags::GLOBAL),
        (linker_addr!(__data_start), linker_addr!(__data_end), RW_NX),
    ];
    for (start, end, flags) in sections {
        let mut va = page_floor(start);
        while va < end {
            // SAFETY: `root` is not live yet; maps kernel-image pages to their frames.
            unsafe { paging::map(root, va, kernel_image_phys(va), flags) }.expect("kernel image mapping");
            va += PAGE_SIZE;
        }
    }

    KERNEL_PML4.store(root, Ordering::Relaxed);
    // SAFETY: the new tables map the kernel image, the stack we run on (in
    // .bss) and all RAM through the direct map exactly as the boot tables did.
    unsafe { crate::arch::cpu::write_cr3(root) };
    enable_global_pages();
}

fn enable_global_pages() {
    // SAFETY: setting CR4.PGE only keeps global (kernel) TLB entries across
    // CR3 switches; kernel mappings are identical in every address space.
    unsafe {
        let mut cr4: u64;
        core::arch::asm!("mov {}, cr4", out(reg) cr4);
        core::arch::asm!("mov cr4, {}", in(reg) cr4 | (1 << 7));
    }
}

/// Direct-map physical `[start, end)` (RW, NX), 2 MiB pages where possible.
fn map_direct(root: u64, start: u64, end: u64) {
    let mut pa = page_floor(start);
    let end = page_ceil(end);
    while pa < end {
        let va = phys_to_virt(pa);
        // SAFETY: `root` is the (not yet live, or locked) kernel hierarchy; the
        // direct map aliases RAM as data only (NX).
        let result = unsafe {
            if pa.is_multiple_of(HUGE) && pa + HUGE <= end {
                paging::map_huge(root, va, pa, RW_NX)
            } else {
                paging::map(root, va, pa, RW_NX)
            }
        };
        match result {
            Ok(()) | Err(MapError::AlreadyMapped) | Err(MapError::HugePage) => {}
            Err(MapError::OutOfMemory) => panic!("out of memory building the direct map"),
        }
        pa += if pa.is_multiple_of(HUGE) && pa + HUGE <= end { HUGE } else { PAGE_SIZE };
    }
}

/// Make device memory `[pa, pa+len)` reachable (uncached) through the direct
/// map and return its virtual address. Pages already mapped (RAM regions)
/// are left as they are.
pub fn map_mmio(pa: u64, len: u64) -> u64 {
    let _guard = KERNEL_PT.lock();
    let mut page = page_floor(pa);
    while page < pa + len {
        let flags = RW_NX | PteFlags::NO_CACHE | PteFlags::WRITE_THROUGH;
        // SAFETY: we hold KERNEL_PT; device pages are mapped data-only.
        match unsafe { paging::map(kernel_pml4(), phys_to_virt(page), page, flags) } {
            Ok(()) | Err(MapError::AlreadyMapped) | Err(MapError::HugePage) => {}
            Err(MapError::OutOfMemory) => panic!("out of memory mapping MMIO"),
        }
        page += PAGE_SIZE;
    }
    phys_to_virt(pa)
}

/// Map one kernel page `va` -> `pa` (RW, NX) in the shared kernel half.
pub fn map_kernel_page(va: u64, pa: u64) -> Result<(), MapError> {
    let _guard = KERNEL_PT.lock();
    let mut alloc = |_| {
        let t = paging::alloc_table()?;
        RUNTIME_TABLES.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        Ok(t)
    };
    // SAFETY: we hold KERNEL_PT; `va` is in a kernel region owned by the caller.
    let e = unsafe { paging::entry_with(kernel_pml4(), va, 1, Some(&mut alloc))? }.expect("created");
    if e.is_present() {
        return Err(MapError::AlreadyMapped);
    }
    *e = paging::Pte::new(pa, RW_NX | PteFlags::PRESENT);
    Ok(())
}

/// Page-table frames [`map_kernel_page`] has allocated (kernel tables are
/// never freed: a high-water mark, which leak checks add to free frames).
static RUNTIME_TABLES: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// See [`RUNTIME_TABLES`].
pub fn runtime_tables() -> usize {
    RUNTIME_TABLES.load(core::sync::atomic::Ordering::Relaxed)
}

/// Unmap one kernel page and return its frame. The caller must shoot down
/// the TLB entry on every CPU (see `mm::tlb::flush_kernel_range`).
pub fn unmap_kernel_page(va: u64) -> Option<u64> {
    let _guard = KERNEL_PT.lock();
    // SAFETY: we hold KERNEL_PT; the caller owns `va`.
    unsafe { paging::unmap(kernel_pml4(), va) }
}

/// Translate a kernel virtual address.
pub fn translate(va: u64) -> Option<(u64, PteFlags)> {
    // SAFETY: reading the kernel hierarchy; a concurrent edit can only make
    // the answer stale.
    unsafe { paging::translate(kernel_pml4(), va) }
}

/// Copy the kernel half of the kernel PML4 into a new process PML4.
pub fn copy_kernel_half(dst_root: u64) {
    // SAFETY: `dst_root` is a fresh table owned by the caller; the kernel
    // PML4's upper half never changes after `init` (all slots pre-populated).
    unsafe {
        let src = paging::table_at(kernel_pml4());
        let dst = paging::table_at(dst_root);
        dst[KERNEL_PML4_FIRST..].copy_from_slice(&src[KERNEL_PML4_FIRST..]);
    }
}

/// Clear the kernel half of a user PML4 that is no longer loaded anywhere
/// (before its frame is freed as a zeroed one).
pub fn clear_kernel_half(root: u64) {
    // SAFETY: `root` is a PML4 owned by the caller and loaded on no CPU.
    unsafe { paging::table_at(root)[KERNEL_PML4_FIRST..].fill(paging::Pte(0)) };
}

/// Mark frames beyond 4 GiB usable (the direct map now covers them).
pub fn finish() {
    pmm::release_high_memory();
}
