//! File-system ABI shared by the kernel and user space, with Linux x86-64's
//! values and layouts exactly: `open` flags, `lseek` whences, the file-type
//! bits of a mode, `struct stat` (144 bytes) and `struct linux_dirent64`.
//!
//! Structures are converted to and from their byte images explicitly
//! ([`Stat::to_bytes`], [`Stat::from_bytes`], [`dirent64`]), so neither side
//! needs to reinterpret memory. Plain values: no locking concerns.

/// `open` access modes and flags (Linux x86-64, `<asm-generic/fcntl.h>`).
pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
/// The access-mode bits of the flags.
pub const O_ACCMODE: u32 = 3;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_NOCTTY: u32 = 0o400;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DSYNC: u32 = 0o10000;
pub const O_DIRECT: u32 = 0o40000;
pub const O_LARGEFILE: u32 = 0o100000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_NOATIME: u32 = 0o1000000;
pub const O_CLOEXEC: u32 = 0o2000000;

/// `fcntl` descriptor flag: close on `exec`.
pub const FD_CLOEXEC: u32 = 1;

/// `fcntl` commands.
pub const F_DUPFD: u32 = 0;
pub const F_GETFD: u32 = 1;
pub const F_SETFD: u32 = 2;
pub const F_GETFL: u32 = 3;
pub const F_SETFL: u32 = 4;
pub const F_GETLK: u32 = 5;
pub const F_SETLK: u32 = 6;
pub const F_SETLKW: u32 = 7;
pub const F_SETOWN: u32 = 8;
pub const F_GETOWN: u32 = 9;
pub const F_SETPIPE_SZ: u32 = 1031;
pub const F_GETPIPE_SZ: u32 = 1032;
pub const F_DUPFD_CLOEXEC: u32 = 1030;

/// The `*at` calls' directory argument meaning "the working directory".
pub const AT_FDCWD: i32 = -100;
/// `*at` flags (`<linux/fcntl.h>`).
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
/// `unlinkat`: remove a directory (same value as `AT_EACCESS`).
pub const AT_REMOVEDIR: u32 = 0x200;
/// `faccessat`: check with the effective ids.
pub const AT_EACCESS: u32 = 0x200;
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
pub const AT_NO_AUTOMOUNT: u32 = 0x800;
pub const AT_EMPTY_PATH: u32 = 0x1000;
/// `statx`'s synchronisation bits (meaningless for local filesystems).
pub const AT_STATX_SYNC_TYPE: u32 = 0x6000;

/// `renameat2` flags.
pub const RENAME_NOREPLACE: u32 = 1;
pub const RENAME_EXCHANGE: u32 = 2;
pub const RENAME_WHITEOUT: u32 = 4;

/// `access` modes.
pub const F_OK: u32 = 0;
pub const X_OK: u32 = 1;
pub const W_OK: u32 = 2;
pub const R_OK: u32 = 4;

/// `utimensat`'s special `tv_nsec` values.
pub const UTIME_NOW: i64 = (1 << 30) - 1;
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

/// Generic descriptor `ioctl`s (handled above the file, as Linux's
/// `do_vfs_ioctl`).
pub const FIONREAD: u32 = 0x541B;
pub const FIONBIO: u32 = 0x5421;
pub const FIONCLEX: u32 = 0x5450;
pub const FIOCLEX: u32 = 0x5451;

/// `poll` event bits (`<asm-generic/poll.h>`).
pub const POLLIN: u16 = 0x001;
pub const POLLPRI: u16 = 0x002;
pub const POLLOUT: u16 = 0x004;
pub const POLLERR: u16 = 0x008;
pub const POLLHUP: u16 = 0x010;
pub const POLLNVAL: u16 = 0x020;
pub const POLLRDNORM: u16 = 0x040;
pub const POLLRDBAND: u16 = 0x080;
pub const POLLWRNORM: u16 = 0x100;
pub const POLLWRBAND: u16 = 0x200;

