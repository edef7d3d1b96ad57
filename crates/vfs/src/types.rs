//! The public value types of the VFS: inode numbers, [`Timespec`],
//! [`FileType`], [`Stat`], [`DirEntry`], [`SetAttr`], [`Cred`], the `S_IF*`
//! mode bits, device-number encoding ([`makedev`], [`major`], [`minor`],
//! exactly as glibc's `<sys/sysmacros.h>`), and Linux's path limits.
//!
//! These are plain values: no locking concerns. A `Stat` is a snapshot taken
//! under the filesystem's lock; it is not updated afterwards.

use alloc::vec::Vec;

/// An inode number, unique within one filesystem instance.
pub type Ino = u64;

/// Longest file name (one path component), in bytes: Linux's `NAME_MAX`.
pub const NAME_MAX: usize = 255;
/// Linux's `PATH_MAX`, counting the terminating NUL: a path of 4096 or more
/// bytes is refused with `ENAMETOOLONG`.
pub const PATH_MAX: usize = 4096;
/// Most symlinks followed in one path resolution (Linux's `MAXSYMLINKS`);
/// the 41st gives `ELOOP`.
pub const MAXSYMLINKS: usize = 40;
/// `st_blksize` reported for every inode.
pub const BLKSIZE: u32 = 4096;
/// Largest file size (Linux's `MAX_LFS_FILESIZE` on 64-bit); writing or
/// truncating past it gives `EFBIG`.
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// File-type bits of a mode and their values (Linux `<sys/stat.h>`),
/// defined once in the ABI crate.
pub use mello_abi::fs::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
/// Set-user-ID, set-group-ID and sticky bits.
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;
/// Group-execute permission bit.
pub const S_IXGRP: u32 = 0o010;

/// A point in time (seconds and nanoseconds since the epoch). The caller
/// supplies it; nothing in this crate reads a clock. Orders by time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    /// `sec` seconds, 0 nanoseconds.
    pub const fn from_secs(sec: i64) -> Self {
        Timespec { sec, nsec: 0 }
    }
}

/// The type of an inode, from the `S_IFMT` bits of its mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileType {
    /// The type encoded in `mode`'s `S_IFMT` bits, if it is a known one.
    pub const fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFLNK => FileType::Symlink,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            _ => return None,
        })
    }

    /// The `S_IFMT` bits for this type.
    pub const fn mode_bits(self) -> u32 {
        match self {
            FileType::Regular => S_IFREG,
            FileType::Directory => S_IFDIR,
            FileType::Symlink => S_IFLNK,
            FileType::CharDevice => S_IFCHR,
            FileType::BlockDevice => S_IFBLK,
            FileType::Fifo => S_IFIFO,
            FileType::Socket => S_IFSOCK,
        }
    }

    /// The `d_type` value `getdents64` reports (`DT_REG` = 8, ...).
    pub const fn dt(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDevice => 2,
            FileType::Directory => 4,
            FileType::BlockDevice => 6,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }
}

/// Inode attributes, with Linux's `struct stat` fields. `dev` is the
/// filesystem's device number as given to it when it was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: Ino,
    /// Type bits (`S_IF*`) | permission bits (`0o7777`).
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    /// Device number of a character or block device node, else 0.
    pub rdev: u64,
    /// Bytes; a symlink's target length; for tmpfs directories the
    /// "bogus" size Linux reports (40 + 20 per entry).
    pub size: u64,
    /// Always [`BLKSIZE`].
    pub blksize: u32,
    /// 512-byte units actually allocated (holes are not counted).
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

impl Stat {
    /// The file type from `mode`. Filesystems only store known types.
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode).unwrap_or(FileType::Regular)
    }

    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }
}

/// One directory entry from [`Filesystem::readdir`](crate::Filesystem::readdir).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: Ino,
    pub ftype: FileType,
    pub name: Vec<u8>,
    /// Cookie to pass to the next `readdir` call to continue after this
    /// entry (what `getdents64` stores in `d_off`).
    pub next: u64,
}

/// Attribute changes for [`Filesystem::setattr`](crate::Filesystem::setattr).
/// `None` leaves a field alone. Any call sets ctime to `now`. Policy
/// (permission checks, clearing set-ID bits on chown) is the caller's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// New permission bits; only `0o7777` is used, the type is kept.
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<Timespec>,
    pub mtime: Option<Timespec>,
}

/// Who is creating an inode: the caller's filesystem uid and gid. The new
/// inode gets them (except that a set-group-ID directory passes its group
/// on, as Linux's `inode_init_owner` does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cred {
    pub uid: u32,
    pub gid: u32,
}

impl Cred {
    /// uid 0, gid 0.
    pub const ROOT: Cred = Cred { uid: 0, gid: 0 };
}

/// Device number from major and minor, as glibc's `makedev`.
pub const fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (major as u64, minor as u64);
    ((ma & 0x0000_0fff) << 8)
        | ((ma & 0xffff_f000) << 32)
        | (mi & 0x0000_00ff)
        | ((mi & 0xffff_ff00) << 12)
}

/// Major number of a device number, as glibc's `major`.
pub const fn major(dev: u64) -> u32 {
    (((dev & 0x0000_0000_000f_ff00) >> 8) | ((dev & 0xffff_f000_0000_0000) >> 32)) as u32
}

/// Minor number of a device number, as glibc's `minor`.
pub const fn minor(dev: u64) -> u32 {
    ((dev & 0x0000_0000_0000_00ff) | ((dev & 0x0000_0fff_fff0_0000) >> 12)) as u32
}

/// Linux's `relatime` rule: whether reading an inode with these times at
/// `now` updates its atime (atime not newer than mtime or ctime, or more
/// than a day old).
pub fn relatime_due(atime: Timespec, mtime: Timespec, ctime: Timespec, now: Timespec) -> bool {
    atime <= mtime || atime <= ctime || now.sec.saturating_sub(atime.sec) >= 24 * 60 * 60
}
