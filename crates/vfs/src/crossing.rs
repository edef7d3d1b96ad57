//! Moving between directories across mounts: a lookup that lands on a
//! mount point crosses into the topmost mount on it (`child`), `..` at a
//! mount root climbs back out to the mount point first (`dotdot`), and
//! `getcwd` turns a directory [`Location`] back into an absolute path by
//! doing the climb all the way to the resolver's root, asking each parent
//! directory for the child's name
//! ([`Filesystem::name_of`](crate::Filesystem::name_of)).
//!
//! `..` never goes above the resolver's root (the process root), as
//! path_resolution(7) says. For `getcwd`, as Linux's `getcwd(2)`: a
//! removed directory gives `ENOENT`, and one that is not below the process
//! root (a chroot without chdir) comes back prefixed with `(unreachable)`.
//!
//! Locking: like all resolution, it reads the mount table (the kernel holds
//! that lock for reading) and takes one filesystem lock per step, through
//! [`Filesystems::with_fs`]. A concurrent rename can make the result stale,
//! as on Linux.

use crate::mount::Location;
use crate::path::{Filesystems, Resolver};
use crate::types::Ino;
use crate::Result;
use alloc::vec::Vec;
use fallible::{try_push, try_with_capacity};
use mello_abi::Errno;

impl<F: Filesystems + ?Sized> Resolver<'_, F> {
    /// `dir/name` for an ordinary name, crossing into any mount on it.
    pub(crate) fn child(&mut self, dir: Location, name: &[u8]) -> Result<Location> {
        let ino: Ino = self.with_fs(dir, |fs| fs.lookup(dir.ino, name))?;
        Ok(self.mounts.cross_down(Location {
            mount: dir.mount,
            ino,
        }))
    }

    /// `dir/..`: stays at the process root; at a mount root, first climbs
    /// to the mount point (repeatedly); then into anything mounted on the
    /// parent, as Linux's `handle_dots` does.
    pub(crate) fn dotdot(&mut self, mut dir: Location) -> Result<Location> {
        loop {
            if dir == self.root {
                return Ok(dir);
            }
            let mount = self.mounts.get(dir.mount)?;
            match mount.mountpoint {
                Some(mountpoint) if dir.ino == mount.root => dir = mountpoint,
                _ => break,
            }
        }
        let ino = self.with_fs(dir, |fs| fs.lookup(dir.ino, b".."))?;
        Ok(self.mounts.cross_down(Location {
            mount: dir.mount,
            ino,
        }))
    }

    /// The absolute path of directory `loc`, as `getcwd` reports it:
    /// walks `..` up to the process root, through mount points. `ENOENT`
    /// if the directory has been removed; prefixed with `(unreachable)` if
    /// it is not below the process root (as Linux does).
    pub fn getcwd(&mut self, loc: Location) -> Result<Vec<u8>> {
        if self.stat(loc)?.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut cur = loc;
        let mut reachable = true;
        while cur != self.root {
            let mount = self.mounts.get(cur.mount)?;
            if cur.ino == mount.root {
                match mount.mountpoint {
                    Some(mountpoint) => {
                        cur = mountpoint;
                        continue;
                    }
                    None => {
                        reachable = false;
                        break;
                    }
                }
            }
            let ino = cur.ino;
            let (parent, name) = self.with_fs(cur, |fs| {
                let parent = fs.lookup(ino, b"..")?;
                Ok((parent, fs.name_of(parent, ino)?))
            })?;
            try_push(&mut names, name)?;
            cur = Location {
                mount: cur.mount,
                ino: parent,
            };
        }
        let prefix: &[u8] = if reachable { b"" } else { b"(unreachable)" };
        let len = prefix.len() + names.iter().map(|n| n.len() + 1).sum::<usize>().max(1);
        let mut path = try_with_capacity(len)?;
        path.extend_from_slice(prefix);
        for name in names.iter().rev() {
            path.push(b'/');
            path.extend_from_slice(name);
        }
        if names.is_empty() {
            path.push(b'/');
        }
        Ok(path)
    }
}
