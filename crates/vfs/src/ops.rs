//! Whole path-based operations on a [`Resolver`]: `mkdir`, `mknod`,
//! `symlink`, `link`, `unlink`, `rmdir`, `rename` and the creating side of
//! `open(O_CREAT)`, with the checks Linux makes above the filesystem
//! (`fs/namei.c`) in its order: the `.`/`..`/`/` cases, trailing slashes,
//! `EXDEV` across mounts, `EBUSY` for mount points, following a final
//! symlink when `open` creates through it.
//!
//! The kernel's system calls can call these directly after their own
//! checks (permissions, the umask applied to `mode`). Like the resolver,
//! each step takes one filesystem lock at a time, so an operation is not
//! atomic as a whole: another CPU may change the tree between its lookup
//! and the final call, which then reports what it finds (as on Linux
//! without its directory `i_rwsem`s, which a kernel can add by holding the
//! filesystem lock around the whole call if it wants that).

use crate::fs::Filesystem;
use crate::mount::Location;
use crate::path::{Filesystems, Parent, Resolver};
use crate::types::{Cred, Ino, Timespec, MAXSYMLINKS};
use crate::Result;
use fallible::try_to_vec;
use mello_abi::Errno;

/// Flags of an `open` that may create.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreateFlags {
    /// `O_EXCL`: fail with `EEXIST` if the name exists (even as a symlink).
    pub excl: bool,
    /// `O_NOFOLLOW`: a final symlink is `ELOOP` instead of being followed.
    pub nofollow: bool,
}

