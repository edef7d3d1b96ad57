//! The file-descriptor suite, part 1: files and directories in the root
//! tmpfs (`/tmp`). Descriptor sharing after fork and dup (one offset),
//! close-on-exec across exec (checked by `utest --fdcheck`), `EMFILE` at
//! 1,024, `O_EXCL`, `O_TRUNC`, `O_APPEND`, holes, the path errors of
//! rename/unlink/rmdir/open, bad descriptors, getdents, getcwd after chdir.
//! Every expectation is what Linux answers for the same call.

use crate::ensure;
use crate::harness::{child_status, Checks, TestResult};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::CStr;
use mello::fs::{self, *};
use mello::Errno;

/// Checks that `got` failed with `want`.
pub fn expect(what: &str, got: Result<usize, Errno>, want: Errno) -> TestResult {
    ensure!(got == Err(want), "{}: expected {:?}, got {:?}", what, want, got);
    Ok(())
}

/// `f()` must succeed; its error otherwise, with `what`.
pub fn ok<T>(what: &str, got: Result<T, Errno>) -> Result<T, String> {
    got.map_err(|e| format!("{}: {:?}", what, e))
}

fn create(path: &CStr, data: &[u8]) -> Result<(), String> {
    let fd = ok("open(O_CREAT)", fs::open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644))?;
    let n = ok("write", mello::write(fd, data))?;
    ensure!(n == data.len(), "short write {} of {}", n, data.len());
    ok("close", fs::close(fd))?;
    Ok(())
}

fn read_all(path: &CStr) -> Result<Vec<u8>, String> {
    let fd = ok("open", fs::open(path, O_RDONLY, 0))?;
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = ok("read", fs::read(fd, &mut buf))?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    ok("close", fs::close(fd))?;
    Ok(out)
}

/// fork and dup share one description: one offset for all.
pub fn shared_offset() -> TestResult {
    let fd = ok("open", fs::open(c"/tmp/shared", O_CREAT | O_RDWR | O_TRUNC, 0o644))?;
    let status = child_status(|| if mello::write(fd, b"abc") == Ok(3) { 0 } else { 1 })?;
    ensure!(status == 0, "child's write failed (status {})", status);
    ensure!(mello::write(fd, b"def") == Ok(3), "parent's write failed");
    let pos = fs::lseek(fd, 0, SEEK_CUR);
    ensure!(pos == Ok(6), "offset after child's and parent's writes: {:?}, want 6", pos);
    let dup = ok("dup", fs::dup(fd))?;
    ok("lseek", fs::lseek(dup, 1, SEEK_SET))?;
    ensure!(fs::lseek(fd, 0, SEEK_CUR) == Ok(1), "dup does not share the offset");
    ok("close", fs::close(dup))?;
    ok("close", fs::close(fd))?;
    let data = read_all(c"/tmp/shared")?;
    ensure!(data == b"abcdef", "file holds {:?}, want \"abcdef\"", String::from_utf8_lossy(&data));
    ok("unlink", fs::unlink(c"/tmp/shared"))?;
    Ok(())
}

/// `utest --fdcheck A B` (after exec): exit status bit 0 = fd A open,
/// bit 1 = fd B open.
pub fn fdcheck(a: usize, b: usize) -> i32 {
    let open = |fd| fs::fcntl(fd, F_GETFD, 0).is_ok() as i32;
    open(a) | open(b) << 1
}

