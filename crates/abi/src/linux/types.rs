//! Linux x86-64 structure layouts the implemented calls copy to and from
//! user memory, each with `to_bytes`/`from_bytes` giving the little-endian
//! image (so the kernel copies them without `unsafe`). Sizes and field
//! offsets are Linux's (checked by the tests below).

/// `struct timespec` (16 bytes: `tv_sec`, `tv_nsec`, both 64-bit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

impl Timespec {
    pub const SIZE: usize = 16;

    /// `ns` nanoseconds as a timespec.
    pub const fn from_nanos(ns: u64) -> Timespec {
        Timespec { tv_sec: (ns / 1_000_000_000) as i64, tv_nsec: (ns % 1_000_000_000) as i64 }
    }

    /// A valid duration or time (`tv_sec >= 0`, `0 <= tv_nsec < 10^9`) in
    /// nanoseconds (saturating), or `None` if invalid (`EINVAL` in Linux).
    pub const fn to_nanos(&self) -> Option<u64> {
        if self.tv_sec < 0 || self.tv_nsec < 0 || self.tv_nsec >= 1_000_000_000 {
            return None;
        }
        Some((self.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(self.tv_nsec as u64))
    }

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0; Self::SIZE];
        b[..8].copy_from_slice(&self.tv_sec.to_le_bytes());
        b[8..].copy_from_slice(&self.tv_nsec.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Timespec {
        let (s, n) = b.split_at(8);
        Timespec {
            tv_sec: i64::from_le_bytes(s.try_into().unwrap_or([0; 8])),
            tv_nsec: i64::from_le_bytes(n.try_into().unwrap_or([0; 8])),
        }
    }
}

/// `struct timeval` (16 bytes: `tv_sec`, `tv_usec`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}

impl Timeval {
    pub const SIZE: usize = 16;

    pub const fn from_nanos(ns: u64) -> Timeval {
        Timeval { tv_sec: (ns / 1_000_000_000) as i64, tv_usec: ((ns % 1_000_000_000) / 1000) as i64 }
    }

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        Timespec { tv_sec: self.tv_sec, tv_nsec: self.tv_usec }.to_bytes()
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Timeval {
        let t = Timespec::from_bytes(b);
        Timeval { tv_sec: t.tv_sec, tv_usec: t.tv_nsec }
    }
}

/// `struct iovec` (16 bytes: `iov_base`, `iov_len`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Iovec {
    pub base: u64,
    pub len: u64,
}

impl Iovec {
    pub const SIZE: usize = 16;
    /// Most entries one `readv`/`writev` accepts (`UIO_MAXIOV`).
    pub const MAX: usize = 1024;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0; Self::SIZE];
        b[..8].copy_from_slice(&self.base.to_le_bytes());
        b[8..].copy_from_slice(&self.len.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Iovec {
        let t = Timespec::from_bytes(b);
        Iovec { base: t.tv_sec as u64, len: t.tv_nsec as u64 }
    }
}

/// Length of each `struct utsname` field, NUL included.
pub const UTS_LEN: usize = 65;

/// `struct utsname` (6 fields of 65 bytes: 390 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utsname {
    pub sysname: [u8; UTS_LEN],
    pub nodename: [u8; UTS_LEN],
    pub release: [u8; UTS_LEN],
    pub version: [u8; UTS_LEN],
    pub machine: [u8; UTS_LEN],
    pub domainname: [u8; UTS_LEN],
}

impl Utsname {
    pub const SIZE: usize = 6 * UTS_LEN;

    /// A field holding `s` (truncated to 64 bytes), NUL-padded.
    pub fn field(s: &str) -> [u8; UTS_LEN] {
        let mut f = [0; UTS_LEN];
        let n = s.len().min(UTS_LEN - 1);
        f[..n].copy_from_slice(&s.as_bytes()[..n]);
        f
    }

