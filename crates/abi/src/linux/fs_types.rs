//! Linux x86-64 structures of the file, poll and system-information calls
//! (`statx`, `statfs`, `pollfd`, `fd_set`, `sysinfo`, `rlimit`), with their
//! little-endian byte images (`to_bytes`/`from_bytes`, so the kernel copies
//! them without `unsafe`), and the constants that go with them (statx
//! mask bits, resource numbers, syslog actions). Sizes and offsets are
//! Linux's `include/uapi` ones, checked by the tests below. `struct stat`
//! and `linux_dirent64` are shared with the native ABI (`crate::fs`).

/// `statx` mask bits (`<linux/stat.h>`).
pub mod statx_mask {
    pub const STATX_TYPE: u32 = 0x1;
    pub const STATX_MODE: u32 = 0x2;
    pub const STATX_NLINK: u32 = 0x4;
    pub const STATX_UID: u32 = 0x8;
    pub const STATX_GID: u32 = 0x10;
    pub const STATX_ATIME: u32 = 0x20;
    pub const STATX_MTIME: u32 = 0x40;
    pub const STATX_CTIME: u32 = 0x80;
    pub const STATX_INO: u32 = 0x100;
    pub const STATX_SIZE: u32 = 0x200;
    pub const STATX_BLOCKS: u32 = 0x400;
    /// Everything `struct stat` has.
    pub const STATX_BASIC_STATS: u32 = 0x7ff;
    pub const STATX_BTIME: u32 = 0x800;
    pub const STATX_MNT_ID: u32 = 0x1000;
    /// Reserved: asking for it is `EINVAL`.
    pub const STATX_RESERVED: u32 = 0x8000_0000;
    /// `stx_attributes`: the file is a mount's root.
    pub const STATX_ATTR_MOUNT_ROOT: u64 = 0x2000;
}

/// `struct statx_timestamp` (16 bytes: `tv_sec` i64, `tv_nsec` u32, pad).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatxTime {
    pub sec: i64,
    pub nsec: u32,
}

/// `struct statx` (256 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statx {
    pub mask: u32,
    pub blksize: u32,
    pub attributes: u64,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub mode: u16,
    pub ino: u64,
    pub size: u64,
    pub blocks: u64,
    pub attributes_mask: u64,
    pub atime: StatxTime,
    pub btime: StatxTime,
    pub ctime: StatxTime,
    pub mtime: StatxTime,
    pub rdev_major: u32,
    pub rdev_minor: u32,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub mnt_id: u64,
}

impl Statx {
    pub const SIZE: usize = 256;

    /// Offsets: mask 0, blksize 4, attributes 8, nlink 16, uid 20, gid 24,
    /// mode 28, ino 32, size 40, blocks 48, attributes_mask 56, atime 64,
    /// btime 80, ctime 96, mtime 112, rdev 128/132, dev 136/140, mnt_id
    /// 144, the rest zero.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
        put(0, &self.mask.to_le_bytes());
        put(4, &self.blksize.to_le_bytes());
        put(8, &self.attributes.to_le_bytes());
        put(16, &self.nlink.to_le_bytes());
        put(20, &self.uid.to_le_bytes());
        put(24, &self.gid.to_le_bytes());
        put(28, &self.mode.to_le_bytes());
        put(32, &self.ino.to_le_bytes());
        put(40, &self.size.to_le_bytes());
        put(48, &self.blocks.to_le_bytes());
        put(56, &self.attributes_mask.to_le_bytes());
        for (i, t) in [self.atime, self.btime, self.ctime, self.mtime].iter().enumerate() {
            put(64 + 16 * i, &t.sec.to_le_bytes());
            put(72 + 16 * i, &t.nsec.to_le_bytes());
        }
        put(128, &self.rdev_major.to_le_bytes());
        put(132, &self.rdev_minor.to_le_bytes());
        put(136, &self.dev_major.to_le_bytes());
        put(140, &self.dev_minor.to_le_bytes());
        put(144, &self.mnt_id.to_le_bytes());
        b
    }
}

/// `struct statfs` (120 bytes, every field 64-bit but `f_fsid`'s two i32).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statfs {
    pub f_type: i64,
    pub bsize: i64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub fsid: [i32; 2],
    pub namelen: i64,
    pub frsize: i64,
    pub flags: i64,
}

impl Statfs {
    pub const SIZE: usize = 120;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        let words = [self.f_type as u64, self.bsize as u64, self.blocks, self.bfree, self.bavail, self.files, self.ffree];
        for (i, w) in words.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        b[56..60].copy_from_slice(&self.fsid[0].to_le_bytes());
        b[60..64].copy_from_slice(&self.fsid[1].to_le_bytes());
        b[64..72].copy_from_slice(&self.namelen.to_le_bytes());
        b[72..80].copy_from_slice(&self.frsize.to_le_bytes());
        b[80..88].copy_from_slice(&self.flags.to_le_bytes());
        b
    }
}