/// Filesystem magic numbers `statfs` reports (`<linux/magic.h>`).
pub const TMPFS_MAGIC: i64 = 0x0102_1994;
pub const PROC_SUPER_MAGIC: i64 = 0x9fa0;
/// `statfs`'s `f_flags`: `ST_VALID` (the field is filled in), and the
/// mount flags (`ST_NOSUID` 2, `ST_NODEV` 4, `ST_NOEXEC` 8, `ST_RELATIME`
/// 0x400).
pub const ST_VALID: i64 = 0x20;
pub const ST_NOSUID: i64 = 0x2;
pub const ST_NODEV: i64 = 0x4;
pub const ST_NOEXEC: i64 = 0x8;
pub const ST_RELATIME: i64 = 0x400;

/// `lseek` whences.
pub const SEEK_SET: u32 = 0;
pub const SEEK_CUR: u32 = 1;
pub const SEEK_END: u32 = 2;

/// File-type bits of `st_mode` (`<sys/stat.h>`).
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;

/// `d_type` values of a directory entry.
pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;
pub const DT_SOCK: u8 = 12;

/// Most file descriptors a process may have open (Linux's default
/// `RLIMIT_NOFILE`): descriptor numbers are `0..OPEN_MAX`, the next open is
/// `EMFILE`.
pub const OPEN_MAX: usize = 1024;
/// Writes of at most this many bytes to a pipe are atomic.
pub const PIPE_BUF: usize = 4096;
/// A pipe's capacity in bytes (Linux's default, 16 pages).
pub const PIPE_SIZE: usize = 65536;
/// Longest path a call accepts, counting the NUL (Linux's `PATH_MAX`).
pub const PATH_MAX: usize = 4096;
/// Longest file name (one path component).
pub const NAME_MAX: usize = 255;

/// A time as `struct stat` stores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatTime {
    pub sec: i64,
    pub nsec: i64,
}

/// Linux x86-64's `struct stat` (what `stat`, `lstat` and `fstat` fill in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
    pub atime: StatTime,
    pub mtime: StatTime,
    pub ctime: StatTime,
}

impl Stat {
    /// `sizeof(struct stat)` on x86-64.
    pub const SIZE: usize = 144;

    /// The structure's byte image: `st_dev` at 0, `st_ino` 8, `st_nlink`
    /// 16, `st_mode` 24, `st_uid` 28, `st_gid` 32, padding 36, `st_rdev`
    /// 40, `st_size` 48, `st_blksize` 56, `st_blocks` 64, then atime,
    /// mtime, ctime (seconds, nanoseconds) at 72..120 and 24 reserved bytes.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
        put(0, &self.dev.to_le_bytes());
        put(8, &self.ino.to_le_bytes());
        put(16, &self.nlink.to_le_bytes());
        put(24, &self.mode.to_le_bytes());
        put(28, &self.uid.to_le_bytes());
        put(32, &self.gid.to_le_bytes());
        put(40, &self.rdev.to_le_bytes());
        put(48, &self.size.to_le_bytes());
        put(56, &self.blksize.to_le_bytes());
        put(64, &self.blocks.to_le_bytes());
        for (i, t) in [self.atime, self.mtime, self.ctime].iter().enumerate() {
            put(72 + 16 * i, &t.sec.to_le_bytes());
            put(80 + 16 * i, &t.nsec.to_le_bytes());
        }
        b
    }

    /// Decodes a byte image made by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Stat {
        let u64_at = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]));
        let u32_at = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or([0; 4]));
        let time = |i: usize| StatTime { sec: u64_at(72 + 16 * i) as i64, nsec: u64_at(80 + 16 * i) as i64 };
        Stat {
            dev: u64_at(0),
            ino: u64_at(8),
            nlink: u64_at(16),
            mode: u32_at(24),
            uid: u32_at(28),
            gid: u32_at(32),
            rdev: u64_at(40),
            size: u64_at(48) as i64,
            blksize: u64_at(56) as i64,
            blocks: u64_at(64) as i64,
            atime: time(0),
            mtime: time(1),
            ctime: time(2),
        }
    }

    /// The file-type bits of `mode`.
    pub const fn file_type(&self) -> u32 {
        self.mode & S_IFMT
    }
}

