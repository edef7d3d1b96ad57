//! MelloOS VFS core: the hardware-free part of the virtual filesystem.
//!
//! * [`Filesystem`] (in `fs`): the object-safe trait one filesystem
//!   instance implements, in terms of inode numbers; errors are Linux's
//!   [`Errno`](mello_abi::Errno) values.
//! * [`Tmpfs`]: a memory filesystem implementing it (Linux tmpfs's sizes,
//!   link counts and timestamps).
//! * [`MountTable`]: which filesystem is mounted on which directory.
//! * [`Resolver`] (in `path`): Linux path resolution over a mount table
//!   (`resolve`, `resolve_parent`, `getcwd`), and on it whole path
//!   operations with Linux's above-the-filesystem checks (`mkdir`,
//!   `mknod`, `symlink`, `link`, `unlink`, `rmdir`, `rename`,
//!   `open_create`).
//! * [`unpack_cpio`]: fills a filesystem from an initramfs ("newc") image
//!   as Linux's `init/initramfs.c` does.
//! * The value types (`types`): [`Stat`], [`FileType`], [`DirEntry`],
//!   [`Timespec`], [`SetAttr`], [`Cred`], device-number helpers.
//!
//! # Locking (what the kernel is expected to do)
//!
//! Nothing in this crate locks, blocks, allocates a global, or reads a
//! clock: times are passed in as [`Timespec`] arguments.
//!
//! * **One lock per filesystem instance.** The kernel keeps each instance
//!   as e.g. `SpinLock<Box<dyn Filesystem>>` and takes that lock around
//!   each trait call (all methods are `&mut self`). Each call is then
//!   atomic for that instance, including `rename`.
//! * **One lock for the mount table**, taken for reading during a path
//!   resolution and for writing by `mount`/`umount`. Lock order: mount
//!   table, then one filesystem at a time. The resolver reaches the
//!   filesystems through the kernel's [`Filesystems`] implementation,
//!   whose `with_fs` takes and drops the instance's lock around one call;
//!   it never holds two filesystem locks at once.
//! * A resolved [`Location`] is only a name (mount id, inode number): a
//!   concurrent unlink can free the inode before the kernel uses it, and
//!   later calls then fail with `ENOENT`. To keep an inode alive (open
//!   files, cwd, root), the kernel calls [`Filesystem::pin`] while still
//!   holding the lock of the call that produced it where that matters, and
//!   [`Filesystem::unpin`] on close. An unlinked inode lives until its last
//!   unpin.
//! * Copy data to and from user memory outside the filesystem lock (read
//!   into a kernel buffer first), since a page fault may need the lock.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cpio;
mod fs;
pub mod mount;
mod ops;
pub mod path;
pub mod tmpfs;
pub mod types;

pub use cpio::{unpack_cpio, UnpackStats};
pub use fs::{Filesystem, Result};
pub use ops::CreateFlags;
pub use mount::{FsId, Location, Mount, MountId, MountTable};
pub use path::{Filesystems, Last, Parent, Resolver, Single};
pub use tmpfs::Tmpfs;
pub use types::*;
