//! Character devices: the [`CharDevice`] trait, the registry by
//! (major, minor), the built-in devices and the devfs nodes.
//!
//! Opening any character-device inode (in devfs or from a cpio entry
//! anywhere) looks its `rdev` up here ([`lookup`]); an unregistered number
//! is `ENXIO`, as on Linux. A driver plugs in by implementing `CharDevice`
//! and calling [`register`] (a later registration replaces an earlier one:
//! that is how the terminal driver takes over the console numbers).
//!
//! Built in, with Linux's numbers: `null` 1:3, `zero` 1:5, `full` 1:7,
//! `random` 1:8, `urandom` 1:9 (both the ChaCha20 generator, `random.rs`),
//! and, for a kernel without the terminal driver, the console family
//! `console` 5:1, `tty` 5:0, `ttyS0` 4:64, `tty1` 4:1, whose writes go to
//! the console output (serial and screen). `tty::init` registers the real
//! terminals under these numbers first (see `tty` for which is which).
//!
//! Device I/O goes through kernel buffers: `read` fills one, `write` is
//! given one; the caller copies to and from user memory outside every
//! device lock. A device whose read can block does it inside `read`
//! (`sched::pollee::wait_until` on its own `Pollee`) unless `nonblock`.
//!
//! Locking: the registry is one `SpinLock` (level `DeviceRegistry`), held
//! only to clone an `Arc` out or in.

use super::random;
use crate::sched::pollee::Pollee;
use crate::sync::{LockLevel, SpinLock};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use mello_abi::Errno;
use vfs::{makedev, Cred, Filesystem, SetAttr, Timespec, S_IFCHR};

/// What a descriptor is ready for (the answer to `poll`). Consumed by the
/// `poll`/`select` calls of the Linux personality (not yet merged).
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    pub readable: bool,
    pub writable: bool,
    /// The other side is gone (a pipe with no writers; a hung-up terminal).
    pub hangup: bool,
}

