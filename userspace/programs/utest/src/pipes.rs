//! The file-descriptor suite, part 2: pipes (EOF, EPIPE, blocking across
//! processes, O_NONBLOCK, PIPE_BUF atomicity), devices (/dev/null,
//! /dev/zero, /dev/full, /dev/urandom, the console on fds 0-2), bad
//! pointers to the file calls, and procfs.

use crate::ensure;
use crate::files::{expect, ok};
use crate::harness::{child_status, Checks, TestResult, KERNEL_ADDR, NON_CANONICAL, UNMAPPED};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use mello::abi::nr;
use mello::fs::{self, *};
use mello::{raw, Errno};

/// EOF once the last writer closes; EPIPE once the last reader has.
pub fn pipe_eof_epipe() -> TestResult {
    let mut c = Checks::default();
    c.add((|| {
        let (r, w) = ok("pipe", fs::pipe(0))?;
        let copy = ok("dup", fs::dup(w))?;
        ok("write", mello::write(w, b"hi"))?;
        ok("close", fs::close(w))?;
        let mut buf = [0u8; 8];
        let n = fs::read(r, &mut buf);
        ensure!(n == Ok(2) && &buf[..2] == b"hi", "read: {:?}", n);
        ok("close the dup", fs::close(copy))?;
        let eof = fs::read(r, &mut buf);
        ok("close", fs::close(r))?;
        ensure!(eof == Ok(0), "read with no writer left: {:?}, want 0", eof);
        Ok(())
    })());
    c.add((|| {
        let (r, w) = ok("pipe", fs::pipe(0))?;
        ok("close", fs::close(r))?;
        let got = mello::write(w, b"x");
        ok("close", fs::close(w))?;
        expect("write with no reader", got, Errno::EPIPE)
    })());
    c.add((|| {
        // A reader blocks until the child writes, then sees EOF when the
        // child exits (its copy of the write end closes).
        let (r, w) = ok("pipe", fs::pipe(0))?;
        let pid = ok("fork", mello::process::spawn(|| {
            let _ = fs::close(r);
            let _ = mello::sleep(3);
            (mello::write(w, b"from child") != Ok(10)) as i32
        }))?;
        ok("close", fs::close(w))?;
        let mut buf = [0u8; 32];
        let n = fs::read(r, &mut buf);
        let eof = fs::read(r, &mut buf);
        let status = mello::process::wait_for(pid);
        ok("close", fs::close(r))?;
        ensure!(n == Ok(10) && &buf[..10] == b"from child", "blocking read: {:?}", n);
        ensure!(eof == Ok(0), "EOF after the child exited: {:?}", eof);
        ensure!(status == Ok(0), "child status {:?}", status);
        Ok(())
    })());
    c.finish()
}

/// O_NONBLOCK ends, the 64 KiB capacity and PIPE_BUF atomicity; a large
/// blocking write is read whole by another process.
pub fn pipe_capacity() -> TestResult {
    let mut c = Checks::default();
    c.add((|| {
        let (r, w) = ok("pipe2(O_NONBLOCK)", fs::pipe(O_NONBLOCK))?;
        let mut buf = vec![0u8; PIPE_SIZE];
        let empty = fs::read(r, &mut buf);
        let mut total = 0;
        while let Ok(n) = mello::write(w, &buf[..PIPE_BUF]) {
            total += n;
            if total > 2 * PIPE_SIZE {
                break;
            }
        }
        let full = mello::write(w, b"x");
        let n = fs::read(r, &mut buf[..100]);
        let atomic = mello::write(w, &buf[..200]); // 100 free: all or nothing
        let partial = mello::write(w, &buf[..PIPE_BUF + 1]); // > PIPE_BUF: what fits
        let _ = (fs::close(r), fs::close(w));
        expect("read of an empty O_NONBLOCK pipe", empty, Errno::EAGAIN)?;
        ensure!(total == PIPE_SIZE, "the pipe took {} bytes, want {}", total, PIPE_SIZE);
        expect("write to a full pipe", full, Errno::EAGAIN)?;
        ensure!(n == Ok(100), "read 100: {:?}", n);
        expect("200-byte (atomic) write with 100 bytes free", atomic, Errno::EAGAIN)?;
        ensure!(partial == Ok(100), "4097-byte write with 100 bytes free: {:?}, want 100", partial);
        Ok(())
    })());
    c.add((|| {
        let (r, w) = ok("pipe", fs::pipe(0))?;
        let size = 3 * PIPE_SIZE + 123;
        let pid = ok("fork", mello::process::spawn(|| {
            let _ = fs::close(r);
            let data: alloc::vec::Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let mut sent = 0;
            while sent < size {
                match mello::write(w, &data[sent..(sent + mello::limits::WRITE_MAX).min(size)]) {
                    Ok(n) => sent += n,
                    Err(_) => return 1,
                }
            }
            0
        }))?;
        ok("close", fs::close(w))?;
        let mut got = 0;
        let mut bad = None;
        let mut buf = vec![0u8; 10_000];
        loop {
            match fs::read(r, &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if bad.is_none() {
                        bad = buf[..n].iter().enumerate().find(|&(i, &b)| b != ((got + i) % 251) as u8).map(|(i, _)| got + i);
                    }
                    got += n;
                }
                Err(e) => return Err(format!("read: {:?}", e)),
            }
        }
        let status = mello::process::wait_for(pid);
        ok("close", fs::close(r))?;
        ensure!(got == size && bad.is_none(), "read {} of {} bytes (first wrong byte at {:?})", got, size, bad);
        ensure!(status == Ok(0), "writer status {:?}", status);
        Ok(())
    })());
    c.finish()
}

