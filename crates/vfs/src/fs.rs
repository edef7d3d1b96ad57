//! The [`Filesystem`] trait: what one mounted filesystem instance provides,
//! in terms of inode numbers. It is object-safe: the kernel keeps each
//! instance as `Box<dyn Filesystem>` (tmpfs now, ext2 or FAT later) inside
//! its own lock.
//!
//! Locking: an implementation has no internal locks. Every method takes
//! `&mut self`, so the kernel must hold that instance's lock (one lock per
//! filesystem instance) for the whole call; a call is then atomic with
//! respect to every other call on the same instance (a `rename` is seen
//! entirely or not at all). Operations spanning two instances (path
//! resolution across mounts) take one lock at a time, never two.
//!
//! Division of labour: the filesystem checks what only it can (existence,
//! types, emptiness, name length, subtree moves), with Linux's errno for
//! each. The caller does permission checks (`EACCES`, sticky directories),
//! the umask, `O_APPEND` offsets, mount-level rules (`EXDEV`, `EBUSY` on a
//! mount point, read-only mounts) and set-ID clearing. Time is always
//! passed in as `now`; names are bytes without `/` or NUL.
//!
//! Inode lifetime: an inode is freed once its link count is 0 and it is not
//! pinned. The kernel pins an inode for every open file description, cwd
//! and root that refers to it ([`pin`](Filesystem::pin) /
//! [`unpin`](Filesystem::unpin)), so an unlinked open file stays readable
//! until the last close, as on Linux. Operations on a freed inode number
//! give `ENOENT`.

use crate::types::{Cred, DirEntry, Ino, SetAttr, Stat, Timespec};
use alloc::vec::Vec;
use mello_abi::Errno;

/// Result of a VFS operation: Linux's errno on failure.
pub type Result<T> = core::result::Result<T, Errno>;

/// One filesystem instance. See the module documentation for locking,
/// lifetime and which checks belong to the caller.
pub trait Filesystem {
    /// The root directory's inode number.
    fn root(&self) -> Ino;

    /// The inode named `name` in directory `dir`. `"."` is `dir` itself and
    /// `".."` its parent (the root's parent is the root). Errors: `ENOTDIR`
    /// (`dir` is not a directory), `ENAMETOOLONG` (name over 255 bytes),
    /// `ENOENT` (no such entry, or `dir` has been removed).
    fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Ino>;

    /// The inode's attributes.
    fn getattr(&mut self, ino: Ino) -> Result<Stat>;

    /// `mknod`/`open(O_CREAT)`: makes a new inode of type `mode & S_IFMT`
    /// (0 or `S_IFREG` for a regular file, `S_IFCHR`, `S_IFBLK`, `S_IFIFO`,
    /// `S_IFSOCK`; `S_IFDIR` gives `EPERM`, anything else `EINVAL`) with
    /// permissions `mode & 0o7777`, linked as `dir/name`. `rdev` is kept for
    /// device nodes only. Errors: `EEXIST` (the name exists, including `.`
    /// and `..`), `ENOENT` (`dir` removed), `ENOTDIR`, `ENAMETOOLONG`.
    fn create(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        rdev: u64,
        cred: Cred,
        now: Timespec,
    ) -> Result<Ino>;

    /// `mkdir`: a new, empty directory with permissions `mode & 0o1777`
    /// (set-ID bits are dropped, as `vfs_mkdir` does). Errors as `create`.
    fn mkdir(&mut self, dir: Ino, name: &[u8], mode: u32, cred: Cred, now: Timespec)
        -> Result<Ino>;

    /// `symlink`: a new symbolic link to `target` (mode `0o777`). Errors as
    /// `create`, plus `ENOENT` for an empty target and `ENAMETOOLONG` for a
    /// target of 4096 bytes or more.
    fn symlink(
        &mut self,
        dir: Ino,
        name: &[u8],
        target: &[u8],
        cred: Cred,
        now: Timespec,
    ) -> Result<Ino>;

    /// A name under which `ino` appears in directory `dir` (not `.` or
    /// `..`), for `getcwd`; changes no timestamps. `ENOENT` if none.
    fn name_of(&mut self, dir: Ino, ino: Ino) -> Result<Vec<u8>>;

    /// A symlink's target. `EINVAL` if `ino` is not a symlink.
    fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>>;

