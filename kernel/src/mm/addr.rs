//! Typed addresses: a user or kernel virtual address, a physical address,
//! and a physical frame (a page-aligned physical address).
//!
//! They keep the two address spaces apart in signatures: the address-space
//! API takes [`VirtAddr`] for where a page goes and hands out [`Frame`]s
//! for what backs it, so passing one where the other belongs does not
//! compile. Constructors check what the type promises (`Frame::new`
//! alignment); arithmetic stays in `u64` where the hardware formats are
//! built (`paging`).

use super::layout::{phys_to_virt, PAGE_SIZE};
use core::fmt;

/// A virtual address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct VirtAddr(u64);

/// A physical address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct PhysAddr(u64);

/// A 4 KiB physical frame, named by its (aligned) start address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Frame(u64);

impl VirtAddr {
    pub const fn new(va: u64) -> Self {
        VirtAddr(va)
    }
    pub const fn as_u64(self) -> u64 {
        self.0
    }
    /// The start of the page holding this address.
    pub const fn page_floor(self) -> Self {
        VirtAddr(self.0 & !(PAGE_SIZE - 1))
    }
}

impl PhysAddr {
    /// Where the direct map shows this physical address.
    pub const fn to_direct_map(self) -> VirtAddr {
        VirtAddr(phys_to_virt(self.0))
    }
}

impl Frame {
    /// The frame starting at `pa`. Panics if `pa` is not page-aligned.
    pub const fn new(pa: u64) -> Self {
        assert!(pa.is_multiple_of(PAGE_SIZE), "frame address not page-aligned");
        Frame(pa)
    }
    pub const fn start(self) -> PhysAddr {
        PhysAddr(self.0)
    }
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for VirtAddr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "VirtAddr({:#x})", self.0)
    }
}
impl fmt::Debug for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "PhysAddr({:#x})", self.0)
    }
}
impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Frame({:#x})", self.0)
    }
}