/// A close-on-exec descriptor is gone after exec, a plain one is not.
pub fn cloexec_across_exec() -> TestResult {
    let closing = ok("open O_CLOEXEC", fs::open(c"/dev/null", O_RDONLY | O_CLOEXEC, 0))?;
    let staying = ok("open", fs::open(c"/dev/null", O_RDONLY, 0))?;
    let flags = fs::fcntl(closing, F_GETFD, 0);
    let result = (|| {
        ensure!(flags == Ok(FD_CLOEXEC as usize), "F_GETFD of an O_CLOEXEC fd: {:?}", flags);
        let a = alloc::ffi::CString::new(format!("{}", closing)).unwrap();
        let b = alloc::ffi::CString::new(format!("{}", staying)).unwrap();
        let status = child_status(|| match mello::exec(c"/bin/utest", &[c"utest", c"--fdcheck", &a, &b]) {
            Ok(_) => 100,
            Err(e) => 100 + e as i32,
        })?;
        ensure!(status == 2, "after exec: status {} (bit 0: O_CLOEXEC fd open, bit 1: plain fd open; want 2)", status);
        Ok(())
    })();
    let _ = (fs::close(closing), fs::close(staying));
    result
}

/// Descriptors up to 1,023, then `EMFILE`; all usable again after closing.
pub fn emfile() -> TestResult {
    let mut fds = Vec::new();
    let last = loop {
        match fs::open(c"/dev/null", O_RDONLY, 0) {
            Ok(fd) => fds.push(fd),
            Err(e) => break e,
        }
        if fds.len() > 2000 {
            break Errno::EINVAL;
        }
    };
    let highest = fds.iter().copied().max();
    let dup = fs::dup(0);
    let pipe = fs::pipe(0);
    for &fd in &fds {
        let _ = fs::close(fd);
    }
    ensure!(last == Errno::EMFILE, "open past the limit: {:?}, want EMFILE", last);
    ensure!(highest == Some(OPEN_MAX - 1), "highest descriptor {:?}, want {}", highest, OPEN_MAX - 1);
    ensure!(dup == Err(Errno::EMFILE), "dup with no free descriptor: {:?}", dup);
    ensure!(pipe.is_err(), "pipe with no free descriptor: {:?}", pipe);
    let again = ok("open after closing", fs::open(c"/dev/null", O_RDONLY, 0))?;
    ok("close", fs::close(again))?;
    Ok(())
}

/// `O_CREAT|O_EXCL`, `O_TRUNC`, `O_APPEND`, and a file with a hole.
pub fn open_flags() -> TestResult {
    let mut c = Checks::default();
    let _ = fs::unlink(c"/tmp/excl");
    let fd = fs::open(c"/tmp/excl", O_CREAT | O_EXCL | O_WRONLY, 0o600);
    c.add(ok("O_EXCL on a new name", fd).map(|fd| {
        let _ = fs::close(fd);
    }));
    c.add(expect("O_EXCL on an existing file", fs::open(c"/tmp/excl", O_CREAT | O_EXCL | O_WRONLY, 0o600), Errno::EEXIST));
    c.add(expect("O_EXCL on a directory", fs::open(c"/tmp", O_CREAT | O_EXCL | O_RDONLY, 0), Errno::EEXIST));
    c.add((|| {
        create(c"/tmp/trunc", b"hello world")?;
        let fd = ok("open O_TRUNC", fs::open(c"/tmp/trunc", O_RDWR | O_TRUNC, 0))?;
        let st = ok("fstat", fs::fstat(fd))?;
        ok("close", fs::close(fd))?;
        ensure!(st.size == 0, "size after O_TRUNC: {}", st.size);
        ensure!(st.mode == S_IFREG | 0o644, "mode {:o}, want 100644 (umask 022)", st.mode);
        Ok(())
    })());
    c.add((|| {
        create(c"/tmp/append", b"12345")?;
        let fd = ok("open O_APPEND", fs::open(c"/tmp/append", O_WRONLY | O_APPEND, 0))?;
        ok("lseek", fs::lseek(fd, 0, SEEK_SET))?;
        ok("write", mello::write(fd, b"67"))?;
        let pos = fs::lseek(fd, 0, SEEK_CUR);
        ok("close", fs::close(fd))?;
        ensure!(pos == Ok(7), "position after an O_APPEND write: {:?}, want 7", pos);
        let data = read_all(c"/tmp/append")?;
        ensure!(data == b"1234567", "O_APPEND wrote at the start: {:?}", String::from_utf8_lossy(&data));
        Ok(())
    })());
    c.add((|| {
        let fd = ok("open", fs::open(c"/tmp/hole", O_CREAT | O_RDWR | O_TRUNC, 0o644))?;
        ok("lseek past the end", fs::lseek(fd, 1 << 20, SEEK_SET))?;
        ok("write", mello::write(fd, b"z"))?;
        let st = ok("fstat", fs::fstat(fd))?;
        ok("lseek", fs::lseek(fd, 4096, SEEK_SET))?;
        let mut buf = [0xffu8; 64];
        let n = ok("read in the hole", fs::read(fd, &mut buf))?;
        let end = fs::lseek(fd, -1, SEEK_END);
        let bad = fs::lseek(fd, -2, SEEK_SET);
        ok("close", fs::close(fd))?;
        ensure!(st.size == (1 << 20) + 1, "size {}", st.size);
        ensure!(st.blocks <= 8, "a hole is allocated: {} blocks", st.blocks);
        ensure!(n == 64 && buf.iter().all(|&b| b == 0), "hole reads as {:?}", &buf[..8]);
        ensure!(end == Ok(1 << 20), "SEEK_END -1: {:?}", end);
        ensure!(bad == Err(Errno::EINVAL), "seek to -2: {:?}", bad);
        Ok(())
    })());
    for p in [c"/tmp/excl", c"/tmp/trunc", c"/tmp/append", c"/tmp/hole"] {
        let _ = fs::unlink(p);
    }
    c.finish()
}

