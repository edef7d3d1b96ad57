//! Open file descriptions ([`OpenFile`]): what `open` and `pipe` make and
//! descriptors point at. Shared by `dup` and `fork` (one position, one set
//! of status flags), freed when the last descriptor closes.
//!
//! * The access mode is fixed at open: reading needs `O_RDONLY`/`O_RDWR`,
//!   writing `O_WRONLY`/`O_RDWR`, else `EBADF` (Linux).
//! * Status flags (`O_APPEND`, `O_NONBLOCK`; `fcntl(F_SETFL)` changes them)
//!   are an atomic word.
//! * An inode file (regular file, directory) keeps its inode pinned and a
//!   position under [`InodeFile::pos`] (level `File`), held across one whole
//!   read, write, lseek or getdents, user copies included (it ranks before
//!   `AddressSpace`), so two processes sharing the description never use
//!   the same offset twice. Data moves through a kernel buffer: the
//!   filesystem lock is never held across a user copy. With `O_APPEND`
//!   the end-of-file lookup and the write are one filesystem call.
//! * A device file forwards to its `CharDevice` (kernel buffers, no
//!   position lock: a terminal read may block); a pipe end to `pipe.rs`.
//! * [`live_count`] counts the descriptions alive (an atomic bumped in
//!   `new`, dropped in `Drop`): the fuzzer's leak check reads it.