/// Length of a `struct linux_dirent64` record for a name of `name_len`
/// bytes: 19 bytes of header, the name and its NUL, rounded up to 8.
pub const fn dirent64_len(name_len: usize) -> usize {
    (19 + name_len + 1 + 7) & !7
}

/// Writes one `struct linux_dirent64` (`d_ino` u64, `d_off` i64, `d_reclen`
/// u16, `d_type` u8, `d_name` NUL-terminated, zero padding) at the start of
/// `out`; returns its length, or `None` if `out` is too short.
pub fn dirent64(out: &mut [u8], ino: u64, off: i64, d_type: u8, name: &[u8]) -> Option<usize> {
    let len = dirent64_len(name.len());
    let rec = out.get_mut(..len)?;
    rec.fill(0);
    rec[0..8].copy_from_slice(&ino.to_le_bytes());
    rec[8..16].copy_from_slice(&off.to_le_bytes());
    rec[16..18].copy_from_slice(&(len as u16).to_le_bytes());
    rec[18] = d_type;
    rec[19..19 + name.len()].copy_from_slice(name);
    Some(len)
}

/// One record decoded from a `getdents64` buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dirent<'a> {
    pub ino: u64,
    pub off: i64,
    pub d_type: u8,
    pub name: &'a [u8],
}

/// Iterates over the records of a `getdents64` buffer (stops at the first
/// malformed one).
pub fn dirents(buf: &[u8]) -> impl Iterator<Item = Dirent<'_>> {
    let mut rest = buf;
    core::iter::from_fn(move || {
        if rest.len() < 19 {
            return None;
        }
        let reclen = u16::from_le_bytes([rest[16], rest[17]]) as usize;
        if reclen < 20 || reclen > rest.len() {
            return None;
        }
        let rec = &rest[..reclen];
        let name = &rec[19..];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        let d = Dirent {
            ino: u64::from_le_bytes(rec[0..8].try_into().ok()?),
            off: i64::from_le_bytes(rec[8..16].try_into().ok()?),
            d_type: rec[18],
            name,
        };
        rest = &rest[reclen..];
        Some(d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values_are_linux_x86_64() {
        assert_eq!((O_CREAT, O_EXCL, O_TRUNC, O_APPEND), (0x40, 0x80, 0x200, 0x400));
        assert_eq!((O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC), (0x800, 0x10000, 0x20000, 0x80000));
    }

    #[test]
    fn stat_layout() {
        let s = Stat {
            dev: 1,
            ino: 2,
            nlink: 3,
            mode: S_IFREG | 0o644,
            uid: 5,
            gid: 6,
            rdev: 7,
            size: 8,
            blksize: 4096,
            blocks: 10,
            atime: StatTime { sec: 11, nsec: 12 },
            mtime: StatTime { sec: 13, nsec: 14 },
            ctime: StatTime { sec: 15, nsec: 16 },
        };
        let b = s.to_bytes();
        assert_eq!(b.len(), 144);
        assert_eq!(u32::from_le_bytes(b[24..28].try_into().unwrap()), S_IFREG | 0o644);
        assert_eq!(u64::from_le_bytes(b[48..56].try_into().unwrap()), 8);
        assert_eq!(u64::from_le_bytes(b[104..112].try_into().unwrap()), 15);
        assert_eq!(&b[120..], &[0; 24]);
        assert_eq!(Stat::from_bytes(&b), s);
    }

    #[test]
    fn dirent_round_trip() {
        let mut buf = [0xffu8; 64];
        let n = dirent64(&mut buf, 42, 7, DT_REG, b"hello").unwrap();
        assert_eq!(n, 32);
        let m = dirent64(&mut buf[n..], 1, 9, DT_DIR, b".").unwrap();
        assert_eq!(m, 24);
        assert_eq!(dirent64(&mut buf[..10], 1, 1, DT_DIR, b"x"), None);
        let mut it = dirents(&buf[..n + m]);
        let a = it.next().unwrap();
        assert_eq!((a.ino, a.off, a.d_type, a.name), (42, 7, DT_REG, &b"hello"[..]));
        assert_eq!(it.next().unwrap().name, b".");
        assert!(it.next().is_none());
    }
}
