//! Files: the kernel side of the VFS, devices, pipes and procfs.
//!
//! The pure VFS logic (inodes, tmpfs, mount table, path resolution with
//! Linux's errors, initramfs unpacking) is the host-tested `vfs` crate; this
//! module wraps it with locks and objects:
//!
//! * [`mounts`]: the filesystem instances (one lock each), the
//!   mount table (a published snapshot), the resolver, and boot: the root
//!   tmpfs filled from the initrd, devfs on `/dev`, procfs on `/proc`.
//! * [`mod@file`]: an open file description ([`file::OpenFile`]): access mode,
//!   status flags, position; what it reads and writes (an inode, a device,
//!   a pipe end).
//! * [`fdpath`]: the paths `/proc/N/fd` and `/proc/N/exe` show.
//! * [`fdtable`]: a process's descriptor table (1,024 slots, close-on-exec)
//!   and its working directory.
//! * [`open`]: path-based operations (`open`, `stat`, `mkdir`, ... and
//!   `exec`'s file reading) on behalf of a process.
//! * [`fifo`]: named pipes (one pipe per FIFO inode, Linux's open rules).
//! * [`pipe`]: pipes (64 KiB, `PIPE_BUF` atomicity, readiness via `Pollee`).
//! * [`dev`]: the `CharDevice` trait, the registry by (major, minor) and
//!   the memory devices and console; [`random`]: the ChaCha20 generator
//!   behind `/dev/random` and `/dev/urandom`.
//! * [`rw`]: moving bytes between inode files and user or kernel memory.
//! * [`poll`]: waiting on many files (`poll`/`select`), with a deadline.
//! * [`procfs`]: `/proc`, generated on read; [`procfs_pid`]: its `/proc/N/`.
//!
//! Lock order (see `sync/lock_ordering.rs`): `File` (a description's
//! position) → `ProcessTable`/`Process` (procfs reads them) → `FdTable` →
//! `Filesystem` (one instance at a time) → `Mounts` → `DeviceRegistry` →
//! `Pipe` → `AddressSpace`. User memory is copied only with `File` or
//! `Pipe` held (both rank before `AddressSpace`, which a fault during the
//! copy may take), never with a `Filesystem` lock held.

#![forbid(unsafe_code)]

pub mod dev;
pub mod fdpath;
pub mod fdtable;
pub mod fifo;
pub mod file;
pub mod open;
pub mod pipe;
pub mod poll;
pub mod procfs;
pub mod procfs_pid;
pub mod random;
pub mod mounts;
pub mod rw;

pub use fdtable::ProcFiles;

/// Bring the file layer up: the root filesystem from the initrd archive
/// `initrd` (empty if there is none), devfs and procfs. Idempotent.
pub fn init(initrd: &[u8]) {
    mounts::init(initrd);
}
