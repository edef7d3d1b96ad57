//! The filesystem instances, the mount table and path resolution.
//!
//! * Instances live in [`FILESYSTEMS`], a fixed table indexed by
//!   [`FsId`], each behind its own `SpinLock` (level `Filesystem`): every
//!   `vfs::Filesystem` call runs with exactly that one lock held, so a call
//!   is atomic for its instance (a `rename` is seen whole or not at all),
//!   and no code ever holds two instance locks. procfs ([`PROC_FS`]) has no
//!   state of its own and no lock: its calls read the process table.
//! * The mount table is immutable once published: [`MOUNTS`] (level
//!   `Mounts`, taken alone) holds an `Arc` to the current one, and a
//!   resolution works on the snapshot it took, so no lock is held across a
//!   path walk. `mount` publishes a new table.
//! * [`Pinned`] keeps an inode alive (open files, working directories):
//!   it pins on creation and clone and unpins on drop, so an unlinked file
//!   stays readable until its last close, as on Linux.
//!
//! Boot ([`init`]): a tmpfs root filled from the initrd cpio (Linux's
//! initramfs), devfs (a tmpfs with Linux's device nodes) on `/dev`, procfs
//! on `/proc` (the directories are made if the archive lacks them).
//!
//! Later mounts ([`mount`], [`umount`]: Linux's `mount(2)`/`umount2(2)`):
//! a fresh tmpfs (an instance in a free [`FILESYSTEMS`] slot, freed by its
//! last unmount), another view of procfs or devfs (one instance each, as
//! Linux's `proc` and `devtmpfs`), or a bind mount of a directory. An
//! unmount is refused (`EBUSY`) while something is mounted inside it or, for
//! a tmpfs, while one of its inodes is open or a working directory.
//!
//! Times: the wall clock (`arch::time::realtime_us`).

use super::{dev, procfs};
use crate::sync::{LockLevel, SpinLock};
use alloc::boxed::Box;
use alloc::sync::Arc;
use mello_abi::Errno;
use vfs::{makedev, Cred, Filesystem, Filesystems, FsId, Location, MountTable, Resolver, Timespec, Tmpfs};

/// The root tmpfs.
pub const ROOT_FS: FsId = 0;
/// devfs, mounted on `/dev`.
pub const DEV_FS: FsId = 1;
/// procfs, mounted on `/proc` (no instance in [`FILESYSTEMS`]).
pub const PROC_FS: FsId = 2;
/// Slots for filesystem instances.
const MAX_FS: usize = 8;

type Instance = Option<Box<dyn Filesystem + Send>>;

/// The filesystem instances, one lock each (see the module doc).
static FILESYSTEMS: [SpinLock<Instance>; MAX_FS] =
    [const { SpinLock::new(LockLevel::Filesystem, "filesystem", None) }; MAX_FS];

/// The published mount table (`None` before [`init`]).
static MOUNTS: SpinLock<Option<Arc<MountTable>>> = SpinLock::new(LockLevel::Mounts, "mounts", None);

static INIT: spin::Once<()> = spin::Once::new();

/// How the resolver reaches the instances: one lock per call.
pub struct Instances;

impl Filesystems for Instances {
    fn with_fs<R>(&mut self, fs: FsId, f: impl FnOnce(&mut dyn Filesystem) -> vfs::Result<R>) -> vfs::Result<R> {
        if fs == PROC_FS {
            return f(&mut procfs::ProcFs);
        }
        let mut guard = FILESYSTEMS.get(fs).ok_or(Errno::ENODEV)?.lock();
        let instance = guard.as_mut().ok_or(Errno::ENODEV)?;
        f(instance.as_mut())
    }
}

/// Inodes held by every filesystem instance (`res.inodes`, for leak
/// checks).
pub fn inode_count() -> usize {
    FILESYSTEMS.iter().map(|fs| fs.lock().as_ref().map_or(0, |f| f.inode_count())).sum()
}

/// The current time for inode timestamps (the wall clock: the RTC at boot
/// plus the TSC since).
pub fn now() -> Timespec {
    let us = crate::arch::time::realtime_us();
    Timespec { sec: (us / 1_000_000) as i64, nsec: ((us % 1_000_000) * 1000) as u32 }
}

/// The current mount table (an empty root-only table before boot).
pub fn mounts() -> Arc<MountTable> {
    if let Some(table) = MOUNTS.lock().as_ref() {
        return table.clone();
    }
    Arc::new(MountTable::new(ROOT_FS, vfs::tmpfs::ROOT_INO))
}

