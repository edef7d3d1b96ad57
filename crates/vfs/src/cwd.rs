//! `getcwd`: turns a directory [`Location`] back into an absolute path by
//! walking `..` up to the resolver's root, climbing out of each mount at its
//! root to the mount point, and asking each parent directory for the
//! child's name ([`Filesystem::name_of`](crate::Filesystem::name_of)).
//!
//! As Linux's `getcwd(2)`: a removed directory gives `ENOENT`, and one that
//! is not below the process root (a chroot without chdir) comes back
//! prefixed with `(unreachable)`.
//!
//! Locking: like all resolution, it reads the mount table (the kernel holds
//! that lock for reading) and takes one filesystem lock per step, through
//! [`Filesystems::with_fs`]. A concurrent rename can make the result stale,
//! as on Linux.

use crate::mount::Location;
use crate::path::{Filesystems, Resolver};
use crate::Result;
use alloc::vec::Vec;
use mello_abi::Errno;

impl<F: Filesystems + ?Sized> Resolver<'_, F> {
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
            names.push(name);
            cur = Location {
                mount: cur.mount,
                ino: parent,
            };
        }
        let mut path: Vec<u8> = if reachable {
            Vec::new()
        } else {
            b"(unreachable)".to_vec()
        };
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
