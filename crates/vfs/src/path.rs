//! Path resolution over a [`MountTable`], following Linux's `fs/namei.c`
//! and path_resolution(7).
//!
//! [`Resolver::resolve`] turns a path into a [`Location`]; [`Resolver::
//! resolve_parent`] stops before the last component, for calls that create
//! or remove names. Rules, as on Linux:
//!
//! * `/`-led paths start at the resolver's root (the process root), others
//!   at `start`; repeated slashes count as one; `.` stays, `..` goes up,
//!   and stays put at the process root; at the root of a mount, `..` first
//!   crosses back to the mount point (repeatedly, for stacked mounts).
//!   Looking up a mount point crosses into the topmost mount on it.
//! * Every component but the last must name a directory (`ENOTDIR`
//!   otherwise, e.g. `file/x`, `file/.`); a missing one is `ENOENT`. A
//!   trailing slash means "must be a directory" and follows a final
//!   symlink even when `follow` is false.
//! * Symlinks are followed in the middle of a path always, at the end when
//!   asked; relative targets resolve from the link's directory, absolute
//!   ones from the root; the 41st link followed is `ELOOP`. An empty path
//!   or an empty link target is `ENOENT`.
//! * A component over 255 bytes is `ENAMETOOLONG` (when it is reached, as
//!   Linux's filesystems report it on lookup); so is a path of 4096 bytes
//!   or more.
//!
//! Locking: the resolver borrows the mount table (the kernel read-holds its
//! lock for the whole resolution) and reaches filesystems only through
//! [`Filesystems::with_fs`], one call and one filesystem lock at a time.

use crate::mount::{FsId, Location, MountTable};
use crate::types::{Stat, MAXSYMLINKS, NAME_MAX, PATH_MAX};
use crate::{Filesystem, Result};
use alloc::boxed::Box;
use alloc::vec::Vec;
use fallible::{try_extend, try_to_vec};
use mello_abi::Errno;

/// How the resolver reaches filesystem instances. The kernel implements it
/// over its table of locked instances: `with_fs` takes instance `fs`'s lock,
/// runs `f`, and releases the lock.
pub trait Filesystems {
    /// Runs `f` on filesystem `fs` (`ENODEV` if there is none).
    fn with_fs<R>(
        &mut self,
        fs: FsId,
        f: impl FnOnce(&mut dyn Filesystem) -> Result<R>,
    ) -> Result<R>;

    /// Called before looking anything up in directory `dir` (attributes
    /// `stat`): the place for the kernel's search-permission check
    /// (`EACCES`). Allows everything by default.
    fn may_lookup(&mut self, _dir: Location, _stat: &Stat) -> Result<()> {
        Ok(())
    }
}

impl Filesystems for [Box<dyn Filesystem>] {
    fn with_fs<R>(
        &mut self,
        fs: FsId,
        f: impl FnOnce(&mut dyn Filesystem) -> Result<R>,
    ) -> Result<R> {
        f(self.get_mut(fs).ok_or(Errno::ENODEV)?.as_mut())
    }
}

impl Filesystems for Vec<Box<dyn Filesystem>> {
    fn with_fs<R>(
        &mut self,
        fs: FsId,
        f: impl FnOnce(&mut dyn Filesystem) -> Result<R>,
    ) -> Result<R> {
        self.as_mut_slice().with_fs(fs, f)
    }
}

/// One filesystem standing for every [`FsId`] (used with a one-mount
/// table, e.g. while unpacking an initramfs).
pub struct Single<'a>(pub &'a mut dyn Filesystem);

impl Filesystems for Single<'_> {
    fn with_fs<R>(
        &mut self,
        _fs: FsId,
        f: impl FnOnce(&mut dyn Filesystem) -> Result<R>,
    ) -> Result<R> {
        f(&mut *self.0)
    }
}

/// The last component of a path given to [`Resolver::resolve_parent`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Last {
    /// An ordinary name (at most 255 bytes).
    Normal(Vec<u8>),
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// The path was only slashes.
    Root,
}

/// Result of [`Resolver::resolve_parent`]: the directory that holds (or
/// would hold) the last component, and that component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parent {
    pub dir: Location,
    pub last: Last,
    /// The path ended in `/` after the last component (`mkdir("a/")`):
    /// only a directory may be meant.
    pub trailing_slash: bool,
}

impl Parent {
    /// The name for `mkdir`, `mknod`, `symlink`, `link`: `EEXIST` for `.`,
    /// `..` and `/`.
    pub fn name_for_create(&self) -> Result<&[u8]> {
        self.normal().ok_or(Errno::EEXIST)
    }

    /// The name for `unlink`: `EISDIR` for `.`, `..` and `/`.
    pub fn name_for_unlink(&self) -> Result<&[u8]> {
        self.normal().ok_or(Errno::EISDIR)
    }

    /// The name for `rmdir`: `EINVAL` for `.`, `ENOTEMPTY` for `..`,
    /// `EBUSY` for `/`.
    pub fn name_for_rmdir(&self) -> Result<&[u8]> {
        match &self.last {
            Last::Normal(name) => Ok(name),
            Last::Dot => Err(Errno::EINVAL),
            Last::DotDot => Err(Errno::ENOTEMPTY),
            Last::Root => Err(Errno::EBUSY),
        }
    }

    /// The name for either side of `rename`: `EBUSY` for `.`, `..`, `/`.
    pub fn name_for_rename(&self) -> Result<&[u8]> {
        self.normal().ok_or(Errno::EBUSY)
    }