/// Runs `f` with a resolver over the current mount table, rooted at `/`.
pub fn with_resolver<R>(f: impl FnOnce(&mut Resolver<'_, Instances>) -> vfs::Result<R>) -> vfs::Result<R> {
    let table = mounts();
    let mut instances = Instances;
    let mut resolver = Resolver::new(&table, &mut instances);
    f(&mut resolver)
}

/// Runs `f` on the filesystem holding `loc` (its lock held for the call).
pub fn with_fs<R>(loc: Location, f: impl FnOnce(&mut dyn Filesystem) -> vfs::Result<R>) -> vfs::Result<R> {
    let fs = mounts().fs_of(loc)?;
    Instances.with_fs(fs, f)
}

/// The attributes of the inode at `loc`.
pub fn getattr(loc: Location) -> vfs::Result<vfs::Stat> {
    with_fs(loc, |fs| fs.getattr(loc.ino))
}

/// `/`.
pub fn root() -> Location {
    mounts().root()
}

/// An inode kept alive by this handle (see the module doc).
pub struct Pinned(Location);

impl Pinned {
    /// Pin the inode at `loc`.
    pub fn new(loc: Location) -> Result<Pinned, Errno> {
        with_fs(loc, |fs| fs.pin(loc.ino))?;
        Ok(Pinned(loc))
    }

    pub fn loc(&self) -> Location {
        self.0
    }
}

impl Clone for Pinned {
    fn clone(&self) -> Self {
        // Cannot fail: the inode exists while we pin it (the count is u32).
        let _ = with_fs(self.0, |fs| fs.pin(self.0.ino));
        Pinned(self.0)
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = with_fs(self.0, |fs| fs.unpin(self.0.ino));
    }
}

/// Boot: the root tmpfs from `initrd`, devfs on `/dev`, procfs on `/proc`.
pub fn init(initrd: &[u8]) {
    INIT.call_once(|| {
        let now = now();
        let mut rootfs = Tmpfs::new(makedev(0, 1), 0o755, Cred::ROOT, now);
        if !initrd.is_empty() {
            match vfs::unpack_cpio(&mut rootfs, initrd, now) {
                Ok(s) => {
                    crate::klog!("VFS", "unpacked {} entries, {} bytes from the initrd", s.entries, s.bytes);
                    if s.failed > 0 {
                        crate::klog!("VFS", "{} initrd entries could not be made and were skipped", s.failed);
                    }
                }
                Err(e) => crate::klog!("VFS", "malformed initrd ({}): unpacked what preceded the damage", e.name()),
            }
        }
        let root_ino = rootfs.root();
        *FILESYSTEMS[ROOT_FS].lock() = Some(Box::new(rootfs));
        let mut devfs = Tmpfs::new(makedev(0, 5), 0o755, Cred::ROOT, now);
        dev::populate(&mut devfs, now);
        let dev_root = devfs.root();
        *FILESYSTEMS[DEV_FS].lock() = Some(Box::new(devfs));
        dev::register_builtin();

        let mut table = MountTable::new(ROOT_FS, root_ino);
        for (path, fs, fs_root) in [(&b"/dev"[..], DEV_FS, dev_root), (&b"/proc"[..], PROC_FS, procfs::ROOT_INO)] {
            match mount_point(&table, path, now).and_then(|at| table.mount(at, fs, fs_root)) {
                Ok(_) => {}
                Err(e) => crate::klog!("VFS", "cannot mount on {}: {}", core::str::from_utf8(path).unwrap_or("?"), e.name()),
            }
        }
        *MOUNTS.lock() = Some(Arc::new(table));
    });
}

/// The directory `path` of `table`, made (mode 0755) if it is missing.
fn mount_point(table: &MountTable, path: &[u8], now: Timespec) -> vfs::Result<Location> {
    let mut instances = Instances;
    let mut r = Resolver::new(table, &mut instances);
    let root = r.root;
    let at = match r.resolve(root, path, true) {
        Err(Errno::ENOENT) => r.mkdir(root, path, 0o755, Cred::ROOT, now)?,
        other => other?,
    };
    if !r.stat(at)?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    Ok(at)
}

/// What [`mount`] puts on a directory.
pub enum MountSource {
    Tmpfs,
    Proc,
    Devtmpfs,
    /// A directory seen again at the target (`MS_BIND`).
    Bind(Location),
}

/// Type names for `/proc/mounts`, by slot (tmpfs slots: "tmpfs").
fn type_of(fs: FsId) -> &'static str {
    match fs {
        ROOT_FS => "rootfs",
        DEV_FS => "devtmpfs",
        PROC_FS => "proc",
        _ => "tmpfs",
    }
}