use super::dev::CharDevice;
use super::mounts::{self, Pinned};
use super::pipe::PipeEnd;
use super::rw::{self, Src, CHUNK};
use crate::mm::uaccess::UserSlice;
use crate::sched::pollee::Pollee;
use crate::sync::{LockLevel, SpinLock};
use alloc::sync::Arc;
use alloc::vec;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use mello_abi::fs::{self as abi, O_APPEND, O_LARGEFILE, O_NONBLOCK, SEEK_CUR, SEEK_END, SEEK_SET};
use mello_abi::fs::{POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
use mello_abi::Errno;
use vfs::Location;

/// Status flags `fcntl(F_SETFL)` may change.
pub const SETFL_MASK: u32 = O_APPEND | O_NONBLOCK;

/// Open file descriptions alive (see [`live_count`]).
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// How many open file descriptions exist right now, all processes together.
pub fn live_count() -> usize {
    LIVE.load(Ordering::Relaxed)
}

pub struct OpenFile {
    readable: bool,
    writable: bool,
    /// `O_ACCMODE` bits as opened (for `F_GETFL`).
    accmode: u32,
    status: AtomicU32,
    pub kind: Kind,
    /// The absolute path it was opened by, for `/proc/N/fd` (`fdpath`);
    /// set once, by `open`, before the description is shared.
    path: spin::Once<alloc::vec::Vec<u8>>,
}

pub enum Kind {
    Inode(InodeFile),
    Device { node: Pinned, dev: Arc<dyn CharDevice> },
    Pipe(PipeEnd),
}

pub struct InodeFile {
    pub node: Pinned,
    pub is_dir: bool,
    /// The file position; for a directory, the `readdir` cookie.
    pos: SpinLock<u64>,
}

impl InodeFile {
    pub fn new(node: Pinned, is_dir: bool) -> Self {
        InodeFile { node, is_dir, pos: SpinLock::new(LockLevel::File, "file-pos", 0) }
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

impl OpenFile {
    /// A description with access mode `flags & O_ACCMODE` and status flags
    /// `flags & (O_APPEND | O_NONBLOCK)`.
    pub fn new(kind: Kind, flags: u32) -> Arc<OpenFile> {
        let accmode = flags & abi::O_ACCMODE;
        LIVE.fetch_add(1, Ordering::Relaxed);
        Arc::new(OpenFile {
            readable: accmode == abi::O_RDONLY || accmode == abi::O_RDWR,
            writable: accmode == abi::O_WRONLY || accmode == abi::O_RDWR,
            accmode,
            status: AtomicU32::new(flags & SETFL_MASK),
            kind,
            path: spin::Once::new(),
        })
    }

    /// Record the path this description was opened by (first call wins).
    pub fn set_path(&self, path: alloc::vec::Vec<u8>) {
        self.path.call_once(|| path);
    }

    /// The path recorded by [`set_path`](Self::set_path).
    pub fn path(&self) -> Option<&[u8]> {
        self.path.get().map(|p| &p[..])
    }

    /// `F_GETFL`: access mode and status flags (`O_LARGEFILE` is implied
    /// on x86-64, as Linux reports it).
    pub fn flags(&self) -> u32 {
        self.accmode | self.status.load(Ordering::Relaxed) | O_LARGEFILE
    }

    /// `F_SETFL`.
    pub fn set_flags(&self, flags: u32) {
        self.status.store(flags & SETFL_MASK, Ordering::Relaxed);
    }

    fn nonblock(&self) -> bool {
        self.status.load(Ordering::Relaxed) & O_NONBLOCK != 0
    }

    pub fn readable(&self) -> bool {
        self.readable
    }

    pub fn writable(&self) -> bool {
        self.writable
    }

    /// read(2) into `[addr, addr + len)`: the caller checked the access
    /// mode and validated the range.
    pub fn read(&self, addr: usize, len: usize) -> Result<usize, Errno> {
        self.read_nb(addr, len, false)
    }

    /// [`read`](Self::read), never blocking if `nonblock` (`readv` after
    /// its first bytes: `EAGAIN` instead of waiting).
    pub fn read_nb(&self, addr: usize, len: usize, nonblock: bool) -> Result<usize, Errno> {
        let nonblock = nonblock || self.nonblock();
        match &self.kind {
            Kind::Pipe(end) => end.read(addr, len, nonblock),
            Kind::Device { dev, .. } => {
                let mut buf = vec![0u8; len.min(CHUNK)];
                let n = dev.read(&mut buf, nonblock)?;
                UserSlice::new(addr, n)?.write_from(&buf[..n])?;
                Ok(n)
            }
            Kind::Inode(f) => {
                if f.is_dir {
                    return Err(Errno::EISDIR);
                }
                let mut pos = f.pos.lock();
                let n = rw::inode_read(f.node.loc(), *pos, addr, len)?;
                *pos += n as u64;
                Ok(n)
            }
        }
    }

    /// write(2) from `[addr, addr + len)`: the caller checked the access
    /// mode and validated the range.
    pub fn write(&self, addr: usize, len: usize) -> Result<usize, Errno> {
        self.write_from(Src::User(addr), len)
    }

    /// write(2) of `len` bytes from `src` (user memory or, for `sendfile`,
    /// a kernel buffer).
    pub fn write_from(&self, src: Src<'_>, len: usize) -> Result<usize, Errno> {
        match &self.kind {
            Kind::Pipe(end) => end.write(src, len, self.nonblock()),
            Kind::Device { dev, .. } => {
                let mut done = 0;
                while done < len || len == 0 {
                    let n = (len - done).min(CHUNK);
                    let data = match src.fetch(done, n) {
                        Ok(data) => data,
                        Err(e) if done == 0 => return Err(e),
                        Err(_) => break,
                    };
                    let put = match dev.write(&data, self.nonblock()) {
                        Ok(put) => put,
                        Err(e) if done == 0 => return Err(e),
                        Err(_) => break,
                    };
                    done += put;
                    if put < n || len == 0 {
                        break;
                    }
                }
                Ok(done)
            }
            Kind::Inode(f) => {
                let append = self.status.load(Ordering::Relaxed) & O_APPEND != 0;
                let mut pos = f.pos.lock();
                let (end, n) = rw::inode_write(f.node.loc(), *pos, append, src, len)?;
                *pos = end;
                Ok(n)
            }
        }
    }

    /// pread(2) at `offset`, the position unchanged: regular files and the
    /// devices that can seek (`/dev/zero`, ...); pipes and terminals are
    /// `ESPIPE`, a directory `EISDIR`.
    pub fn pread(&self, addr: usize, len: usize, offset: u64) -> Result<usize, Errno> {
        match &self.kind {
            Kind::Inode(f) if f.is_dir => Err(Errno::EISDIR),
            Kind::Inode(f) => rw::inode_read(f.node.loc(), offset, addr, len),
            Kind::Device { dev, .. } if dev.lseek(0, SEEK_CUR).is_ok() => self.read(addr, len),
            Kind::Device { .. } | Kind::Pipe(_) => Err(Errno::ESPIPE),
        }
    }

    /// pwrite(2) at `offset` (with `O_APPEND`, Linux appends anyway).
    pub fn pwrite(&self, addr: usize, len: usize, offset: u64) -> Result<usize, Errno> {
        match &self.kind {
            Kind::Inode(f) if f.is_dir => Err(Errno::EISDIR),
            Kind::Inode(f) => {
                let append = self.status.load(Ordering::Relaxed) & O_APPEND != 0;
                Ok(rw::inode_write(f.node.loc(), offset, append, Src::User(addr), len)?.1)
            }
            Kind::Device { dev, .. } if dev.lseek(0, SEEK_CUR).is_ok() => self.write(addr, len),
            Kind::Device { .. } | Kind::Pipe(_) => Err(Errno::ESPIPE),
        }
    }

    /// The regular file behind this description, with its position lock
    /// (for `sendfile`); `None` for anything else.
    pub fn regular(&self) -> Option<(Location, &SpinLock<u64>)> {
        match &self.kind {
            Kind::Inode(f) if !f.is_dir => Some((f.node.loc(), &f.pos)),
            _ => None,
        }
    }

    /// The inode this description names: a file's or directory's, a device
    /// node's; `None` for a pipe.
    pub fn location(&self) -> Option<Location> {
        match &self.kind {
            Kind::Inode(f) => Some(f.node.loc()),
            Kind::Device { node, .. } => Some(node.loc()),
            Kind::Pipe(end) => end.node.as_ref().map(Pinned::loc),
        }
    }

    /// Whether this is a pipe end (anonymous or a FIFO's).
    pub fn is_pipe(&self) -> bool {
        matches!(self.kind, Kind::Pipe(_))
    }

    /// The directory this description names (`ENOTDIR` otherwise): the
    /// start of an `*at` call's relative path.
    pub fn directory(&self) -> Result<Location, Errno> {
        match &self.kind {
            Kind::Inode(f) if f.is_dir => Ok(f.node.loc()),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// `FIONREAD`: bytes a read would return now (a regular file's from
    /// the position to the end, a pipe's buffered bytes, a device's
    /// answer). `ENOTTY` for a directory.
    pub fn bytes_readable(&self) -> Result<usize, Errno> {
        match &self.kind {
            Kind::Inode(f) if f.is_dir => Err(Errno::ENOTTY),
            Kind::Inode(f) => {
                let pos = *f.pos.lock();
                Ok(mounts::getattr(f.node.loc())?.size.saturating_sub(pos) as usize)
            }
            Kind::Pipe(end) => Ok(end.buffered()),
            Kind::Device { .. } => Err(Errno::ENOTTY),
        }
    }

    /// lseek(2); returns the new position.
    pub fn lseek(&self, offset: i64, whence: u32) -> Result<u64, Errno> {
        let f = match &self.kind {
            Kind::Pipe(_) => return Err(Errno::ESPIPE),
            Kind::Device { dev, .. } => return dev.lseek(offset, whence),
            Kind::Inode(f) => f,
        };
        let mut pos = f.pos.lock();
        let base: i64 = match whence {
            SEEK_SET => 0,
            SEEK_CUR => *pos as i64,
            SEEK_END if !f.is_dir => mounts::getattr(f.node.loc())?.size as i64,
            _ => return Err(Errno::EINVAL),
        };
        let new = base.checked_add(offset).ok_or(Errno::EOVERFLOW)?;
        if new < 0 {
            return Err(Errno::EINVAL);
        }
        *pos = new as u64;
        Ok(new as u64)
    }

    /// getdents64 into `[addr, addr + len)` (validated): as many whole
    /// records as fit; `EINVAL` if not even the first does.
    pub fn getdents(&self, addr: usize, len: usize) -> Result<usize, Errno> {
        let f = match &self.kind {
            Kind::Inode(f) if f.is_dir => f,
            _ => return Err(Errno::ENOTDIR),
        };
        let loc = f.node.loc();
        let mut pos = f.pos.lock();
        let start = *pos;
        let mut out = vec![0u8; len.min(CHUNK)];
        let mut used = 0;
        loop {
            let cookie = *pos;
            let entry = match mounts::with_fs(loc, |fs| fs.readdir(loc.ino, cookie, mounts::now())) {
                Ok(entry) => entry,
                Err(e) if used == 0 => return Err(e),
                Err(_) => break,
            };
            let Some(e) = entry else { break };
            match abi::dirent64(&mut out[used..], e.ino, e.next as i64, e.ftype.dt(), &e.name) {
                Some(n) => {
                    used += n;
                    *pos = e.next;
                }
                None if used == 0 => return Err(Errno::EINVAL),
                None => break,
            }
        }
        if UserSlice::new(addr, used)?.write_from(&out[..used]).is_err() {
            *pos = start;
            return Err(Errno::EFAULT);
        }
        Ok(used)
    }

    /// fstat(2).
    pub fn stat(&self) -> Result<abi::Stat, Errno> {
        match &self.kind {
            Kind::Inode(f) => Ok(to_abi(&mounts::getattr(f.node.loc())?)),
            Kind::Device { node, .. } => Ok(to_abi(&mounts::getattr(node.loc())?)),
            Kind::Pipe(PipeEnd { node: Some(node), .. }) => Ok(to_abi(&mounts::getattr(node.loc())?)),
            Kind::Pipe(end) => Ok(abi::Stat {
                dev: ::vfs::makedev(0, 12),
                ino: end.pipe().ino,
                nlink: 1,
                mode: abi::S_IFIFO | 0o600,
                blksize: 4096,
                ..abi::Stat::default()
            }),
        }
    }

    /// `ioctl`: a device's request; other files are not terminals (Linux's
    /// ENOTTY).
    pub fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        match &self.kind {
            Kind::Device { dev, .. } => dev.ioctl(cmd, arg),
            Kind::Inode(_) | Kind::Pipe(_) => Err(Errno::ENOTTY),
        }
    }

    /// `poll`'s event mask for this description now (Linux's bits: a
    /// regular file or directory is always `POLLIN|POLLOUT` and their
    /// `NORM`s; a pipe end answers as Linux's `pipe_poll`; a device from its
    /// readiness), and the pollee to wait on if it can change.
    pub fn poll(&self) -> (u16, Option<&Pollee>) {
        match &self.kind {
            Kind::Pipe(end) => (end.poll_mask(), Some(end.pollee())),
            Kind::Device { dev, .. } => {
                let r = dev.poll();
                let mask = if r.readable { POLLIN | POLLRDNORM } else { 0 }
                    | if r.writable { POLLOUT | POLLWRNORM } else { 0 }
                    | if r.hangup { POLLHUP } else { 0 };
                (mask, dev.pollee())
            }
            Kind::Inode(_) => (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM, None),
        }
    }
}

/// A VFS `Stat` in Linux's `struct stat` form.
pub fn to_abi(s: &::vfs::Stat) -> abi::Stat {
    let t = |t: ::vfs::Timespec| abi::StatTime { sec: t.sec, nsec: t.nsec as i64 };
    abi::Stat {
        dev: s.dev,
        ino: s.ino,
        nlink: s.nlink as u64,
        mode: s.mode,
        uid: s.uid,
        gid: s.gid,
        rdev: s.rdev,
        size: s.size as i64,
        blksize: s.blksize as i64,
        blocks: s.blocks as i64,
        atime: t(s.atime),
        mtime: t(s.mtime),
        ctime: t(s.ctime),
    }
}
