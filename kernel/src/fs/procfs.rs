//! procfs on `/proc`, generated on every read in Linux's formats:
//! `self` (a symlink to the caller's pid), the per-process `N/stat`,
//! `N/status`, `N/cmdline`, `N/exe` and `N/fd/` (`procfs_pid`), `meminfo`, `uptime`, `mounts`, `version`,
//! `mellos/metrics` (the kernel's counters, one `name value` per line), and
//! `kmsg`: the kernel log, read and consumed as Linux's (`<L>[time] text`
//! lines, blocking while nothing is unread). Opening it makes a device-like
//! description ([`special`], [`KernelLog`]): its reads are not of a
//! generated text.
//!
//! Inode numbers encode what they show: fixed entries below 16, process
//! entries from `procfs_pid::PID_BASE` up (their layout is there). Nothing
//! is stored: [`ProcFs`] is a unit value with no lock (`vfs::Instances`
//! hands it out without one), and each call reads the process table
//! (`ProcessTable`, `Process`, `FdTable` locks, in order) and the kernel's
//! counters. A reader holds at most a file's position lock (`File`), which
//! ranks before all of those. Everything that would modify procfs is
//! refused with Linux's errors.

use super::dev::{CharDevice, Readiness};
use super::procfs_pid::{self as pidfs, PidNode, PID_BASE};
use crate::sched::pollee::Pollee;
use crate::user::process;
use alloc::format;
use alloc::sync::Arc;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::Ordering;
use mello_abi::Errno;
use vfs::{Cred, DirEntry, FileType, Filesystem, Ino, SetAttr, Stat, Timespec, S_IFDIR, S_IFLNK, S_IFREG};

pub const ROOT_INO: Ino = 1;
const SELF: Ino = 2;
const MEMINFO: Ino = 3;
const UPTIME: Ino = 4;
const MOUNTS: Ino = 5;
const VERSION: Ino = 6;
const MELLOS: Ino = 7;
const METRICS: Ino = 8;
const KMSG: Ino = 9;

/// Root entries after `.` and `..` (cookies 2..), then processes.
const ROOT_FILES: &[(&[u8], Ino)] =
    &[(b"self", SELF), (b"meminfo", MEMINFO), (b"uptime", UPTIME), (b"mounts", MOUNTS), (b"version", VERSION), (b"mellos", MELLOS), (b"kmsg", KMSG)];
/// Cookies at or above this list processes (cookie - PID_COOKIE = pid).
const PID_COOKIE: u64 = 1 << 20;

/// The procfs instance (stateless).
pub struct ProcFs;

/// What an inode number stands for.
enum Node {
    Root,
    Fixed(Ino),
    Pid(PidNode),
}

fn decode(ino: Ino) -> Result<Node, Errno> {
    match ino {
        ROOT_INO => Ok(Node::Root),
        SELF..=KMSG => Ok(Node::Fixed(ino)),
        _ if ino >= PID_BASE => pidfs::decode(ino).map(Node::Pid),
        _ => Err(Errno::ENOENT),
    }
}

/// The device behind a procfs file whose reads are not a generated text:
/// `/proc/kmsg`.
pub fn special(fs: vfs::FsId, ino: Ino) -> Option<Arc<dyn CharDevice>> {
    (fs == super::mounts::PROC_FS && ino == KMSG).then(|| Arc::new(KernelLog) as Arc<dyn CharDevice>)
}

/// `/proc/kmsg`'s reads: the kernel log's unread records, consumed
/// (`kmsg::read_unread`); it cannot be written (`EINVAL`, as a Linux file
/// without a write operation).
pub struct KernelLog;

impl CharDevice for KernelLog {
    fn read(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        crate::kmsg::read_unread(buf, nonblock)
    }

