//! procfs's per-process entries, `/proc/N/...`: the files `stat`,
//! `status`, `cmdline` (generated text), the link `exe` (the program's
//! absolute path as `execve` resolved it), and the directory `fd` of one
//! link per open descriptor, whose text is the path the file was opened
//! by, ` (deleted)` appended once it lost its name, `pipe:[INO]` for a
//! pipe (`fs::fdpath`). Opening `/proc/N/fd/K` follows that text, so it
//! reopens the same regular file or device, as Linux does (a pipe's or a
//! deleted file's text names nothing: `ENOENT`, where Linux's magic link
//! would reach the object itself).
//!
//! Inode numbers: process `N`'s directory is `PID_BASE + N * PID_STRIDE`;
//! its entries are at small offsets from it, descriptor `K`'s link at
//! `FD_BASE + K`. A number whose process is gone is `ENOENT`, a
//! descriptor that is closed too; a zombie has no `exe` (`ENOENT`) and an
//! empty `fd`, as on Linux (its files are released at exit).
//!
//! Locking: none of its own. Reads take `ProcessTable` to find the
//! process, then `Process::files` (`FdTable`) only to clone what they
//! show, and the filesystems' locks after releasing it.

#![forbid(unsafe_code)]

use super::file::OpenFile;
use crate::user::process;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use mello_abi::Errno;
use vfs::{DirEntry, FileType, Ino, S_IFDIR, S_IFLNK, S_IFREG};

/// The first process inode; below it are procfs's fixed entries.
pub const PID_BASE: Ino = 0x1000;
/// Inode numbers per process.
const PID_STRIDE: Ino = 1 << 20;
/// Offsets of a process's entries from its directory's inode.
const P_STAT: Ino = 1;
const P_STATUS: Ino = 2;
const P_CMDLINE: Ino = 3;
const P_EXE: Ino = 4;
const P_FD: Ino = 5;
/// Descriptor `K`'s link is at offset `FD_BASE + K`.
const FD_BASE: Ino = 1 << 16;

/// A process directory's entries after `.` and `..`.
const PID_FILES: &[(&[u8], Ino)] =
    &[(b"stat", P_STAT), (b"status", P_STATUS), (b"cmdline", P_CMDLINE), (b"exe", P_EXE), (b"fd", P_FD)];

/// What a process inode stands for.
#[derive(Clone, Copy)]
pub enum PidNode {
    Dir(usize),
    /// `stat`, `status`, `cmdline`: generated text.
    File(usize, Ino),
    Exe(usize),
    FdDir(usize),
    Fd(usize, usize),
}

pub fn pid_dir(pid: usize) -> Ino {
    PID_BASE + PID_STRIDE * pid as u64
}

/// Decode an inode number at or above [`PID_BASE`].
pub fn decode(ino: Ino) -> Result<PidNode, Errno> {
    let pid = ((ino - PID_BASE) / PID_STRIDE) as usize;
    if !process::exists(pid) {
        return Err(Errno::ENOENT);
    }
    match (ino - PID_BASE) % PID_STRIDE {
        0 => Ok(PidNode::Dir(pid)),
        off @ P_STAT..=P_CMDLINE => Ok(PidNode::File(pid, off)),
        P_EXE => Ok(PidNode::Exe(pid)),
        P_FD => Ok(PidNode::FdDir(pid)),
        off if off >= FD_BASE => {
            let fd = (off - FD_BASE) as usize;
            file_of(pid, fd)?;
            Ok(PidNode::Fd(pid, fd))
        }
        _ => Err(Errno::ENOENT),
    }
}

/// Whether `ino` could be a process inode (for `pin`, which takes no lock).
pub fn plausible(ino: Ino) -> bool {
    ino >= PID_BASE
}

/// Descriptor `fd` of process `pid` (`ENOENT` if either is gone).
fn file_of(pid: usize, fd: usize) -> Result<Arc<OpenFile>, Errno> {
    let p = process::get(pid).ok_or(Errno::ENOENT)?;
    let file = p.files.lock().fds.get(fd).map_err(|_| Errno::ENOENT);
    file
}

/// A decimal name as Linux's `name_to_int` takes it: digits, no leading 0.
fn number(name: &[u8]) -> Option<usize> {
    if name.is_empty() || (name.len() > 1 && name[0] == b'0') || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    core::str::from_utf8(name).ok()?.parse().ok()
}

/// Look `name` up in a process directory or its `fd` directory.
pub fn lookup(node: PidNode, name: &[u8]) -> Result<Ino, Errno> {
    match node {
        PidNode::Dir(pid) => match name {
            b"." => Ok(pid_dir(pid)),
            b".." => Ok(super::procfs::ROOT_INO),
            _ => PID_FILES.iter().find(|(n, _)| *n == name).map(|&(_, off)| pid_dir(pid) + off).ok_or(Errno::ENOENT),
        },
        PidNode::FdDir(pid) => match name {
            b"." => Ok(pid_dir(pid) + P_FD),
            b".." => Ok(pid_dir(pid)),
            _ => {
                let fd = number(name).ok_or(Errno::ENOENT)?;
                file_of(pid, fd)?;
                Ok(pid_dir(pid) + FD_BASE + fd as u64)
            }
        },
        _ => Err(Errno::ENOTDIR),
    }
}