/// /dev/null, /dev/zero, /dev/full, the console on 0-2, urandom.
pub fn devices() -> TestResult {
    let mut c = Checks::default();
    c.add((|| {
        let null = ok("open /dev/null", fs::open(c"/dev/null", O_RDWR, 0))?;
        let zero = ok("open /dev/zero", fs::open(c"/dev/zero", O_RDWR, 0))?;
        let full = ok("open /dev/full", fs::open(c"/dev/full", O_RDWR, 0))?;
        let mut buf = [0xffu8; 100];
        let r = (fs::read(null, &mut buf), mello::write(null, b"gone"));
        let z = fs::read(zero, &mut buf);
        let zeros = buf.iter().all(|&b| b == 0);
        let zw = mello::write(zero, b"gone");
        buf.fill(0xff);
        let f = (mello::write(full, b"x"), fs::read(full, &mut buf), buf.iter().all(|&b| b == 0));
        let st = fs::fstat(null);
        let _ = (fs::close(null), fs::close(zero), fs::close(full));
        ensure!(r == (Ok(0), Ok(4)), "/dev/null read, write: {:?}", r);
        ensure!(z == Ok(100) && zeros, "/dev/zero read: {:?}, all zero: {}", z, zeros);
        ensure!(zw == Ok(4), "/dev/zero write: {:?}", zw);
        ensure!(f.0 == Err(Errno::ENOSPC), "/dev/full write: {:?}, want ENOSPC", f.0);
        ensure!(f.1 == Ok(100) && f.2, "/dev/full read: {:?}", f.1);
        let st = ok("fstat /dev/null", st)?;
        ensure!(st.mode == S_IFCHR | 0o666 && st.rdev == 0x103, "/dev/null: mode {:o} rdev {:#x}", st.mode, st.rdev);
        Ok(())
    })());
    c.add((|| {
        for (fd, what) in [(0, "stdin"), (1, "stdout"), (2, "stderr")] {
            let st = ok(what, fs::fstat(fd))?;
            ensure!(st.file_type() == S_IFCHR && st.rdev == 0x501, "{}: mode {:o} rdev {:#x}, want /dev/console 5:1", what, st.mode, st.rdev);
        }
        let flags = fs::fcntl(1, F_GETFL, 0);
        ensure!(flags == Ok((O_RDWR | O_LARGEFILE) as usize), "F_GETFL of fd 1: {:?}", flags);
        let con = ok("stat /dev/console", fs::stat(c"/dev/console"))?;
        let tty = ok("stat /dev/ttyS0", fs::stat(c"/dev/ttyS0"))?;
        ensure!(con.rdev == 0x501 && tty.rdev == 0x440, "console {:#x}, ttyS0 {:#x}", con.rdev, tty.rdev);
        Ok(())
    })());
    c.add((|| {
        let fd = ok("open /dev/urandom", fs::open(c"/dev/urandom", O_RDONLY, 0))?;
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        let n = (fs::read(fd, &mut a), fs::read(fd, &mut b));
        let _ = fs::close(fd);
        ensure!(n == (Ok(32), Ok(32)), "reads: {:?}", n);
        ensure!(a != b, "two reads of /dev/urandom returned the same 32 bytes");
        ensure!(a.iter().any(|&x| x != 0) && a.iter().collect::<alloc::collections::BTreeSet<_>>().len() > 8, "urandom bytes look constant: {:?}", a);
        let child = child_status(|| {
            let mut x = [0u8; 32];
            let fd = fs::open(c"/dev/random", O_RDONLY, 0).unwrap_or(usize::MAX);
            if fs::read(fd, &mut x) != Ok(32) || x == a || x == b { 1 } else { 0 }
        })?;
        ensure!(child == 0, "a child's /dev/random read repeated ours (or failed)");
        Ok(())
    })());
    c.finish()
}

fn call(n: usize, args: [usize; 3]) -> isize {
    // SAFETY: the calls below only read user memory, or write to memory
    // the kernel must refuse (kernel, non-canonical, unmapped addresses).
    unsafe { raw::syscall6(n, [args[0], args[1], args[2], 0, 0, 0]) }
}