impl<F: Filesystems + ?Sized> Resolver<'_, F> {
    /// The entry `dir/name` without crossing into a mount on it.
    fn entry(&mut self, dir: Location, name: &[u8]) -> Result<Location> {
        let ino = self.with_fs(dir, |fs| fs.lookup(dir.ino, name))?;
        Ok(Location {
            mount: dir.mount,
            ino,
        })
    }

    /// For calls that create a non-directory name (`filename_create`
    /// without `LOOKUP_DIRECTORY`): `EEXIST` if it exists, `ENOENT` if it
    /// does not but the path ends in `/`.
    fn check_absent(&mut self, parent: &Parent) -> Result<()> {
        let name = parent.name_for_create()?;
        match self.entry(parent.dir, name) {
            Ok(_) => Err(Errno::EEXIST),
            Err(Errno::ENOENT) if parent.trailing_slash => Err(Errno::ENOENT),
            Err(Errno::ENOENT) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Resolve `path`'s parent and make its last name there with `make`
    /// (given the filesystem, the parent's inode and the name); the new
    /// location. `absent`: check first that the name does not exist
    /// ([`Self::check_absent`], for non-directories); `mkdir` leaves that to
    /// the filesystem's own `EEXIST`.
    fn create_in(
        &mut self,
        start: Location,
        path: &[u8],
        absent: bool,
        make: impl FnOnce(&mut dyn Filesystem, Ino, &[u8]) -> Result<Ino>,
    ) -> Result<Location> {
        let p = self.resolve_parent(start, path)?;
        if absent {
            self.check_absent(&p)?;
        }
        let name = p.name_for_create()?;
        let ino = self.with_fs(p.dir, |fs| make(fs, p.dir.ino, name))?;
        Ok(Location {
            mount: p.dir.mount,
            ino,
        })
    }

    /// `mkdir(path, mode)`; returns the new directory.
    pub fn mkdir(
        &mut self,
        start: Location,
        path: &[u8],
        mode: u32,
        cred: Cred,
        now: Timespec,
    ) -> Result<Location> {
        self.create_in(start, path, false, |fs, dir, name| {
            fs.mkdir(dir, name, mode, cred, now)
        })
    }

    /// `mknod(path, mode, rdev)` (also makes regular files for type 0).
    pub fn mknod(
        &mut self,
        start: Location,
        path: &[u8],
        mode: u32,
        rdev: u64,
        cred: Cred,
        now: Timespec,
    ) -> Result<Location> {
        self.create_in(start, path, true, |fs, dir, name| {
            fs.create(dir, name, mode, rdev, cred, now)
        })
    }

    /// `symlink(target, path)`.
    pub fn symlink(
        &mut self,
        target: &[u8],
        start: Location,
        path: &[u8],
        cred: Cred,
        now: Timespec,
    ) -> Result<Location> {
        self.create_in(start, path, true, |fs, dir, name| {
            fs.symlink(dir, name, target, cred, now)
        })
    }

    /// `linkat(old, new, follow ? AT_SYMLINK_FOLLOW : 0)`.
    pub fn link(
        &mut self,
        old_start: Location,
        old_path: &[u8],
        follow: bool,
        new_start: Location,
        new_path: &[u8],
        now: Timespec,
    ) -> Result<()> {
        let old = self.resolve(old_start, old_path, follow)?;
        let p = self.resolve_parent(new_start, new_path)?;
        self.check_absent(&p)?;
        if old.mount != p.dir.mount {
            return Err(Errno::EXDEV);
        }
        let name = p.name_for_create()?;
        self.with_fs(p.dir, |fs| fs.link(old.ino, p.dir.ino, name, now))
    }

    /// `unlink(path)`.
    pub fn unlink(&mut self, start: Location, path: &[u8], now: Timespec) -> Result<()> {
        let p = self.resolve_parent(start, path)?;
        let name = p.name_for_unlink()?;
        let child = self.entry(p.dir, name)?;
        let is_dir = self.stat(child)?.is_dir();
        if is_dir {
            return Err(Errno::EISDIR);
        }
        if p.trailing_slash {
            return Err(Errno::ENOTDIR);
        }
        if self.mounts.is_mountpoint(child) {
            return Err(Errno::EBUSY);
        }
        self.with_fs(p.dir, |fs| fs.unlink(p.dir.ino, name, now))
    }

    /// `rmdir(path)`.
    pub fn rmdir(&mut self, start: Location, path: &[u8], now: Timespec) -> Result<()> {
        let p = self.resolve_parent(start, path)?;
        let name = p.name_for_rmdir()?;
        let child = self.entry(p.dir, name)?;
        if !self.stat(child)?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if self.mounts.is_mountpoint(child) {
            return Err(Errno::EBUSY);
        }
        self.with_fs(p.dir, |fs| fs.rmdir(p.dir.ino, name, now))
    }

    /// `rename(old, new)`. A mount point as either name is `EBUSY` (after
    /// the type checks; the subtree checks are then skipped).
    pub fn rename(
        &mut self,
        old_start: Location,
        old_path: &[u8],
        new_start: Location,
        new_path: &[u8],
        now: Timespec,
    ) -> Result<()> {
        self.rename2(old_start, old_path, new_start, new_path, false, now)
    }

    /// `renameat2(old, new, noreplace ? RENAME_NOREPLACE : 0)`: with
    /// `noreplace`, an existing target is `EEXIST` (checked right after the
    /// two lookups, as Linux's `do_renameat2`; like every step here, not
    /// atomic with the rename itself).
    pub fn rename2(
        &mut self,
        old_start: Location,
        old_path: &[u8],
        new_start: Location,
        new_path: &[u8],
        noreplace: bool,
        now: Timespec,
    ) -> Result<()> {
        let op = self.resolve_parent(old_start, old_path)?;
        let np = self.resolve_parent(new_start, new_path)?;
        if op.dir.mount != np.dir.mount {
            return Err(Errno::EXDEV);
        }
        let old_name = op.name_for_rename()?;
        let new_name = np.name_for_rename()?;
        let source = self.entry(op.dir, old_name)?;
        let target = match self.entry(np.dir, new_name) {
            Ok(loc) => Some(loc),
            Err(Errno::ENOENT) => None,
            Err(err) => return Err(err),
        };
        if noreplace && target.is_some() {
            return Err(Errno::EEXIST);
        }
        let source_is_dir = self.stat(source)?.is_dir();
        if !source_is_dir && (op.trailing_slash || np.trailing_slash) {
            return Err(Errno::ENOTDIR);
        }
        let busy = |loc: Option<Location>| loc.is_some_and(|loc| self.mounts.is_mountpoint(loc));
        if busy(Some(source)) || busy(target) {
            if target == Some(source) {
                return Ok(());
            }
            if let Some(target) = target {
                match (source_is_dir, self.stat(target)?.is_dir()) {
                    (true, false) => return Err(Errno::ENOTDIR),
                    (false, true) => return Err(Errno::EISDIR),
                    _ => {}
                }
            }
            return Err(Errno::EBUSY);
        }
        self.with_fs(op.dir, |fs| {
            fs.rename(op.dir.ino, old_name, np.dir.ino, new_name, now)
        })
    }

    /// The lookup-or-create step of `open(path, O_CREAT | ...)`: returns
    /// the inode to open and whether it was created (a regular file with
    /// permissions `mode`). An existing final symlink is followed (and a
    /// dangling one's target created) unless `excl` (`EEXIST`) or
    /// `nofollow` (`ELOOP`). `EISDIR` for a directory or a trailing slash.
    pub fn open_create(
        &mut self,
        start: Location,
        path: &[u8],
        mode: u32,
        flags: CreateFlags,
        cred: Cred,
        now: Timespec,
    ) -> Result<(Location, bool)> {
        let mut links = 0;
        let mut start = start;
        let mut path = try_to_vec(path)?;
        loop {
            let p = self.resolve_parent_counting(start, &path, &mut links)?;
            let Ok(name) = p.name_for_create() else {
                // ".", ".." or "/": an existing directory.
                return Err(if flags.excl {
                    Errno::EEXIST
                } else {
                    Errno::EISDIR
                });
            };
            if p.trailing_slash {
                return Err(Errno::EISDIR);
            }
            let found = match self.entry(p.dir, name) {
                Ok(loc) => self.mounts.cross_down(loc),
                Err(Errno::ENOENT) => {
                    let mode = crate::types::S_IFREG | (mode & 0o7777);
                    let ino =
                        self.with_fs(p.dir, |fs| fs.create(p.dir.ino, name, mode, 0, cred, now))?;
                    return Ok((
                        Location {
                            mount: p.dir.mount,
                            ino,
                        },
                        true,
                    ));
                }
                Err(err) => return Err(err),
            };
            if flags.excl {
                return Err(Errno::EEXIST);
            }
            let stat = self.stat(found)?;
            if stat.is_dir() {
                return Err(Errno::EISDIR);
            }
            if !stat.is_symlink() {
                return Ok((found, false));
            }
            if flags.nofollow {
                return Err(Errno::ELOOP);
            }
            links += 1;
            if links > MAXSYMLINKS {
                return Err(Errno::ELOOP);
            }
            path = self.with_fs(found, |fs| fs.readlink(found.ino))?;
            if path.is_empty() {
                return Err(Errno::ENOENT);
            }
            start = p.dir;
        }
    }
}
