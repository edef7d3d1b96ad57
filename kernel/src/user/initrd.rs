//! The initial ramdisk: the cpio "newc" archive GRUB loads as the first
//! module. `exec` resolves paths here ("/bin/init", "bin/init" and
//! "./bin/init" name the same file).
//!
//! The archive is read in place through the direct map; its frames are
//! reserved at boot and never change, so file contents are `'static`.

use crate::bootinfo::BootInfo;
use crate::mm::layout::phys_to_virt;
use core::sync::atomic::{AtomicUsize, Ordering};
use cpio_newc::Archive;

static BASE: AtomicUsize = AtomicUsize::new(0);
static LEN: AtomicUsize = AtomicUsize::new(0);

/// Remember where the ramdisk is; log its size and file count.
pub fn init(boot: &BootInfo) {
    let Some(range) = boot.initrd() else {
        crate::klog!("INITRD", "no ramdisk module: exec will find no programs");
        return;
    };
    BASE.store(phys_to_virt(range.start) as usize, Ordering::Relaxed);
    LEN.store((range.end - range.start) as usize, Ordering::Release);
    match Archive::new(bytes()).validate() {
        Ok(n) => crate::klog!("INITRD", "{} KiB, {} entries", LEN.load(Ordering::Relaxed) / 1024, n),
        Err(e) => crate::klog!("INITRD", "malformed ramdisk: {:?}", e),
    }
}

fn bytes() -> &'static [u8] {
    let len = LEN.load(Ordering::Acquire);
    if len == 0 {
        return &[];
    }
    // SAFETY: the module's frames are reserved from the PMM and mapped by
    // the direct map for the kernel's lifetime; nothing writes them.
    unsafe { core::slice::from_raw_parts(BASE.load(Ordering::Relaxed) as *const u8, len) }
}

/// The contents of the regular file at `path`.
pub fn lookup(path: &str) -> Option<&'static [u8]> {
    Archive::new(bytes()).find(path).map(|e| e.data)
}
