//! tmpfs inodes: the attributes every inode has, and what kind of contents
//! it holds (file pages, directory entries, a symlink target, or nothing for
//! device nodes, FIFOs and sockets).
//!
//! Invariants: `mode`'s type bits match `kind`; `nlink` counts the
//! directory entries naming the inode (for a directory: its entry in the
//! parent, its own `.`, and each subdirectory's `..`, so 2 + subdirs while
//! linked, 0 once removed); `pins` counts open references. The owning
//! [`Tmpfs`](super::Tmpfs) frees the inode when both are 0. Accessed only
//! under the filesystem's lock, like everything in a `Tmpfs`.

use super::dir::DirData;
use super::file::FileData;
use crate::types::{relatime_due, Cred, FileType, Ino, Stat, Timespec, BLKSIZE, S_IFMT, S_ISGID};
use alloc::vec::Vec;

/// tmpfs keeps a symlink target shorter than this (counting a NUL) in the
/// inode and charges no blocks; a longer one takes a page (Linux's
/// `SHORT_SYMLINK_LEN`).
const SHORT_SYMLINK_LEN: usize = 128;
/// Linux tmpfs reports a directory's size as this much per entry, plus two
/// entries for `.` and `..` (`BOGO_DIRENT_SIZE`).
pub(super) const BOGO_DIRENT_SIZE: u64 = 20;

/// What an inode holds.
pub(super) enum Kind {
    File(FileData),
    Dir(DirData),
    Symlink(Vec<u8>),
    /// Character or block device, FIFO or socket: attributes only.
    Special,
}

/// One tmpfs inode.
pub(super) struct Inode {
    /// Type bits | permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub rdev: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    /// Open references (see [`Filesystem::pin`](crate::Filesystem::pin)).
    pub pins: u32,
    pub kind: Kind,
}

impl Inode {
    /// A new inode with all three times `now`. `nlink` starts at 0; the
    /// caller links it.
    pub fn new(mode: u32, owner: Cred, now: Timespec, kind: Kind) -> Self {
        Inode {
            mode,
            uid: owner.uid,
            gid: owner.gid,
            nlink: 0,
            rdev: 0,
            atime: now,
            mtime: now,
            ctime: now,
            pins: 0,
            kind,
        }
    }

    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode).unwrap_or(FileType::Regular)
    }

    pub fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir(_))
    }

    /// A data or namespace change: mtime and ctime become `now`.
    pub fn modified(&mut self, now: Timespec) {
        self.mtime = now;
        self.ctime = now;
    }

    /// A read: atime becomes `now` if `relatime` says so.
    pub fn accessed(&mut self, now: Timespec) {
        if relatime_due(self.atime, self.mtime, self.ctime, now) {
            self.atime = now;
        }
    }

    /// The attributes as `stat` reports them.
    pub fn stat(&self, dev: u64, ino: Ino) -> Stat {
        let (size, blocks) = match &self.kind {
            Kind::File(data) => (data.size(), data.blocks()),
            Kind::Dir(dir) => (
                2 * BOGO_DIRENT_SIZE + BOGO_DIRENT_SIZE * dir.len() as u64,
                0,
            ),
            Kind::Symlink(target) => {
                let blocks = if target.len() + 1 > SHORT_SYMLINK_LEN {
                    8
                } else {
                    0
                };
                (target.len() as u64, blocks)
            }
            Kind::Special => (0, 0),
        };
        Stat {
            dev,
            ino,
            mode: self.mode,
            nlink: self.nlink,
            uid: self.uid,
            gid: self.gid,
            rdev: self.rdev,
            size,
            blksize: BLKSIZE,
            blocks,
            atime: self.atime,
            mtime: self.mtime,
            ctime: self.ctime,
        }
    }
}

/// Owner and mode of an inode created in a directory with mode `dir_mode`
/// and group `dir_gid`, as Linux's `inode_init_owner`: the creator's uid
/// and gid, except that a set-group-ID directory gives its group, and
/// passes the set-group-ID bit on to new subdirectories.
pub(super) fn init_owner(cred: Cred, dir_mode: u32, dir_gid: u32, mode: u32) -> (Cred, u32) {
    if dir_mode & S_ISGID == 0 {
        return (cred, mode);
    }
    let owner = Cred {
        uid: cred.uid,
        gid: dir_gid,
    };
    let is_dir = mode & S_IFMT == crate::types::S_IFDIR;
    (owner, if is_dir { mode | S_ISGID } else { mode })
}
