//! Memory management: physical frames, page tables, the kernel heap and
//! kernel stacks.
//!
//! Boot order (see [`init`]): the frame allocator from the memory map, the
//! kernel's own page tables (replacing the boot tables), the heap, then the
//! frames above 4 GiB.

pub mod addr;
pub mod address_space;
pub mod fault;
pub mod fault_inject;
pub mod heap;
pub mod kernel_space;
pub mod kstack;
pub mod layout;
pub mod paging;
pub mod pmm;
pub mod selftest;
pub mod tlb;
pub mod uaccess;

pub use address_space::{AddressSpace, USER_RW};

use crate::bootinfo::BootInfo;
use crate::linker_addr;
use layout::KERNEL_VMA;

/// Bring up memory management.
pub fn init(boot: &BootInfo) {
    crate::mm_info!("Initializing memory management...");
    let kernel = linker_addr!(__boot_start)..(linker_addr!(__kernel_end) - KERNEL_VMA);
    let mut reserved = [const { 0..0 }; 4 + crate::bootinfo::MAX_MODULES];
    reserved[0] = kernel;
    reserved[1] = boot.mbi.clone();
    // GRUB's copy of the kernel's .symtab/.strtab (read by `symbols::init`).
    if let Some(elf) = &boot.elf_symbols {
        reserved[2] = elf.symtab.clone();
        reserved[3] = elf.strtab.clone();
    }
    for (i, m) in boot.modules().iter().enumerate() {
        reserved[4 + i] = m.clone();
    }
    pmm::init(boot, &reserved[..4 + boot.modules().len()]);
    kernel_space::init(boot);
    heap::init();
    kernel_space::finish();
    let total = pmm::total_usable_frames() * 4096;
    let free = pmm::free_frames() * 4096;
    crate::mm_info!("Total memory: {} MB, free: {} MB", total >> 20, free >> 20);
}