    /// What MelloOS reports ([`super::uname`]).
    pub fn mellos() -> Utsname {
        use super::uname::*;
        Utsname {
            sysname: Self::field(SYSNAME),
            nodename: Self::field(NODENAME),
            release: Self::field(RELEASE),
            version: Self::field(VERSION),
            machine: Self::field(MACHINE),
            domainname: Self::field(DOMAINNAME),
        }
    }

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0; Self::SIZE];
        let fields = [&self.sysname, &self.nodename, &self.release, &self.version, &self.machine, &self.domainname];
        for (chunk, f) in b.chunks_exact_mut(UTS_LEN).zip(fields) {
            chunk.copy_from_slice(f);
        }
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Utsname {
        let f = |i: usize| {
            let mut out = [0; UTS_LEN];
            out.copy_from_slice(&b[i * UTS_LEN..(i + 1) * UTS_LEN]);
            out
        };
        Utsname { sysname: f(0), nodename: f(1), release: f(2), version: f(3), machine: f(4), domainname: f(5) }
    }
}

/// The kernel's `struct sigaction` as `rt_sigaction` copies it on x86-64
/// (32 bytes: `sa_handler`, `sa_flags`, `sa_restorer`, `sa_mask` of 8
/// bytes; not libc's `struct sigaction`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelSigaction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

impl KernelSigaction {
    pub const SIZE: usize = 32;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0; Self::SIZE];
        for (chunk, v) in b.chunks_exact_mut(8).zip([self.handler, self.flags, self.restorer, self.mask]) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> KernelSigaction {
        let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        KernelSigaction { handler: w(0), flags: w(1), restorer: w(2), mask: w(3) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespec_image_and_validation() {
        let t = Timespec { tv_sec: 3, tv_nsec: 500 };
        let b = t.to_bytes();
        assert_eq!(&b[..8], &3i64.to_le_bytes());
        assert_eq!(&b[8..], &500i64.to_le_bytes());
        assert_eq!(Timespec::from_bytes(&b), t);
        assert_eq!(t.to_nanos(), Some(3_000_000_500));
        assert_eq!(Timespec { tv_sec: 0, tv_nsec: 1_000_000_000 }.to_nanos(), None);
        assert_eq!(Timespec { tv_sec: -1, tv_nsec: 0 }.to_nanos(), None);
        assert_eq!(Timespec { tv_sec: 0, tv_nsec: -1 }.to_nanos(), None);
        assert_eq!(Timespec { tv_sec: i64::MAX, tv_nsec: 0 }.to_nanos(), Some(u64::MAX));
        assert_eq!(Timespec::from_nanos(1_234_567_890), Timespec { tv_sec: 1, tv_nsec: 234_567_890 });
        assert_eq!(Timeval::from_nanos(1_234_567_890), Timeval { tv_sec: 1, tv_usec: 234_567 });
        let tv = Timeval { tv_sec: 9, tv_usec: 8 };
        assert_eq!(Timeval::from_bytes(&tv.to_bytes()), tv);
    }

    #[test]
    fn iovec_and_sigaction_images() {
        let v = Iovec { base: 0x1234_5678, len: 13 };
        let b = v.to_bytes();
        assert_eq!(&b[..8], &0x1234_5678u64.to_le_bytes());
        assert_eq!(Iovec::from_bytes(&b), v);
        let a = KernelSigaction { handler: 1, flags: 0x0400_0004, restorer: 3, mask: 1 << 9 };
        let b = a.to_bytes();
        assert_eq!(&b[8..16], &0x0400_0004u64.to_le_bytes());
        assert_eq!(&b[24..], &(1u64 << 9).to_le_bytes());
        assert_eq!(KernelSigaction::from_bytes(&b), a);
    }

    #[test]
    fn utsname_layout() {
        let u = Utsname::mellos();
        let b = u.to_bytes();
        assert_eq!(b.len(), 390);
        assert_eq!(&b[..8], b"MelloOS\0");
        assert_eq!(&b[2 * UTS_LEN..2 * UTS_LEN + 13], b"6.1.0-mellos\0");
        assert_eq!(&b[4 * UTS_LEN..4 * UTS_LEN + 7], b"x86_64\0");
        assert_eq!(Utsname::from_bytes(&b), u);
        let long = Utsname::field(&"x".repeat(100));
        assert_eq!((long[63], long[64]), (b'x', 0), "truncated, NUL kept");
    }
}
