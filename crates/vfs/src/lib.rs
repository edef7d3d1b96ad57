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
//! * [`perm`]: Linux's permission rules (`access`, the umask, `chown`
//!   clearing set-ID bits).
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
//!
//! # Example: the kernel's side
//!
//! A kernel keeps its filesystem instances behind one lock each and hands
//! the resolver a [`Filesystems`] that takes the lock per call (here
//! `std::sync::Mutex` stands for the kernel's spinlock):
//!
//! ```
//! use mello_abi::Errno;
//! use std::sync::Mutex;
//! use vfs::*;
//!
//! struct Instances<'a>(&'a [Mutex<Box<dyn Filesystem + Send>>]);
//!
//! impl Filesystems for Instances<'_> {
//!     fn with_fs<R>(&mut self, fs: FsId, f: impl FnOnce(&mut dyn Filesystem) -> Result<R>)
//!         -> Result<R> {
//!         let mut guard = self.0.get(fs).ok_or(Errno::ENODEV)?.lock().unwrap();
//!         f(&mut **guard) // the lock is held for exactly this one call
//!     }
//! }
//!
//! let now = Timespec::from_secs(1_700_000_000);
//! let rootfs = Tmpfs::new(1, 0o755, Cred::ROOT, now);
//! let root_ino = rootfs.root();
//! let table: Vec<Mutex<Box<dyn Filesystem + Send>>> = vec![Mutex::new(Box::new(rootfs))];
//! let mounts = MountTable::new(0, root_ino); // behind its own (read-write) lock
//! let mut fss = Instances(&table);
//! let mut r = Resolver::new(&mounts, &mut fss);
//! let root = r.root;
//!
//! r.mkdir(root, b"/tmp", 0o1777, Cred::ROOT, now)?;
//! let flags = CreateFlags::default();
//! let (file, created) = r.open_create(root, b"/tmp/hello", 0o644, flags, Cred::ROOT, now)?;
//! assert!(created);
//! // open(): pin the inode for as long as the file description lives.
//! r.with_fs(file, |fs| fs.pin(file.ino))?;
//! r.with_fs(file, |fs| fs.write(file.ino, 0, b"hi\n", now))?;
//! r.unlink(root, b"/tmp/hello", now)?;
//! assert_eq!(r.resolve(root, b"/tmp/hello", true), Err(Errno::ENOENT));
//! let mut buf = [0; 8];
//! let n = r.with_fs(file, |fs| fs.read(file.ino, 0, &mut buf, now))?;
//! assert_eq!(&buf[..n], b"hi\n"); // still readable while open
//! r.with_fs(file, |fs| fs.unpin(file.ino))?; // close(): now it is freed
//! assert_eq!(r.stat(file), Err(Errno::ENOENT));
//! # Ok::<(), Errno>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cpio;
mod crossing;
mod fs;
pub mod mount;
mod ops;
pub mod path;
pub mod perm;
pub mod tmpfs;
pub mod types;

pub use cpio::{unpack_cpio, UnpackStats};
pub use fs::{Filesystem, Result};
pub use mount::{FsId, Location, Mount, MountId, MountTable};
pub use ops::CreateFlags;
pub use path::{Filesystems, Last, Parent, Resolver, Single};
pub use tmpfs::Tmpfs;
pub use types::*;