/// The errors of the path calls.
pub fn path_errors() -> TestResult {
    let mut c = Checks::default();
    let setup = (|| {
        ok("mkdir", fs::mkdir(c"/tmp/pe", 0o755))?;
        ok("mkdir", fs::mkdir(c"/tmp/pe/full", 0o755))?;
        ok("mkdir", fs::mkdir(c"/tmp/pe/empty", 0o755))?;
        create(c"/tmp/pe/full/f", b"x")?;
        create(c"/tmp/pe/file", b"y")?;
        ok("symlink", fs::symlink(c"/tmp/pe/loop2", c"/tmp/pe/loop1"))?;
        ok("symlink", fs::symlink(c"/tmp/pe/loop1", c"/tmp/pe/loop2"))
    })();
    c.add(setup.map(|_| ()));
    c.add(expect("rmdir non-empty", fs::rmdir(c"/tmp/pe/full"), Errno::ENOTEMPTY));
    c.add(expect("rmdir a file", fs::rmdir(c"/tmp/pe/file"), Errno::ENOTDIR));
    c.add(expect("unlink a directory", fs::unlink(c"/tmp/pe/empty"), Errno::EISDIR));
    c.add(expect("unlink missing", fs::unlink(c"/tmp/pe/nope"), Errno::ENOENT));
    c.add(expect("mkdir existing", fs::mkdir(c"/tmp/pe/full", 0o755), Errno::EEXIST));
    c.add(expect("open missing", fs::open(c"/tmp/pe/nope", O_RDONLY, 0), Errno::ENOENT));
    c.add(expect("open file/x", fs::open(c"/tmp/pe/file/x", O_RDONLY, 0), Errno::ENOTDIR));
    c.add(expect("open dir for writing", fs::open(c"/tmp/pe/empty", O_WRONLY, 0), Errno::EISDIR));
    c.add(expect("O_DIRECTORY on a file", fs::open(c"/tmp/pe/file", O_RDONLY | O_DIRECTORY, 0), Errno::ENOTDIR));
    c.add(expect("open a symlink loop", fs::open(c"/tmp/pe/loop1", O_RDONLY, 0), Errno::ELOOP));
    c.add(expect("O_NOFOLLOW on a symlink", fs::open(c"/tmp/pe/loop1", O_RDONLY | O_NOFOLLOW, 0), Errno::ELOOP));
    c.add(expect("rename dir over non-empty dir", fs::rename(c"/tmp/pe/empty", c"/tmp/pe/full"), Errno::ENOTEMPTY));
    c.add(expect("rename file over dir", fs::rename(c"/tmp/pe/file", c"/tmp/pe/empty"), Errno::EISDIR));
    c.add(expect("rename dir over file", fs::rename(c"/tmp/pe/empty", c"/tmp/pe/file"), Errno::ENOTDIR));
    c.add(expect("rename missing", fs::rename(c"/tmp/pe/nope", c"/tmp/pe/x"), Errno::ENOENT));
    c.add(expect("symlink over existing", fs::symlink(c"x", c"/tmp/pe/file"), Errno::EEXIST));
    let mut long = vec![b'a'; 256];
    long.splice(0..0, b"/tmp/pe/".iter().copied());
    long.push(0);
    let long = CStr::from_bytes_with_nul(&long).unwrap();
    c.add(expect("a 256-byte name", fs::open(long, O_CREAT | O_RDWR, 0o644), Errno::ENAMETOOLONG));
    let mut huge = vec![b'/'; PATH_MAX];
    huge.push(0);
    c.add(expect("a 4096-byte path", fs::stat(CStr::from_bytes_with_nul(&huge).unwrap()).map(|_| 0), Errno::ENAMETOOLONG));
    c.add((|| {
        ok("rename file", fs::rename(c"/tmp/pe/file", c"/tmp/pe/moved"))?;
        ensure!(fs::stat(c"/tmp/pe/file").map(|_| 0) == Err(Errno::ENOENT), "old name still there");
        let mut buf = [0u8; 64];
        let target = ok("readlink", fs::readlink(c"/tmp/pe/loop1", &mut buf))?;
        ensure!(target == b"/tmp/pe/loop2", "readlink: {:?}", String::from_utf8_lossy(target));
        let st = ok("lstat", fs::lstat(c"/tmp/pe/loop1"))?;
        ensure!(st.file_type() == S_IFLNK, "lstat of a symlink: mode {:o}", st.mode);
        expect("readlink of a file", fs::readlink(c"/tmp/pe/moved", &mut buf).map(|b| b.len()), Errno::EINVAL)
    })());
    for p in [c"/tmp/pe/full/f", c"/tmp/pe/moved", c"/tmp/pe/loop1", c"/tmp/pe/loop2"] {
        let _ = fs::unlink(p);
    }
    for p in [c"/tmp/pe/full", c"/tmp/pe/empty", c"/tmp/pe"] {
        let _ = fs::rmdir(p);
    }
    c.add(expect("the test directory is gone", fs::stat(c"/tmp/pe").map(|_| 0), Errno::ENOENT));
    c.finish()
}