    /// `link`: a new name `dir/name` for `ino`. Errors: `EPERM` (`ino` is a
    /// directory), `ENOENT` (`ino` has no links left), `EEXIST`, plus the
    /// `create` errors for `dir` and `name`.
    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8], now: Timespec) -> Result<()>;

    /// `unlink`: removes the non-directory `dir/name` (the inode is freed
    /// at its last link and pin). Errors: `EISDIR` (a directory, or `.` /
    /// `..`, as Linux reports), `ENOENT`, `ENOTDIR`, `ENAMETOOLONG`.
    fn unlink(&mut self, dir: Ino, name: &[u8], now: Timespec) -> Result<()>;

    /// `rmdir`: removes the empty directory `dir/name`; it is freed once
    /// unpinned. Errors: `ENOTDIR` (not a directory), `ENOTEMPTY` (not
    /// empty, or `..`), `EINVAL` (`.`), `ENOENT`, `ENAMETOOLONG`.
    fn rmdir(&mut self, dir: Ino, name: &[u8], now: Timespec) -> Result<()>;

    /// `rename`, with Linux semantics: an existing target is replaced
    /// (a file by a file, a directory by an empty directory); the same
    /// inode under both names is a successful no-op. Errors, in Linux's
    /// order: `ENOENT` (no source), `EBUSY` (`.`/`..` as either name),
    /// `EINVAL` (a directory into its own subtree), `ENOTEMPTY` (the target
    /// is an ancestor of the source, or a non-empty directory), `ENOTDIR`
    /// (directory over non-directory), `EISDIR` (non-directory over
    /// directory), `ENAMETOOLONG`.
    fn rename(
        &mut self,
        old_dir: Ino,
        old_name: &[u8],
        new_dir: Ino,
        new_name: &[u8],
        now: Timespec,
    ) -> Result<()>;

    /// Reads from a regular file at `offset` into `buf`; returns the bytes
    /// read (0 at or past the end). Holes read as zeros. Updates atime by
    /// the `relatime` rule (not for an empty `buf`, as Linux). `EISDIR` for
    /// a directory, `EINVAL` otherwise.
    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8], now: Timespec) -> Result<usize>;

    /// As [`read`](Self::read) of `len` bytes, appended to `out`, which
    /// has room for them (`exec` reads a whole program this way). The
    /// default reads into zeroed room; a file system that can copy its
    /// pages straight in overrides it and skips the zeroing.
    fn read_append(&mut self, ino: Ino, offset: u64, len: usize, out: &mut Vec<u8>, now: Timespec) -> Result<usize> {
        let at = out.len();
        out.resize(at + len, 0);
        let result = self.read(ino, offset, &mut out[at..], now);
        out.truncate(at + result.as_ref().map_or(0, |&n| n));
        result
    }

    /// Writes `data` to a regular file at `offset`, extending it (a gap
    /// becomes a hole); returns `data.len()`. A non-empty write sets mtime
    /// and ctime. `EFBIG` past [`MAX_FILE_SIZE`](crate::MAX_FILE_SIZE),
    /// `EISDIR` for a directory, `EINVAL` otherwise.
    fn write(&mut self, ino: Ino, offset: u64, data: &[u8], now: Timespec) -> Result<usize>;

    /// Sets a regular file's size, freeing pages past it or leaving a hole;
    /// sets mtime and ctime (as Linux's `truncate` does, even if the size
    /// is unchanged). `EFBIG`, `EISDIR`, `EINVAL` as for `write`.
    fn truncate(&mut self, ino: Ino, size: u64, now: Timespec) -> Result<()>;

    /// The first entry of directory `dir` at or after `cookie`, or `None`
    /// at the end. Cookie 0 starts at `"."`, then `".."`, then the other
    /// entries. Each entry's `next` continues after it; an entry present
    /// for a whole listing is returned exactly once even if others are
    /// added or removed between calls. Updates atime by `relatime`.
    /// Errors: `ENOTDIR`, `ENOENT` (`dir` has been removed).
    fn readdir(&mut self, dir: Ino, cookie: u64, now: Timespec) -> Result<Option<DirEntry>>;

    /// Changes mode bits, owner, or times; sets ctime to `now`. Returns the
    /// new attributes.
    fn setattr(&mut self, ino: Ino, attr: &SetAttr, now: Timespec) -> Result<Stat>;

    /// Adds an open reference: the inode is not freed while pinned, even
    /// with no links left.
    fn pin(&mut self, ino: Ino) -> Result<()>;

    /// Drops an open reference taken by `pin`; frees the inode if it was
    /// the last one and no links are left. `EINVAL` if it was not pinned.
    fn unpin(&mut self, ino: Ino) -> Result<()>;

    /// Whether any inode is pinned (an instance in use cannot go away: its
    /// unmount is `EBUSY`). A filesystem with no per-inode state never is.
    fn pinned(&self) -> bool {
        false
    }

    /// How many inodes the instance holds (for leak checks); 0 for a
    /// filesystem with no per-inode state.
    fn inode_count(&self) -> usize {
        0
    }
}