    fn write(&self, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn poll(&self) -> Readiness {
        Readiness { readable: crate::kmsg::has_unread(), writable: false, hangup: false }
    }

    fn pollee(&self) -> Option<&Pollee> {
        Some(crate::kmsg::pollee())
    }
}

fn boot_time() -> Timespec {
    Timespec::default()
}

/// The text of a file inode.
fn generate(ino: Ino) -> Result<Vec<u8>, Errno> {
    let mut s = String::new();
    match decode(ino)? {
        Node::Fixed(MEMINFO) => {
            let kb = |frames: usize| frames * 4;
            let total = kb(crate::mm::pmm::total_usable_frames());
            let free = kb(crate::mm::pmm::free_frames());
            // Linux's meanings: mapped kernel stacks (live and cached here),
            // user page tables.
            let stacks = crate::mm::kstack::slots_in_use() * crate::config::KERNEL_STACK_SIZE / 1024;
            let tables = kb(crate::mm::address_space::table_frames());
            let rows = [("MemTotal", total), ("MemFree", free), ("MemAvailable", free), ("KernelStack", stacks), ("PageTables", tables)];
            for (name, v) in rows {
                let _ = writeln!(s, "{:<16}{:>8} kB", format!("{}:", name), v);
            }
        }
        Node::Fixed(UPTIME) => {
            let us = crate::arch::time::now_us();
            // No idle-time accounting yet: the second field (idle seconds
            // summed over CPUs) is reported as 0.
            let _ = writeln!(s, "{}.{:02} 0.00", us / 1_000_000, us % 1_000_000 / 10_000);
        }
        Node::Fixed(MOUNTS) => {
            for (dev, at, ty) in super::mounts::mount_list() {
                let opts = if ty == "rootfs" { "rw" } else { "rw,relatime" };
                let _ = writeln!(s, "{} {} {} {} 0 0", dev, String::from_utf8_lossy(&at), ty, opts);
            }
        }
        Node::Fixed(VERSION) => {
            let _ = writeln!(s, "MelloOS version {} (mellos@localhost) (rustc) #1 SMP", env!("CARGO_PKG_VERSION"));
        }
        Node::Fixed(METRICS) => {
            let m = &crate::metrics::METRICS;
            let get = |c: &core::sync::atomic::AtomicUsize| c.load(Ordering::Relaxed);
            for (name, v) in [
                ("ctx_switches", get(&m.ctx_switches)),
                ("preemptions", get(&m.preemptions)),
                ("migrations", get(&m.migrations)),
                ("steals", get(&m.steals)),
                ("timer_ticks", get(&m.timer_ticks)),
                ("sleeps", get(&m.sleep_count)),
                ("wakes", get(&m.wake_count)),
                ("ipc_sends", get(&m.ipc_sends)),
                ("ipc_recvs", get(&m.ipc_recvs)),
                ("ipc_queue_full", get(&m.ipc_queue_full)),
            ] {
                let _ = writeln!(s, "{} {}", name, v);
            }
            for (i, c) in m.syscall_count.iter().enumerate() {
                let _ = writeln!(s, "syscall.{} {}", mello_abi::nr::name(i).unwrap_or("?"), get(c));
            }
            // Resources, for leak checks (the fuzzer compares them with a baseline).
            let (heap_free, _) = crate::mm::heap::stats();
            for (name, v) in [
                ("res.free_frames", crate::mm::pmm::free_frames() + crate::mm::kstack::cached_frames()),
                ("res.kernel_tables", crate::mm::kernel_space::runtime_tables()),
                ("res.heap_free", heap_free),
                ("res.large_frames", crate::mm::heap::large_frames()),
                ("res.kstacks", crate::mm::kstack::live_stacks()),
                ("res.open_files", super::file::live_count()),
                ("res.processes", process::pids().len()),
                ("res.inodes", super::mounts::inode_count()),
            ] {
                let _ = writeln!(s, "{} {}", name, v);
            }
        }
        Node::Pid(PidNode::File(pid, off)) => return pidfs::generate(pid, off),
        _ => return Err(Errno::EISDIR),
    }
    Ok(s.into_bytes())
}

impl Filesystem for ProcFs {
    fn root(&self) -> Ino {
        ROOT_INO
    }

