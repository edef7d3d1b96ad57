//! The initial ramdisk: the cpio "newc" archive GRUB loads as the first
//! module. At boot it is unpacked into the root tmpfs (`fs::vfs::init`,
//! as Linux's initramfs); from then on programs are files of the VFS, and
//! `exec` reads them from there ("/bin/init", "bin/init" and "./bin/init"
//! name the same file, relative paths starting at `/` for the kernel).
//!
//! The archive itself is read in place through the direct map once, at
//! boot; nothing here keeps state (the VFS's locks protect the files).

use crate::bootinfo::BootInfo;
use alloc::string::String;
use alloc::vec::Vec;
use cpio_newc::Archive;

/// Log the ramdisk's size and entry count and unpack it into the root
/// filesystem (idempotent: the VFS is built once).
pub fn init(boot: &BootInfo) {
    if boot.initrd().is_none() {
        crate::klog!("INITRD", "no ramdisk module: exec will find no programs");
        crate::fs::init(&[]);
        return;
    }
    let bytes = boot.initrd_bytes();
    match Archive::new(bytes).validate() {
        Ok(n) => crate::klog!("INITRD", "{} KiB, {} entries", bytes.len() / 1024, n),
        Err(e) => crate::klog!("INITRD", "malformed ramdisk: {:?}", e),
    }
    crate::fs::init(bytes);
}

/// The contents of the regular file at `path` (from `/`), if there is one.
pub fn lookup(path: &str) -> Option<Vec<u8>> {
    crate::fs::open::read_file(crate::fs::mounts::root(), path.as_bytes()).ok()
}

/// The names in directory `dir` ("/bin"), sorted.
pub fn list_dir(dir: &str) -> Vec<String> {
    crate::fs::open::list_dir(dir.as_bytes())
}