/// Bad descriptors and wrong access modes are `EBADF`.
pub fn bad_fds() -> TestResult {
    let mut c = Checks::default();
    let mut buf = [0u8; 8];
    for fd in [77, OPEN_MAX, 5000, usize::MAX] {
        c.add(expect(&format!("read({})", fd), fs::read(fd, &mut buf), Errno::EBADF));
        c.add(expect(&format!("write({})", fd), mello::write(fd, b"x"), Errno::EBADF));
        c.add(expect(&format!("close({})", fd), fs::close(fd), Errno::EBADF));
        c.add(expect(&format!("fstat({})", fd), fs::fstat(fd).map(|_| 0), Errno::EBADF));
        c.add(expect(&format!("lseek({})", fd), fs::lseek(fd, 0, SEEK_SET), Errno::EBADF));
        c.add(expect(&format!("dup({})", fd), fs::dup(fd), Errno::EBADF));
        c.add(expect(&format!("dup2({}, 50)", fd), fs::dup2(fd, 50), Errno::EBADF));
    }
    c.add(expect("dup2(0, 1024)", fs::dup2(0, OPEN_MAX), Errno::EBADF));
    c.add((|| {
        let r = ok("open O_RDONLY", fs::open(c"/dev/zero", O_RDONLY, 0))?;
        let w = ok("open O_WRONLY", fs::open(c"/dev/null", O_WRONLY, 0))?;
        let results = (mello::write(r, b"x"), fs::read(w, &mut [0u8; 4]), fs::dup2(r, 60), fs::close(60), fs::close(60));
        let _ = (fs::close(r), fs::close(w));
        expect("write to an O_RDONLY fd", results.0, Errno::EBADF)?;
        expect("read from an O_WRONLY fd", results.1, Errno::EBADF)?;
        ensure!(results.2 == Ok(60) && results.3 == Ok(0), "dup2 to 60 then close: {:?} {:?}", results.2, results.3);
        expect("close twice", results.4, Errno::EBADF)
    })());
    c.finish()
}

