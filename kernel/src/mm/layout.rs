//! The kernel's virtual memory layout (the spec's "Memory Layout").
//!
//! ```text
//! 0x0000_0000_0000_0000 .. 0x0000_7FFF_FFFF_FFFF  user space (lower half)
//! 0xFFFF_8000_0000_0000 .. 0xFFFF_9FFF_FFFF_FFFF  direct map of physical memory
//! 0xFFFF_A000_0000_0000 .. +16 MiB                kernel heap (buddy allocator)
//! 0xFFFF_B000_0000_0000 .. +64 GiB                kernel stacks, each below a guard page
//! 0xFFFF_FFFF_8000_0000 .. 0xFFFF_FFFF_FFFF_FFFF  kernel image (higher half)
//! ```

/// Start of the direct map of all physical memory.
pub const HHDM_BASE: u64 = 0xFFFF_8000_0000_0000;
/// Start of the kernel heap.
pub const HEAP_BASE: u64 = 0xFFFF_A000_0000_0000;
/// Size of the kernel heap.
pub const HEAP_SIZE: usize = 16 * 1024 * 1024;
/// Start of the kernel-stack region.
pub const KSTACK_BASE: u64 = 0xFFFF_B000_0000_0000;
/// Virtual base of the kernel image.
pub const KERNEL_VMA: u64 = 0xFFFF_FFFF_8000_0000;
/// First PML4 slot of the kernel half.
pub const KERNEL_PML4_FIRST: usize = 256;

pub const PAGE_SIZE: u64 = 4096;

/// The direct-map address of physical address `pa`.
#[inline]
pub const fn phys_to_virt(pa: u64) -> u64 {
    pa + HHDM_BASE
}

/// The physical address of direct-map address `va` (the inverse of
/// [`phys_to_virt`]; `va` must lie in the direct map).
#[inline]
pub const fn virt_to_phys(va: u64) -> u64 {
    va - HHDM_BASE
}


/// The physical address of a kernel-image address (`.text`, `.data`, ...).
#[inline]
pub fn kernel_image_phys(va: u64) -> u64 {
    va - KERNEL_VMA
}

/// Round down / up to a page boundary.
#[inline]
pub const fn page_floor(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}
#[inline]
pub const fn page_ceil(x: u64) -> u64 {
    (x + PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

/// Linker-script symbols bounding the kernel image sections.
pub mod sections {
    extern "C" {
        pub static __boot_start: u8;
        pub static __boot_end: u8;
        pub static __kernel_start: u8;
        pub static __text_start: u8;
        pub static __text_end: u8;
        pub static __rodata_start: u8;
        pub static __rodata_end: u8;
        pub static __data_start: u8;
        pub static __data_end: u8;
        pub static __kernel_end: u8;
    }

    /// Address of a linker symbol.
    #[macro_export]
    macro_rules! linker_addr {
        ($sym:ident) => {
            core::ptr::addr_of!($crate::mm::layout::sections::$sym) as u64
        };
    }
}