/// Publish the table `edit` makes of a copy of the current one.
fn edit_table<R>(edit: impl FnOnce(&mut MountTable) -> vfs::Result<R>) -> vfs::Result<R> {
    let mut guard = MOUNTS.lock();
    let current = guard.as_ref().ok_or(Errno::ENODEV)?;
    let mut table = MountTable::clone(current);
    let r = edit(&mut table)?;
    *guard = Some(Arc::new(table));
    Ok(r)
}

/// `mount(2)`: `source` on the directory `at` (resolved by the caller).
pub fn mount(at: Location, source: MountSource) -> Result<(), Errno> {
    if !getattr(at)?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let (fs, root, slot) = match source {
        MountSource::Proc => (PROC_FS, procfs::ROOT_INO, None),
        MountSource::Devtmpfs => (DEV_FS, with_fs_id(DEV_FS, |fs| Ok(fs.root()))?, None),
        MountSource::Bind(dir) => {
            if !getattr(dir)?.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            (mounts().fs_of(dir)?, dir.ino, None)
        }
        MountSource::Tmpfs => {
            let (id, root) = new_tmpfs()?;
            (id, root, Some(id))
        }
    };
    edit_table(|t| t.mount(at, fs, root)).map(|_| ()).inspect_err(|_| {
        if let Some(id) = slot {
            *FILESYSTEMS[id].lock() = None;
        }
    })
}

/// A fresh tmpfs (mode 1777, as Linux's) in a free slot: (its id, root).
fn new_tmpfs() -> Result<(FsId, vfs::Ino), Errno> {
    for (id, slot) in FILESYSTEMS.iter().enumerate().skip(PROC_FS + 1) {
        let mut guard = slot.lock();
        if guard.is_none() {
            let fs = Tmpfs::new(makedev(0, 16 + id as u32), 0o1777, Cred::ROOT, now());
            let root = fs.root();
            *guard = Some(Box::new(fs));
            return Ok((id, root));
        }
    }
    Err(Errno::ENOMEM)
}

fn with_fs_id<R>(fs: FsId, f: impl FnOnce(&mut dyn Filesystem) -> vfs::Result<R>) -> vfs::Result<R> {
    Instances.with_fs(fs, f)
}

/// `umount2(2)` of the mount whose root is `at` (`EINVAL` if `at` is not
/// a mount's root, `EBUSY` as the module doc says).
pub fn umount(at: Location) -> Result<(), Errno> {
    let table = mounts();
    if at.mount == 0 || table.mount_root(at.mount)? != at {
        return Err(Errno::EINVAL);
    }
    let fs = table.fs_of(at)?;
    let last_of_tmpfs = fs > PROC_FS && table.mounts_of(fs).count() == 1;
    if last_of_tmpfs && with_fs_id(fs, |f| Ok(f.pinned()))? {
        return Err(Errno::EBUSY);
    }
    edit_table(|t| t.umount(at.mount))?;
    if last_of_tmpfs {
        *FILESYSTEMS[fs].lock() = None;
    }
    Ok(())
}

/// What `/proc/mounts` lists, in mount order: (device, mount point, type).
pub fn mount_list() -> alloc::vec::Vec<(&'static str, alloc::vec::Vec<u8>, &'static str)> {
    let table = mounts();
    let mut ids: alloc::vec::Vec<(vfs::MountId, FsId)> =
        (0..MAX_FS).flat_map(|fs| table.mounts_of(fs).map(move |id| (id, fs)).collect::<alloc::vec::Vec<_>>()).collect();
    ids.sort_unstable();
    let mut out = alloc::vec::Vec::new();
    for (id, fs) in ids {
        let path = match table.get(id).ok().and_then(|m| m.mountpoint) {
            None => b"/".to_vec(),
            Some(at) => match with_resolver(|r| r.getcwd(at)) {
                Ok(p) => p,
                Err(_) => continue,
            },
        };
        let ty = type_of(fs);
        let dev = if fs == ROOT_FS { "rootfs" } else { ty };
        out.push((dev, path, ty));
    }
    out
}