    fn lookup(&mut self, dir: Ino, name: &[u8]) -> vfs::Result<Ino> {
        if name.len() > vfs::NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let table: &[(&[u8], Ino)] = match decode(dir)? {
            Node::Root => {
                if name == b"." || name == b".." {
                    return Ok(ROOT_INO);
                }
                if let Some(pid) = core::str::from_utf8(name).ok().and_then(|n| n.parse::<usize>().ok()) {
                    return if process::exists(pid) && !name.starts_with(b"0") { Ok(pidfs::pid_dir(pid)) } else { Err(Errno::ENOENT) };
                }
                ROOT_FILES
            }
            Node::Fixed(MELLOS) => match name {
                b"." => return Ok(MELLOS),
                b".." => return Ok(ROOT_INO),
                _ => &[(b"metrics", METRICS)],
            },
            Node::Pid(node) => return pidfs::lookup(node, name),
            _ => return Err(Errno::ENOTDIR),
        };
        table.iter().find(|(n, _)| *n == name).map(|&(_, ino)| ino).ok_or(Errno::ENOENT)
    }

    fn getattr(&mut self, ino: Ino) -> vfs::Result<Stat> {
        let (mode, nlink, size) = match decode(ino)? {
            Node::Root => (S_IFDIR | 0o555, 3 + process::pids().len() as u32, 0),
            Node::Fixed(SELF) => (S_IFLNK | 0o777, 1, 0),
            Node::Fixed(MELLOS) => (S_IFDIR | 0o555, 2, 0),
            Node::Fixed(KMSG) => (S_IFREG | 0o400, 1, 0),
            Node::Pid(node) => pidfs::attrs(node)?,
            _ => (S_IFREG | 0o444, 1, 0),
        };
        let t = boot_time();
        Ok(Stat {
            dev: vfs::makedev(0, 4),
            ino,
            mode,
            nlink,
            uid: 0,
            gid: 0,
            rdev: 0,
            size,
            blksize: 1024,
            blocks: 0,
            atime: t,
            mtime: t,
            ctime: t,
        })
    }

    fn create(&mut self, dir: Ino, _: &[u8], _: u32, _: u64, _: Cred, _: Timespec) -> vfs::Result<Ino> {
        decode(dir)?;
        Err(Errno::ENOENT)
    }

    fn mkdir(&mut self, dir: Ino, _: &[u8], _: u32, _: Cred, _: Timespec) -> vfs::Result<Ino> {
        decode(dir)?;
        Err(Errno::ENOENT)
    }

    fn symlink(&mut self, dir: Ino, _: &[u8], _: &[u8], _: Cred, _: Timespec) -> vfs::Result<Ino> {
        decode(dir)?;
        Err(Errno::ENOENT)
    }

    fn name_of(&mut self, dir: Ino, ino: Ino) -> vfs::Result<Vec<u8>> {
        match (decode(dir)?, decode(ino)?) {
            (Node::Root, Node::Pid(PidNode::Dir(pid))) => Ok(format!("{}", pid).into_bytes()),
            (Node::Pid(PidNode::Dir(_)), Node::Pid(PidNode::FdDir(_))) => Ok(b"fd".to_vec()),
            (Node::Root, Node::Fixed(MELLOS)) => Ok(b"mellos".to_vec()),
            _ => Err(Errno::ENOENT),
        }
    }

    fn readlink(&mut self, ino: Ino) -> vfs::Result<Vec<u8>> {
        match decode(ino)? {
            Node::Fixed(SELF) => Ok(format!("{}", crate::user::current_pid().ok_or(Errno::ENOENT)?).into_bytes()),
            Node::Pid(node) => pidfs::readlink(node),
            _ => Err(Errno::EINVAL),
        }
    }