/// getdents lists a directory; getcwd follows chdir.
pub fn directories() -> TestResult {
    let mut c = Checks::default();
    c.add((|| {
        ok("mkdir", fs::mkdir(c"/tmp/ls", 0o755))?;
        ok("mkdir", fs::mkdir(c"/tmp/ls/sub", 0o755))?;
        create(c"/tmp/ls/file", b"")?;
        let fd = ok("open dir", fs::open(c"/tmp/ls", O_RDONLY | O_DIRECTORY, 0))?;
        let mut buf = [0u8; 512];
        let n = ok("getdents", fs::getdents(fd, &mut buf))?;
        let end = fs::getdents(fd, &mut buf);
        let tiny = { ok("rewind", fs::lseek(fd, 0, SEEK_SET))?; fs::getdents(fd, &mut buf[..8]) };
        let read = fs::read(fd, &mut [0u8; 4]);
        ok("close", fs::close(fd))?;
        let mut names: Vec<(Vec<u8>, u8)> = dirents(&buf[..n]).map(|d| (d.name.to_vec(), d.d_type)).collect();
        names.sort();
        let want: Vec<(Vec<u8>, u8)> =
            vec![(b".".to_vec(), DT_DIR), (b"..".to_vec(), DT_DIR), (b"file".to_vec(), DT_REG), (b"sub".to_vec(), DT_DIR)];
        ensure!(names == want, "getdents listed {:?}", names.iter().map(|(n, t)| (String::from_utf8_lossy(n).into_owned(), *t)).collect::<Vec<_>>());
        ensure!(end == Ok(0), "getdents at the end: {:?}", end);
        expect("getdents into 8 bytes", tiny, Errno::EINVAL)?;
        expect("read of a directory", read, Errno::EISDIR)
    })());
    c.add((|| {
        ok("chdir", fs::chdir(c"/tmp/ls/sub"))?;
        let mut buf = [0u8; 64];
        let cwd = fs::getcwd(&mut buf).map(|p| p.to_vec());
        let rel = fs::open(c"rel", O_CREAT | O_WRONLY, 0o644);
        let up = fs::chdir(c"..");
        let cwd2 = fs::getcwd(&mut buf).map(|p| p.to_vec());
        let small = fs::getcwd(&mut buf[..4]).map(|p| p.len());
        let to_file = fs::chdir(c"file");
        ok("chdir /", fs::chdir(c"/"))?;
        ensure!(cwd.as_deref() == Ok(&b"/tmp/ls/sub"[..]), "getcwd after chdir: {:?}", cwd.map(|p| String::from_utf8_lossy(&p).into_owned()));
        let fd = ok("relative open", rel)?;
        ok("close", fs::close(fd))?;
        ok("stat of the relatively created file", fs::stat(c"/tmp/ls/sub/rel"))?;
        ok("chdir ..", up)?;
        ensure!(cwd2.as_deref() == Ok(&b"/tmp/ls"[..]), "getcwd after chdir ..: {:?}", cwd2);
        expect("getcwd into 4 bytes", small, Errno::ERANGE)?;
        expect("chdir to a file", to_file, Errno::ENOTDIR)
    })());
    let _ = fs::chdir(c"/");
    let _ = (fs::unlink(c"/tmp/ls/sub/rel"), fs::unlink(c"/tmp/ls/file"), fs::rmdir(c"/tmp/ls/sub"), fs::rmdir(c"/tmp/ls"));
    c.finish()
}
