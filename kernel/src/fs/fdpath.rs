//! The names Linux's `/proc/N/fd/K` and `/proc/N/exe` links show: the
//! absolute, symlink-free path of what a descriptor or an executable was
//! opened as ([`realpath`]), recorded when it is opened (`open`, `exec`),
//! and the text of a link ([`link_text`]): that path, with ` (deleted)`
//! once the inode has no name left, `pipe:[INO]` for an anonymous pipe.
//!
//! Linux keeps a dentry and prints it (`d_path`) on every `readlink`; the
//! VFS here has no dentries, so the path is worked out once, at open, from
//! the directory the last component sits in (`getcwd` of it) and the last
//! component, following a final symlink (up to 40 links, then `ELOOP`).
//! A file renamed after it was opened keeps its old name here (Linux would
//! show the new one); nothing else differs.
//!
//! Locking: none of its own; each step is one `mounts::with_resolver`
//! call (one filesystem lock at a time, nothing held between steps).

#![forbid(unsafe_code)]

use super::file::{Kind, OpenFile};
use super::mounts::{self, Pinned};
use alloc::format;
use alloc::vec::Vec;
use mello_abi::Errno;
use vfs::{Last, Location};

/// Symlinks followed in one [`realpath`] (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// The absolute path of what `path` (relative to `start`) names, every
/// symlink resolved; a final symlink too unless `!follow_last`.
pub fn realpath(start: Location, path: &[u8], follow_last: bool) -> Result<Vec<u8>, Errno> {
    let mut start = start;
    let mut owned: Vec<u8>;
    let mut path = path;
    for _ in 0..=MAX_LINKS {
        let parent = mounts::with_resolver(|r| r.resolve_parent(start, path))?;
        let name = match &parent.last {
            Last::Normal(name) => name,
            // `.`, `..`, `/`: a directory; getcwd gives its name.
            Last::Dot | Last::DotDot | Last::Root => {
                let dir = mounts::with_resolver(|r| r.resolve(start, path, true))?;
                return mounts::with_resolver(|r| r.getcwd(dir));
            }
        };
        let loc = mounts::with_resolver(|r| r.resolve(parent.dir, name, false))?;
        let st = mounts::getattr(loc)?;
        if st.is_symlink() && (follow_last || parent.trailing_slash) {
            owned = mounts::with_fs(loc, |fs| fs.readlink(loc.ino))?;
            start = parent.dir;
            path = &owned;
            continue;
        }
        let mut out = mounts::with_resolver(|r| r.getcwd(parent.dir))?;
        out.try_reserve(name.len() + 1).map_err(|_| Errno::ENOMEM)?;
        if out.last() != Some(&b'/') {
            out.push(b'/');
        }
        out.extend_from_slice(name);
        return Ok(out);
    }
    Err(Errno::ELOOP)
}

/// `realpath` for a name that is only shown (a descriptor's, an
/// executable's): a path that cannot be worked out is left out.
pub fn shown_path(start: Location, path: &[u8]) -> Option<Vec<u8>> {
    realpath(start, path, true).ok()
}

/// What `readlink` of a link to `node` recorded as `path` says: the path,
/// and ` (deleted)` if the inode has lost its last name (Linux's d_path).
pub fn with_deleted(node: &Pinned, path: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    out.try_reserve(path.len() + 10).map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(path);
    // A directory's link count is 2 or more while it has a name.
    if mounts::getattr(node.loc())?.nlink == 0 {
        out.extend_from_slice(b" (deleted)");
    }
    Ok(out)
}

/// The text of `/proc/N/fd/K` for the description `file`.
pub fn link_text(file: &OpenFile) -> Result<Vec<u8>, Errno> {
    let node = match &file.kind {
        Kind::Inode(f) => &f.node,
        Kind::Device { node, .. } => node,
        Kind::Pipe(end) => match &end.node {
            Some(node) => node,
            None => return Ok(format!("pipe:[{}]", end.pipe().ino).into_bytes()),
        },
    };
    match file.path() {
        Some(path) => with_deleted(node, path),
        // Opened by a path that could not be named (should not happen for
        // anything `open` made): say what it is, as Linux's anon inodes do.
        None => Ok(format!("anon_inode:[{}]", node.loc().ino).into_bytes()),
    }
}

/// What exec records for `/proc/N/exe`: the program file `path` (relative
/// to `start`) pinned, and its absolute path. `None` if it cannot be named
/// (the file went away between loading and here): the link is then absent.
pub fn exe_of(start: Location, path: &[u8]) -> Option<(Pinned, alloc::sync::Arc<[u8]>)> {
    let name = realpath(start, path, true).ok()?;
    let loc = mounts::with_resolver(|r| r.resolve(start, &name, true)).ok()?;
    Some((Pinned::new(loc).ok()?, alloc::sync::Arc::from(name)))
}