    fn link(&mut self, _: Ino, _: Ino, _: &[u8], _: Timespec) -> vfs::Result<()> {
        Err(Errno::EPERM)
    }

    fn unlink(&mut self, _: Ino, _: &[u8], _: Timespec) -> vfs::Result<()> {
        Err(Errno::EPERM)
    }

    fn rmdir(&mut self, _: Ino, _: &[u8], _: Timespec) -> vfs::Result<()> {
        Err(Errno::EPERM)
    }

    fn rename(&mut self, _: Ino, _: &[u8], _: Ino, _: &[u8], _: Timespec) -> vfs::Result<()> {
        Err(Errno::EPERM)
    }

    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8], _: Timespec) -> vfs::Result<usize> {
        let text = generate(ino)?;
        let start = (offset as usize).min(text.len());
        let n = buf.len().min(text.len() - start);
        buf[..n].copy_from_slice(&text[start..start + n]);
        Ok(n)
    }

    fn write(&mut self, ino: Ino, _: u64, _: &[u8], _: Timespec) -> vfs::Result<usize> {
        match decode(ino)? {
            Node::Root | Node::Pid(PidNode::Dir(_) | PidNode::FdDir(_)) | Node::Fixed(MELLOS) => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn truncate(&mut self, _: Ino, _: u64, _: Timespec) -> vfs::Result<()> {
        Err(Errno::EPERM)
    }

    fn readdir(&mut self, dir: Ino, cookie: u64, _: Timespec) -> vfs::Result<Option<DirEntry>> {
        let node = decode(dir)?;
        let parent = match node {
            Node::Pid(n) => pidfs::parent(n),
            _ => ROOT_INO,
        };
        let entry = |ino: Ino, ftype: FileType, name: &[u8], next: u64| Some(DirEntry { ino, ftype, name: name.to_vec(), next });
        if cookie == 0 {
            return Ok(entry(dir, FileType::Directory, b".", 1));
        }
        if cookie == 1 {
            return Ok(entry(parent, FileType::Directory, b"..", 2));
        }
        let (files, at): (&[(&[u8], Ino)], Ino) = match node {
            Node::Root => (ROOT_FILES, 0),
            Node::Fixed(MELLOS) => (&[(b"metrics", METRICS)], 0),
            Node::Pid(n) => return pidfs::readdir(n, cookie),
            _ => return Err(Errno::ENOTDIR),
        };
        let i = (cookie - 2) as usize;
        if cookie < PID_COOKIE {
            if let Some(&(name, ino)) = files.get(i) {
                let ftype = match ino {
                    SELF => FileType::Symlink,
                    MELLOS => FileType::Directory,
                    _ => FileType::Regular,
                };
                return Ok(entry(at + ino, ftype, name, cookie + 1));
            }
        }
        if !matches!(node, Node::Root) {
            return Ok(None);
        }
        let from = cookie.saturating_sub(PID_COOKIE) as usize;
        Ok(process::pids().into_iter().find(|&p| p >= from).and_then(|pid| {
            entry(pidfs::pid_dir(pid), FileType::Directory, format!("{}", pid).as_bytes(), PID_COOKIE + pid as u64 + 1)
        }))
    }

    fn setattr(&mut self, ino: Ino, _: &SetAttr, _: Timespec) -> vfs::Result<Stat> {
        decode(ino)?;
        Err(Errno::EPERM)
    }

    fn pin(&mut self, ino: Ino) -> vfs::Result<()> {
        // Nothing to keep alive: entries are generated. No lock either: a
        // pin can come with a process's `FdTable` held (fork copies the
        // working directory), which ranks before the process table that
        // `decode` reads; a pid that has gone answers ENOENT when used.
        if ino == ROOT_INO || (SELF..=KMSG).contains(&ino) || pidfs::plausible(ino) { Ok(()) } else { Err(Errno::ENOENT) }
    }

    fn unpin(&mut self, _: Ino) -> vfs::Result<()> {
        Ok(())
    }
}