/// Bad pointers to the file calls are `EFAULT`, nothing else.
pub fn fs_bad_pointers() -> TestResult {
    let mut c = Checks::default();
    let zero = ok("open", fs::open(c"/dev/zero", O_RDONLY, 0))?;
    for (name, addr) in [("null", 0), ("kernel", KERNEL_ADDR), ("non-canonical", NON_CANONICAL), ("unmapped", UNMAPPED)] {
        let e = |what: &str, got: isize| crate::harness::expect_err(&format!("{} ({} pointer)", what, name), got, Errno::EFAULT);
        c.add(e("open", call(nr::OPEN, [addr, O_RDONLY as usize, 0])));
        c.add(e("stat path", call(nr::STAT, [addr, KERNEL_ADDR, 0])));
        c.add(e("stat buffer", call(nr::STAT, [c"/".as_ptr() as usize, addr, 0])));
        c.add(e("fstat buffer", call(nr::FSTAT, [1, addr, 0])));
        c.add(e("read buffer", call(nr::READ, [zero, addr, 16])));
        c.add(e("pipe fds", call(nr::PIPE, [addr, 0, 0])));
        c.add(e("getcwd buffer", call(nr::GETCWD, [addr, 64, 0])));
        c.add(e("mkdir", call(nr::MKDIR, [addr, 0o755, 0])));
        c.add(e("readlink buffer", call(nr::READLINK, [c"/proc/self".as_ptr() as usize, addr, 16])));
    }
    let _ = fs::close(zero);
    // A failed pipe() must not leave descriptors behind.
    c.add((|| {
        let probe = ok("dup", fs::dup(0))?;
        ok("close", fs::close(probe))?;
        let again = ok("dup", fs::dup(0))?;
        ok("close", fs::close(again))?;
        ensure!(probe == again, "descriptors leaked: lowest free went from {} to {}", probe, again);
        Ok(())
    })());
    c.finish()
}

fn read_text(path: &core::ffi::CStr) -> Result<String, String> {
    let fd = ok("open", fs::open(path, O_RDONLY, 0))?;
    let mut buf = vec![0u8; 4096];
    let n = fs::read(fd, &mut buf);
    let _ = fs::close(fd);
    let n = ok("read", n)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// /proc/self, /proc/N/stat and status, meminfo, mounts, the listing.
pub fn procfs() -> TestResult {
    let mut c = Checks::default();
    let pid = mello::getpid().unwrap_or(0);
    c.add((|| {
        let mut buf = [0u8; 16];
        let link = ok("readlink /proc/self", fs::readlink(c"/proc/self", &mut buf))?;
        ensure!(link == format!("{}", pid).as_bytes(), "/proc/self -> {:?}, want {}", String::from_utf8_lossy(link), pid);
        let stat = read_text(c"/proc/self/stat")?;
        let want = format!("{} (utest) R 0 ", pid);
        ensure!(stat.starts_with(&want), "/proc/self/stat: {:?}, want it to start {:?}", stat, want);
        ensure!(stat.ends_with('\n') && stat.split(' ').count() == 52, "/proc/self/stat has {} fields", stat.split(' ').count());
        let status = read_text(c"/proc/1/status")?;
        ensure!(status.starts_with("Name:\tutest\n") && status.contains("\nPid:\t1\n"), "/proc/1/status: {:?}", status);
        let cmdline = read_text(c"/proc/self/cmdline")?;
        ensure!(cmdline.starts_with("/bin/utest\0"), "/proc/self/cmdline: {:?}", cmdline);
        Ok(())
    })());
    c.add((|| {
        let meminfo = read_text(c"/proc/meminfo")?;
        ensure!(meminfo.starts_with("MemTotal:") && meminfo.contains(" kB\nMemFree:"), "/proc/meminfo: {:?}", meminfo);
        let mounts = read_text(c"/proc/mounts")?;
        ensure!(mounts.contains("proc /proc proc ") && mounts.contains(" /dev devtmpfs "), "/proc/mounts: {:?}", mounts);
        let uptime = read_text(c"/proc/uptime")?;
        ensure!(uptime.split(' ').next().is_some_and(|t| t.contains('.')), "/proc/uptime: {:?}", uptime);
        let metrics = read_text(c"/proc/mellos/metrics")?;
        ensure!(metrics.contains("ctx_switches ") && metrics.contains("syscall.SYS_OPEN "), "/proc/mellos/metrics: {:?}", metrics);
        ensure!(read_text(c"/proc/version")?.starts_with("MelloOS version "), "/proc/version");
        Ok(())
    })());
    c.add((|| {
        let fd = ok("open /proc", fs::open(c"/proc", O_RDONLY | O_DIRECTORY, 0))?;
        let mut buf = [0u8; 2048];
        let n = fs::getdents(fd, &mut buf);
        let _ = fs::close(fd);
        let n = ok("getdents /proc", n)?;
        let names: alloc::vec::Vec<&[u8]> = dirents(&buf[..n]).map(|d| d.name).collect();
        ensure!(names.contains(&&b"self"[..]) && names.contains(&&b"1"[..]), "/proc lists {} entries, not self and 1", names.len());
        expect("/proc/999999", fs::stat(c"/proc/999999").map(|_| 0), Errno::ENOENT)?;
        expect("create in /proc", fs::open(c"/proc/new", O_CREAT | O_WRONLY, 0o644), Errno::ENOENT)
    })());
    c.finish()
}