/// A character device, as a driver provides it. `poll`, `pollee` and
/// `ioctl` are the terminal driver's and `poll`'s (not yet merged) side.
#[allow(dead_code)]
pub trait CharDevice: Send + Sync {
    /// Read into `buf`; 0 is end of file. May block unless `nonblock`.
    fn read(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno>;
    /// Write `data`; returns how much was taken.
    fn write(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno>;
    /// Current readiness (for `poll`).
    fn poll(&self) -> Readiness {
        Readiness { readable: true, writable: true, hangup: false }
    }
    /// The object a poller waits on; `None` if readiness never changes.
    fn pollee(&self) -> Option<&Pollee> {
        None
    }
    /// A device-specific request; `arg` may be a user pointer (the driver
    /// copies through `mm::uaccess`). Linux's answer for "no such request".
    fn ioctl(&self, _cmd: u32, _arg: usize) -> Result<usize, Errno> {
        Err(Errno::ENOTTY)
    }
    /// `lseek`: most devices cannot seek (`ESPIPE`).
    fn lseek(&self, _offset: i64, _whence: u32) -> Result<u64, Errno> {
        Err(Errno::ESPIPE)
    }
}

type Registry = BTreeMap<(u32, u32), Arc<dyn CharDevice>>;
static REGISTRY: SpinLock<Registry> = SpinLock::new(LockLevel::DeviceRegistry, "devices", BTreeMap::new());

/// Register `dev` as character device `major:minor`, replacing any earlier
/// driver of that number (returned).
pub fn register(major: u32, minor: u32, dev: Arc<dyn CharDevice>) -> Option<Arc<dyn CharDevice>> {
    REGISTRY.lock().insert((major, minor), dev)
}

/// The driver of device number `rdev`, if one is registered.
pub fn lookup(rdev: u64) -> Option<Arc<dyn CharDevice>> {
    REGISTRY.lock().get(&(vfs::major(rdev), vfs::minor(rdev))).cloned()
}

/// `/dev/null`: reads end at once, writes vanish.
struct Null;
impl CharDevice for Null {
    fn read(&self, _: &mut [u8], _: bool) -> Result<usize, Errno> {
        Ok(0)
    }
    fn write(&self, data: &[u8], _: bool) -> Result<usize, Errno> {
        Ok(data.len())
    }
    fn lseek(&self, _: i64, _: u32) -> Result<u64, Errno> {
        Ok(0) // Linux's null_lseek: the position stays 0
    }
}

/// `/dev/zero` (writes vanish) and `/dev/full` (writes fail `ENOSPC`):
/// both read as zeros.
struct Zero {
    full: bool,
}
impl CharDevice for Zero {
    fn read(&self, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        buf.fill(0);
        Ok(buf.len())
    }
    fn write(&self, data: &[u8], _: bool) -> Result<usize, Errno> {
        if self.full {
            Err(Errno::ENOSPC)
        } else {
            Ok(data.len())
        }
    }
    fn lseek(&self, _: i64, _: u32) -> Result<u64, Errno> {
        Ok(0)
    }
}

/// `/dev/random` and `/dev/urandom` (the generator is seeded at boot, so
/// neither blocks, as on Linux 5.6 and later).
struct Random;
impl CharDevice for Random {
    fn read(&self, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        random::fill(buf);
        Ok(buf.len())
    }
    fn write(&self, data: &[u8], _: bool) -> Result<usize, Errno> {
        random::mix(data);
        Ok(data.len())
    }
    fn lseek(&self, _: i64, _: u32) -> Result<u64, Errno> {
        Ok(0) // noop_llseek
    }
}

/// The console when no terminal driver has registered (`tty::init` does, at
/// boot, before this; this keeps a kernel without it usable): writes go to
/// the console output as fds 1 and 2 always did; reads return 0 (end of
/// file), since nothing would ever deliver input.
struct Console;
impl CharDevice for Console {
    fn read(&self, _: &mut [u8], _: bool) -> Result<usize, Errno> {
        Ok(0)
    }
    fn write(&self, data: &[u8], _: bool) -> Result<usize, Errno> {
        crate::serial::write_bytes(data);
        Ok(data.len())
    }
}

/// Register the built-in devices (boot).
pub fn register_builtin() {
    random::init();
    let console: Arc<dyn CharDevice> = Arc::new(Console);
    let random: Arc<dyn CharDevice> = Arc::new(Random);
    register(1, 3, Arc::new(Null));
    register(1, 5, Arc::new(Zero { full: false }));
    register(1, 7, Arc::new(Zero { full: true }));
    register(1, 8, random.clone());
    register(1, 9, random);
    // The terminal driver's registration (earlier) wins.
    let mut registry = REGISTRY.lock();
    for (major, minor) in [(5, 1), (5, 0), (4, 64), (4, 1)] {
        registry.entry((major, minor)).or_insert_with(|| console.clone());
    }
}

/// devfs's nodes: name, major, minor, permissions, group (as Linux's
/// devtmpfs with udev's usual groups: tty 5, dialout 20).
const NODES: &[(&[u8], u32, u32, u32, u32)] = &[
    (b"null", 1, 3, 0o666, 0),
    (b"zero", 1, 5, 0o666, 0),
    (b"full", 1, 7, 0o666, 0),
    (b"random", 1, 8, 0o666, 0),
    (b"urandom", 1, 9, 0o666, 0),
    (b"tty", 5, 0, 0o666, 5),
    (b"console", 5, 1, 0o600, 0),
    (b"tty1", 4, 1, 0o620, 5),
    (b"ttyS0", 4, 64, 0o660, 20),
];

/// Make the device nodes in a fresh devfs (boot, before it is mounted).
pub fn populate(fs: &mut dyn Filesystem, now: Timespec) {
    let root = fs.root();
    for &(name, major, minor, perm, gid) in NODES {
        let made = fs
            .create(root, name, S_IFCHR | perm, makedev(major, minor), Cred::ROOT, now)
            .and_then(|ino| fs.setattr(ino, &SetAttr { gid: Some(gid), ..SetAttr::default() }, now));
        if let Err(e) = made {
            crate::klog!("VFS", "devfs: cannot make {}: {}", core::str::from_utf8(name).unwrap_or("?"), e.name());
        }
    }
}