/// `struct pollfd` (8 bytes: `fd` i32, `events` i16, `revents` i16).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollFd {
    pub fd: i32,
    pub events: u16,
    pub revents: u16,
}

impl PollFd {
    pub const SIZE: usize = 8;

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> PollFd {
        PollFd {
            fd: i32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            events: u16::from_le_bytes([b[4], b[5]]),
            revents: u16::from_le_bytes([b[6], b[7]]),
        }
    }

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[..4].copy_from_slice(&self.fd.to_le_bytes());
        b[4..6].copy_from_slice(&self.events.to_le_bytes());
        b[6..].copy_from_slice(&self.revents.to_le_bytes());
        b
    }
}

/// `fd_set`: `FD_SETSIZE` (1,024) bits in 64-bit words, bit `fd % 64` of
/// word `fd / 64`; `select` copies only the words covering `nfds`.
pub const FD_SETSIZE: usize = 1024;

/// Bytes of an `fd_set` prefix that covers descriptors `0..nfds` (whole
/// `long`s, as Linux copies it).
pub const fn fd_set_bytes(nfds: usize) -> usize {
    nfds.div_ceil(64) * 8
}

/// Whether bit `fd` is set in an `fd_set` image.
pub fn fd_isset(set: &[u8], fd: usize) -> bool {
    set.get(fd / 8).is_some_and(|b| b & (1 << (fd % 8)) != 0)
}

/// Set bit `fd` in an `fd_set` image (ignored past its end).
pub fn fd_set(set: &mut [u8], fd: usize) {
    if let Some(b) = set.get_mut(fd / 8) {
        *b |= 1 << (fd % 8);
    }
}

/// `struct sysinfo` (112 bytes on x86-64).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sysinfo {
    pub uptime: i64,
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    pub procs: u16,
    pub totalhigh: u64,
    pub freehigh: u64,
    pub mem_unit: u32,
}

impl Sysinfo {
    pub const SIZE: usize = 112;

    /// Offsets: uptime 0, loads 8..32, totalram 32, freeram 40, sharedram
    /// 48, bufferram 56, totalswap 64, freeswap 72, procs 80 (u16, then
    /// padding), totalhigh 88, freehigh 96, mem_unit 104 (u32), padding.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        let words = [
            self.uptime as u64,
            self.loads[0],
            self.loads[1],
            self.loads[2],
            self.totalram,
            self.freeram,
            self.sharedram,
            self.bufferram,
            self.totalswap,
            self.freeswap,
        ];
        for (i, w) in words.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        b[80..82].copy_from_slice(&self.procs.to_le_bytes());
        b[88..96].copy_from_slice(&self.totalhigh.to_le_bytes());
        b[96..104].copy_from_slice(&self.freehigh.to_le_bytes());
        b[104..108].copy_from_slice(&self.mem_unit.to_le_bytes());
        b
    }
}

/// `struct rlimit` / `struct rlimit64` (16 bytes: `rlim_cur`, `rlim_max`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

