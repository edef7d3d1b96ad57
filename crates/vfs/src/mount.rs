//! The mount table: which filesystem instance is mounted on which
//! directory, and [`Location`], the (mount, inode) pair a path resolves to.
//!
//! Filesystems are named by [`FsId`], an index the kernel chooses into its
//! own table of locked filesystem instances; this module never touches
//! them. Mount 0 is the root mount and cannot be unmounted. A mount covers
//! one directory (its mount point) of its parent mount; mounting again on
//! a covered directory stacks the new mount on top of the covering one (as
//! Linux does), so each location has at most one mount directly on it.
//! The same filesystem may be mounted in several places: a location names
//! the mount as well as the inode, which is what lets `..` cross back out
//! of the right mount.
//!
//! Invariants: every live mount other than 0 has a live parent; `covers`
//! maps exactly the live mounts' mount points to them.
//!
//! Locking: the kernel keeps one lock for the table, read-held during path
//! resolution and write-held for `mount`/`umount`. Checks that need more
//! than the table (the mount point is a directory, no open files on an
//! unmounted filesystem) are the kernel's.

use crate::types::Ino;
use crate::Result;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use mello_abi::Errno;

/// The kernel's name for one filesystem instance.
pub type FsId = usize;
/// Index of a mount in a [`MountTable`]; ids are not reused.
pub type MountId = usize;

/// A place in the directory tree: an inode seen through a mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub mount: MountId,
    pub ino: Ino,
}

/// One mounted filesystem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mount {
    /// The filesystem instance.
    pub fs: FsId,
    /// Its directory shown at the mount point (normally its root).
    pub root: Ino,
    /// Where it is mounted; `None` for the root mount.
    pub mountpoint: Option<Location>,
}

/// All mounts.
#[derive(Clone, Debug)]
pub struct MountTable {
    /// Indexed by mount id; `None` once unmounted.
    mounts: Vec<Option<Mount>>,
    /// Mount point -> the mount directly on it.
    covers: BTreeMap<Location, MountId>,
}

impl MountTable {
    /// A table whose root mount (id 0) shows directory `root` of `fs`.
    pub fn new(fs: FsId, root: Ino) -> Self {
        let root = Mount {
            fs,
            root,
            mountpoint: None,
        };
        MountTable {
            mounts: alloc::vec![Some(root)],
            covers: BTreeMap::new(),
        }
    }

    /// The root of the root mount: `/` for a process that has not chrooted.
    pub fn root(&self) -> Location {
        Location {
            mount: 0,
            ino: self.mounts[0].map_or(0, |m| m.root),
        }
    }

    /// The live mount `id`.
    pub fn get(&self, id: MountId) -> Result<&Mount> {
        self.mounts
            .get(id)
            .and_then(Option::as_ref)
            .ok_or(Errno::EINVAL)
    }

    /// The filesystem a location lives on.
    pub fn fs_of(&self, loc: Location) -> Result<FsId> {
        Ok(self.get(loc.mount)?.fs)
    }

    /// The root location of mount `id`.
    pub fn mount_root(&self, id: MountId) -> Result<Location> {
        Ok(Location {
            mount: id,
            ino: self.get(id)?.root,
        })
    }

    /// The mount directly on `loc`, if any.
    pub fn covering(&self, loc: Location) -> Option<MountId> {
        self.covers.get(&loc).copied()
    }

    /// Whether something is mounted on `loc` (`rmdir`/`rename` of it are
    /// then `EBUSY`, which the kernel checks with this).
    pub fn is_mountpoint(&self, loc: Location) -> bool {
        self.covers.contains_key(&loc)
    }

    /// What a lookup that reached `loc` actually sees: the root of the
    /// topmost mount stacked on it, or `loc` itself.
    pub fn cross_down(&self, mut loc: Location) -> Location {
        while let Some(id) = self.covering(loc) {
            match self.mount_root(id) {
                Ok(root) => loc = root,
                Err(_) => break,
            }
        }
        loc
    }

    /// Mounts directory `root` of `fs` on `at` (on top of whatever is
    /// already mounted there). The kernel checks that `at` is a directory.
    /// `EINVAL` if `at`'s mount does not exist.
    pub fn mount(&mut self, at: Location, fs: FsId, root: Ino) -> Result<MountId> {
        self.get(at.mount)?;
        let at = self.cross_down(at);
        let id = self.mounts.len();
        self.mounts.push(Some(Mount {
            fs,
            root,
            mountpoint: Some(at),
        }));
        self.covers.insert(at, id);
        Ok(id)
    }

    /// Unmounts mount `id`: `EINVAL` for the root mount or an unknown id,
    /// `EBUSY` while anything is mounted inside it.
    pub fn umount(&mut self, id: MountId) -> Result<Mount> {
        let mount = *self.get(id)?;
        let Some(at) = mount.mountpoint else {
            return Err(Errno::EINVAL);
        };
        if self.covers.keys().any(|loc| loc.mount == id) {
            return Err(Errno::EBUSY);
        }
        self.covers.remove(&at);
        self.mounts[id] = None;
        Ok(mount)
    }

    /// Ids of the live mounts of filesystem `fs` (for the kernel's checks
    /// before it drops an instance).
    pub fn mounts_of(&self, fs: FsId) -> impl Iterator<Item = MountId> + '_ {
        self.mounts
            .iter()
            .enumerate()
            .filter(move |(_, m)| m.is_some_and(|m| m.fs == fs))
            .map(|(id, _)| id)
    }
}