    fn normal(&self) -> Option<&[u8]> {
        match &self.last {
            Last::Normal(name) => Some(name),
            _ => None,
        }
    }
}

/// Resolves paths for one process: its root, the mount table, and access
/// to the filesystems.
pub struct Resolver<'a, F: Filesystems + ?Sized> {
    pub mounts: &'a MountTable,
    pub fss: &'a mut F,
    /// Where `/` leads and above which `..` does not go.
    pub root: Location,
}

/// What a walk stops at.
pub(crate) enum Walked {
    At(Location),
    Parent(Parent),
}

impl<'a, F: Filesystems + ?Sized> Resolver<'a, F> {
    /// A resolver whose root is the root mount's root.
    pub fn new(mounts: &'a MountTable, fss: &'a mut F) -> Self {
        let root = mounts.root();
        Resolver { mounts, fss, root }
    }

    /// Runs `f` on the filesystem holding `loc`.
    pub fn with_fs<R>(
        &mut self,
        loc: Location,
        f: impl FnOnce(&mut dyn Filesystem) -> Result<R>,
    ) -> Result<R> {
        let fs = self.mounts.fs_of(loc)?;
        self.fss.with_fs(fs, f)
    }

    /// The attributes of the inode at `loc`.
    pub fn stat(&mut self, loc: Location) -> Result<Stat> {
        self.with_fs(loc, |fs| fs.getattr(loc.ino))
    }

    /// The inode `path` names, starting from `start` for a relative path.
    /// A final symlink is followed if `follow` (or the path ends in `/`).
    pub fn resolve(&mut self, start: Location, path: &[u8], follow: bool) -> Result<Location> {
        let mut links = 0;
        self.resolve_counting(start, path, follow, &mut links)
    }

    /// [`resolve`](Self::resolve), adding to a symlink count kept by the
    /// caller across several steps of one operation (`open(O_CREAT)`).
    pub(crate) fn resolve_counting(
        &mut self,
        start: Location,
        path: &[u8],
        follow: bool,
        links: &mut usize,
    ) -> Result<Location> {
        match self.walk(start, path, Some(follow), links)? {
            Walked::At(loc) => Ok(loc),
            Walked::Parent(_) => unreachable!("walk returns At unless asked for a parent"),
        }
    }

    /// The directory holding the last component of `path`, and that
    /// component (not looked up; a symlink there is not followed).
    pub fn resolve_parent(&mut self, start: Location, path: &[u8]) -> Result<Parent> {
        let mut links = 0;
        self.resolve_parent_counting(start, path, &mut links)
    }

    pub(crate) fn resolve_parent_counting(
        &mut self,
        start: Location,
        path: &[u8],
        links: &mut usize,
    ) -> Result<Parent> {
        match self.walk(start, path, None, links)? {
            Walked::Parent(parent) => Ok(parent),
            Walked::At(_) => unreachable!("walk returns Parent when asked for one"),
        }
    }

    /// The walk behind both `resolve` (`follow` is `Some`) and
    /// `resolve_parent` (`follow` is `None`).
    fn walk(
        &mut self,
        start: Location,
        path: &[u8],
        follow: Option<bool>,
        links: &mut usize,
    ) -> Result<Walked> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let mut buf: Vec<u8> = try_to_vec(path)?;
        let mut pos = 0;
        let mut cur = if path[0] == b'/' { self.root } else { start };
        loop {
            while buf.get(pos) == Some(&b'/') {
                pos += 1;
            }
            if pos == buf.len() {
                // Only slashes (left): we are at the root.
                let dir = self.stat(cur)?;
                if !dir.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                return Ok(match follow {
                    Some(_) => Walked::At(cur),
                    None => Walked::Parent(Parent {
                        dir: cur,
                        last: Last::Root,
                        trailing_slash: false,
                    }),
                });
            }
            let end = buf[pos..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(buf.len(), |n| pos + n);
            let mut after = end;
            while buf.get(after) == Some(&b'/') {
                after += 1;
            }
            let is_last = after == buf.len();
            let trailing = is_last && after > end;
            let dir = self.stat(cur)?;
            if !dir.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            self.fss.may_lookup(cur, &dir)?;
            let comp = &buf[pos..end];
            if comp.len() > NAME_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            let follow_this = match (is_last, follow) {
                (false, _) => true,
                (true, Some(follow)) => follow || trailing,
                (true, None) => {
                    let last = match comp {
                        b"." => Last::Dot,
                        b".." => Last::DotDot,
                        name => Last::Normal(try_to_vec(name)?),
                    };
                    let parent = Parent {
                        dir: cur,
                        last,
                        trailing_slash: trailing,
                    };
                    return Ok(Walked::Parent(parent));
                }
            };
            let next = match comp {
                b"." => cur,
                b".." => self.dotdot(cur)?,
                name => self.child(cur, name)?,
            };
            if follow_this && !matches!(comp, b"." | b"..") {
                let stat = self.stat(next)?;
                if stat.is_symlink() {
                    *links += 1;
                    if *links > MAXSYMLINKS {
                        return Err(Errno::ELOOP);
                    }
                    let target = self.with_fs(next, |fs| fs.readlink(next.ino))?;
                    if target.is_empty() {
                        return Err(Errno::ENOENT);
                    }
                    if target[0] == b'/' {
                        cur = self.root;
                    }
                    let mut joined = target;
                    try_extend(&mut joined, &buf[end..])?;
                    buf = joined;
                    pos = 0;
                    continue;
                }
            }
            cur = next;
            pos = after;
            if is_last {
                if trailing && !self.stat(cur)?.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                return Ok(Walked::At(cur));
            }
        }
    }
}