impl Rlimit {
    pub const SIZE: usize = 16;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[..8].copy_from_slice(&self.cur.to_le_bytes());
        b[8..].copy_from_slice(&self.max.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Rlimit {
        let (c, m) = b.split_at(8);
        Rlimit { cur: u64::from_le_bytes(c.try_into().unwrap_or([0; 8])), max: u64::from_le_bytes(m.try_into().unwrap_or([0; 8])) }
    }
}

/// Resource numbers (`<asm-generic/resource.h>`) and `RLIM_INFINITY`.
pub mod rlimit {
    pub const RLIMIT_CPU: usize = 0;
    pub const RLIMIT_FSIZE: usize = 1;
    pub const RLIMIT_DATA: usize = 2;
    pub const RLIMIT_STACK: usize = 3;
    pub const RLIMIT_CORE: usize = 4;
    pub const RLIMIT_RSS: usize = 5;
    pub const RLIMIT_NPROC: usize = 6;
    pub const RLIMIT_NOFILE: usize = 7;
    pub const RLIMIT_MEMLOCK: usize = 8;
    pub const RLIMIT_AS: usize = 9;
    pub const RLIMIT_LOCKS: usize = 10;
    pub const RLIMIT_SIGPENDING: usize = 11;
    pub const RLIMIT_MSGQUEUE: usize = 12;
    pub const RLIMIT_NICE: usize = 13;
    pub const RLIMIT_RTPRIO: usize = 14;
    pub const RLIMIT_RTTIME: usize = 15;
    /// How many resources there are.
    pub const RLIM_NLIMITS: usize = 16;
    pub const RLIM_INFINITY: u64 = u64::MAX;
}

/// `syslog(2)` actions (`SYSLOG_ACTION_*`).
pub mod syslog {
    pub const CLOSE: u32 = 0;
    pub const OPEN: u32 = 1;
    pub const READ: u32 = 2;
    pub const READ_ALL: u32 = 3;
    pub const READ_CLEAR: u32 = 4;
    pub const CLEAR: u32 = 5;
    pub const CONSOLE_OFF: u32 = 6;
    pub const CONSOLE_ON: u32 = 7;
    pub const CONSOLE_LEVEL: u32 = 8;
    pub const SIZE_UNREAD: u32 = 9;
    pub const SIZE_BUFFER: u32 = 10;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statx_layout() {
        let s = Statx {
            mask: 0x7ff,
            blksize: 4096,
            nlink: 2,
            mode: 0o40755,
            ino: 9,
            size: 100,
            atime: StatxTime { sec: 1, nsec: 2 },
            btime: StatxTime { sec: 3, nsec: 4 },
            ctime: StatxTime { sec: 5, nsec: 6 },
            mtime: StatxTime { sec: 7, nsec: 8 },
            dev_major: 0,
            dev_minor: 1,
            rdev_major: 4,
            rdev_minor: 64,
            mnt_id: 22,
            ..Statx::default()
        };
        let b = s.to_bytes();
        assert_eq!(b.len(), 256);
        assert_eq!(u32::from_le_bytes(b[0..4].try_into().unwrap()), 0x7ff);
        assert_eq!(u16::from_le_bytes(b[28..30].try_into().unwrap()), 0o40755);
        assert_eq!(u64::from_le_bytes(b[32..40].try_into().unwrap()), 9);
        assert_eq!(i64::from_le_bytes(b[80..88].try_into().unwrap()), 3, "btime after atime");
        assert_eq!(i64::from_le_bytes(b[112..120].try_into().unwrap()), 7, "mtime last");
        assert_eq!(u32::from_le_bytes(b[132..136].try_into().unwrap()), 64);
        assert_eq!(u64::from_le_bytes(b[144..152].try_into().unwrap()), 22);
        assert!(b[152..].iter().all(|&x| x == 0));
    }

    #[test]
    fn statfs_pollfd_sysinfo_rlimit_layouts() {
        let f = Statfs { f_type: 0x0102_1994, bsize: 4096, namelen: 255, frsize: 4096, flags: 0x20, fsid: [1, 2], ..Statfs::default() };
        let b = f.to_bytes();
        assert_eq!(b.len(), 120);
        assert_eq!(&b[0..8], &0x0102_1994i64.to_le_bytes());
        assert_eq!(&b[56..64], &[1, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(&b[64..72], &255i64.to_le_bytes());
        let p = PollFd { fd: -1, events: 5, revents: 0x20 };
        assert_eq!(p.to_bytes(), [0xff, 0xff, 0xff, 0xff, 5, 0, 0x20, 0]);
        assert_eq!(PollFd::from_bytes(&p.to_bytes()), p);
        let s = Sysinfo { uptime: 7, procs: 3, mem_unit: 1, totalram: 9, ..Sysinfo::default() };
        let b = s.to_bytes();
        assert_eq!(b.len(), 112);
        assert_eq!(&b[32..40], &9u64.to_le_bytes());
        assert_eq!(&b[80..82], &3u16.to_le_bytes());
        assert_eq!(&b[104..108], &1u32.to_le_bytes());
        let r = Rlimit { cur: 1024, max: rlimit::RLIM_INFINITY };
        assert_eq!(Rlimit::from_bytes(&r.to_bytes()), r);
    }

    #[test]
    fn fd_set_bits() {
        assert_eq!((fd_set_bytes(0), fd_set_bytes(1), fd_set_bytes(64), fd_set_bytes(65)), (0, 8, 8, 16));
        let mut s = [0u8; 16];
        fd_set(&mut s, 0);
        fd_set(&mut s, 9);
        fd_set(&mut s, 70);
        fd_set(&mut s, 500); // past the end: ignored
        assert_eq!(s[0], 1);
        assert_eq!(s[1], 2);
        assert_eq!(s[8], 0x40);
        assert!(fd_isset(&s, 9) && fd_isset(&s, 70) && !fd_isset(&s, 8) && !fd_isset(&s, 500));
    }
}