/// Mode, link count and size (Linux's: an fd link is `lr-x`/`l-wx`/`lrwx`
/// for the owner by its access mode, size 64).
pub fn attrs(node: PidNode) -> Result<(u32, u32, u64), Errno> {
    Ok(match node {
        PidNode::Dir(_) => (S_IFDIR | 0o555, 2, 0),
        PidNode::FdDir(_) => (S_IFDIR | 0o500, 2, 0),
        PidNode::Exe(_) => (S_IFLNK | 0o777, 1, 0),
        PidNode::Fd(pid, fd) => {
            let f = file_of(pid, fd)?;
            let mut mode = S_IFLNK;
            if f.readable() {
                mode |= 0o500;
            }
            if f.writable() {
                mode |= 0o300;
            }
            (mode, 1, 64)
        }
        PidNode::File(..) => (S_IFREG | 0o444, 1, 0),
    })
}

/// `readlink` of `exe` or a descriptor link.
pub fn readlink(node: PidNode) -> Result<Vec<u8>, Errno> {
    match node {
        PidNode::Exe(pid) => {
            let p = process::get(pid).ok_or(Errno::ENOENT)?;
            let exe = p.files.lock().exe.clone();
            let (node, path) = exe.ok_or(Errno::ENOENT)?;
            super::fdpath::with_deleted(&node, &path)
        }
        PidNode::Fd(pid, fd) => {
            let file = file_of(pid, fd)?;
            super::fdpath::link_text(&file)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The entry at `cookie` (2 and up; `.` and `..` are the caller's) of a
/// process directory or its `fd` directory.
pub fn readdir(node: PidNode, cookie: u64) -> Result<Option<DirEntry>, Errno> {
    let entry = |ino: Ino, ftype: FileType, name: &[u8], next: u64| Some(DirEntry { ino, ftype, name: name.to_vec(), next });
    match node {
        PidNode::Dir(pid) => Ok(PID_FILES.get((cookie - 2) as usize).and_then(|&(name, off)| {
            let ftype = match off {
                P_EXE => FileType::Symlink,
                P_FD => FileType::Directory,
                _ => FileType::Regular,
            };
            entry(pid_dir(pid) + off, ftype, name, cookie + 1)
        })),
        PidNode::FdDir(pid) => {
            // Cookie 2 + K: the first open descriptor at or above K.
            let from = (cookie - 2) as usize;
            let p = process::get(pid).ok_or(Errno::ENOENT)?;
            let next = p.files.lock().fds.open_fds().map(|(fd, _)| fd).find(|&fd| fd >= from);
            Ok(next.and_then(|fd| {
                entry(pid_dir(pid) + FD_BASE + fd as u64, FileType::Symlink, format!("{}", fd).as_bytes(), fd as u64 + 3)
            }))
        }
        _ => Err(Errno::ENOTDIR),
    }
}

/// The parent directory of a process directory entry (for `..` in readdir).
pub fn parent(node: PidNode) -> Ino {
    match node {
        PidNode::FdDir(pid) => pid_dir(pid),
        _ => super::procfs::ROOT_INO,
    }
}

/// The text of `stat`, `status` or `cmdline`.
pub fn generate(pid: usize, off: Ino) -> Result<Vec<u8>, Errno> {
    let p = process::info(pid).ok_or(Errno::ENOENT)?;
    let comm: String = p.name.rsplit('/').next().unwrap_or("").chars().take(15).collect();
    let (state, long) = if p.zombie { ('Z', "Z (zombie)") } else { ('R', "R (running)") };
    let mut s = String::new();
    match off {
        P_STAT => {
            let _ = write!(s, "{} ({}) {} {} 0 0 0 -1 0", p.pid, comm, state, p.ppid);
            // minflt..cstime, priority, nice, threads, itrealvalue,
            // starttime, vsize, rss, rsslim, then the rest.
            let _ = write!(s, " 0 0 0 0 0 0 0 0 20 0 1 0 0 0 0 18446744073709551615");
            for _ in 26..=52 {
                s.push_str(" 0");
            }
            s.push('\n');
        }
        P_STATUS => {
            let _ = write!(
                s,
                "Name:\t{}\nUmask:\t{:04o}\nState:\t{}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\n\
                 Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t{}\nGroups:\t\nThreads:\t1\n",
                comm, super::open::UMASK, long, p.pid, p.pid, p.ppid, p.fds.next_power_of_two().max(64)
            );
        }
        _ => return Ok(p.cmdline),
    }
    Ok(s.into_bytes())
}
