//! The initial ramdisk: the cpio "newc" archive GRUB loads as the first
//! module. `exec` resolves paths here ("/bin/init", "bin/init" and
//! "./bin/init" name the same file).
//!
//! The archive is read in place through the direct map; its frames are
//! reserved at boot and never change, so file contents are `'static`.

use crate::bootinfo::BootInfo;
use alloc::vec::Vec;
use cpio_newc::Archive;

/// The archive, published once at boot.
static ARCHIVE: spin::Once<&'static [u8]> = spin::Once::new();

/// Remember where the ramdisk is; log its size and file count.
pub fn init(boot: &BootInfo) {
    if boot.initrd().is_none() {
        crate::klog!("INITRD", "no ramdisk module: exec will find no programs");
        return;
    }
    let bytes = *ARCHIVE.call_once(|| boot.initrd_bytes());
    match Archive::new(bytes).validate() {
        Ok(n) => crate::klog!("INITRD", "{} KiB, {} entries", bytes.len() / 1024, n),
        Err(e) => crate::klog!("INITRD", "malformed ramdisk: {:?}", e),
    }
}

fn bytes() -> &'static [u8] {
    ARCHIVE.get().copied().unwrap_or(&[])
}

/// The contents of the regular file at `path`.
pub fn lookup(path: &str) -> Option<&'static [u8]> {
    Archive::new(bytes()).find(path).map(|e| e.data)
}

/// The names of the files directly inside directory `dir` ("/bin"), sorted.
pub fn list_dir(dir: &str) -> Vec<&'static str> {
    let dir = cpio_newc::normalize(dir);
    let mut names: Vec<&'static str> = Archive::new(bytes())
        .iter()
        .filter_map(|e| {
            let (parent, name) = cpio_newc::normalize(e.ok()?.name).rsplit_once('/')?;
            (parent == dir && !name.is_empty()).then_some(name)
        })
        .collect();
    names.sort_unstable();
    names
}
