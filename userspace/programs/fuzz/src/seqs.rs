//! Short sequences of related calls, each checking what the calls must do
//! together (data written comes back, a closed descriptor is `EBADF`, a
//! child's status arrives, a pipe reaches end of file), and the calls that
//! could end the worker (`exit`, `exec`, `fork`), which run in children.
//!
//! A forked child continues the worker's random stream (re-seeded), makes
//! at most [`CHILD_CALLS`] calls and exits; it exits with
//! [`FINDINGS_STATUS`] if it found something, which its parent counts.

use crate::check::Use;
use crate::pools::{self, Kind};
use crate::worker::Worker;
use mello::abi::fs::{O_CLOEXEC, O_CREAT, O_NONBLOCK, O_RDWR, O_TRUNC, S_IFMT, S_IFREG};
use mello::abi::nr;

/// Calls a forked child makes before it exits.
const CHILD_CALLS: u64 = 24;
/// A child's exit status when it reported findings (random exits avoid it).
pub const FINDINGS_STATUS: i32 = 250;
/// How deep children may fork.
const MAX_DEPTH: u32 = 2;

const NONE: (usize, Kind, usize) = (0, Kind::Valid, 0);

/// One of the sequences, at random.
pub fn random_sequence(w: &mut Worker) {
    match w.rng.below(9) {
        0 | 1 => file_roundtrip(w),
        2 => pipe_fork(w),
        3 => fork_random(w),
        4 => exec_child(w),
        5 => dup_chain(w),
        6 => ipc_pair(w),
        7 => pipe_bad_write(w),
        _ => {
            pipe(w, None);
        }
    }
}

/// exit, fork, exec and ipc_recv drawn as single calls. In the worker a
/// fork (of a child that exits, or execs, or makes random calls) is one
/// draw in sixteen: forks are the slowest calls by far.
pub fn lethal(w: &mut Worker, number: usize) {
    let fork = w.rng.chance(6);
    match number {
        nr::EXIT if w.child => {
            let mut code = w.rng.next() as usize;
            if code & 0xff == FINDINGS_STATUS as usize {
                code ^= 1;
            }
            finish_child(w, Some(code));
        }
        nr::EXIT if fork => fork_exit(w),
        nr::FORK if fork || w.child => fork_random(w),
        nr::EXEC if w.child && w.rng.chance(30) => exec_true(w),
        nr::EXEC if w.child || fork => exec_bad(w),
        nr::EXEC => {
            // A path that cannot name a program: the worker survives it.
            let mem = w.mem;
            let (path, kind) = w.paths.malformed(&mut w.rng, &mem);
            let (argv, _, _) = w.mem.buffer(&mut w.rng);
            w.call(nr::EXEC, [path, argv, 0, 0, 0, 0], Use::Path, (path, kind, 1));
        }
        nr::IPC_RECV => ipc_pair(w),
        _ => {
            w.call(nr::GETPID, [0; 6], Use::None, NONE);
        }
    }
}

/// A child exits with a random code; the parent must see `code & 0xff`.
fn fork_exit(w: &mut Worker) {
    let mut code = w.rng.next() as usize;
    if code & 0xff == FINDINGS_STATUS as usize {
        code ^= 1;
    }
    let pid = w.call(nr::FORK, [0; 6], Use::None, NONE);
    if pid == 0 {
        loop {
            // SAFETY: exit ends this child; nothing runs after it.
            unsafe { mello::raw::syscall6(nr::EXIT, [code, 0, 0, 0, 0, 0]) };
        }
    }
    if pid > 0 {
        let status = reap(w, pid as usize);
        if status.is_some_and(|s| s != (code & 0xff) as i32) {
            w.finding(nr::EXIT, &[code, 0, 0, 0, 0, 0], status.unwrap_or(0) as isize, "wait reported another status than exit's");
        }
    }
}

/// Write a file, read it back, stat it, close it, use the closed fd.
fn file_roundtrip(w: &mut Worker) {
    let path = w.paths.own(w.rng.below(3) as usize).as_ptr() as usize;
    let flags = (O_CREAT | O_RDWR | O_TRUNC) as usize;
    let fd = w.call(nr::OPEN, [path, flags, 0o644, 0, 0, 0], Use::Path, (path, Kind::Valid, 1));
    if fd < 0 {
        return; // e.g. a directory or a symlink loop took the name
    }
    let fd = fd as usize;
    // The name may be a symlink to a device by now: check data only on a
    // regular file (st_mode at 24).
    let st = pools::scratch() + 40 * 1024;
    let stat_ok = w.call(nr::FSTAT, [fd, st, 0, 0, 0, 0], Use::OutputFixed, (st, Kind::Valid, 144)) == 0;
    // SAFETY: scratch holds the 144 bytes fstat just wrote.
    let mode = unsafe { core::ptr::read_unaligned((st + 24) as *const u32) };
    let regular = stat_ok && mode & S_IFMT == S_IFREG;
    let len = 1 + w.rng.below(9000) as usize;
    let src = pools::scratch();
    let dst = pools::scratch() + 16 * 1024;
    let wrote = w.call(nr::WRITE, [fd, src, len, 0, 0, 0], Use::Input, (src, Kind::Valid, len));
    if regular && wrote != len as isize {
        w.finding(nr::WRITE, &[fd, src, len, 0, 0, 0], wrote, "short write to a tmpfs file");
    }
    w.call(nr::LSEEK, [fd, 0, 0, 0, 0, 0], Use::None, NONE);
    let read = w.call(nr::READ, [fd, dst, len, 0, 0, 0], Use::OutputCount, (dst, Kind::Valid, len));
    if regular && wrote == len as isize {
        if read != wrote {
            w.finding(nr::READ, &[fd, dst, len, 0, 0, 0], read, "read back fewer bytes than written");
        } else if !same(src, dst, len) {
            w.finding(nr::READ, &[fd, dst, len, 0, 0, 0], read, "read back other bytes than written");
        }
        if w.call(nr::FSTAT, [fd, st, 0, 0, 0, 0], Use::OutputFixed, (st, Kind::Valid, 144)) == 0 {
            // SAFETY: as above.
            let size = unsafe { core::ptr::read_unaligned((st + 48) as *const i64) };
            if size != len as i64 {
                w.finding(nr::FSTAT, &[fd, st, 0, 0, 0, 0], size as isize, "st_size is not what was written");
            }
        }
    }
    w.call(nr::CLOSE, [fd, 0, 0, 0, 0, 0], Use::None, NONE);
    w.forget(fd);
    let ret = w.call(nr::READ, [fd, dst, 1, 0, 0, 0], Use::OutputCount, (dst, Kind::Valid, 1));
    if ret != mello::Errno::EBADF.as_ret() {
        w.finding(nr::READ, &[fd, dst, 1, 0, 0, 0], ret, "read on a closed descriptor is not EBADF");
    }
    if w.rng.chance(50) {
        w.call(nr::UNLINK, [path, 0, 0, 0, 0, 0], Use::Path, (path, Kind::Valid, 1));
    }
}

fn same(a: usize, b: usize, len: usize) -> bool {
    // SAFETY: both ranges lie in scratch (len < 16 KiB, offsets 0 and 16 KiB).
    (0..len).all(|i| unsafe { core::ptr::read_volatile((a + i) as *const u8) == core::ptr::read_volatile((b + i) as *const u8) })
}

/// pipe(2) with random flags (always non-blocking); returns the two ends
/// if the kernel gave them. `flags` forces exact flags.
pub fn pipe(w: &mut Worker, flags: Option<usize>) -> Option<(usize, usize)> {
    let flags = flags.unwrap_or_else(|| w.rng.pick(&[0usize, O_CLOEXEC as usize, 1, 0o777, usize::MAX]) | O_NONBLOCK as usize);
    let (buf, kind) = w.fixed_buffer(8);
    let ret = w.call(nr::PIPE, [buf, flags, 0, 0, 0, 0], Use::OutputFixed, (buf, kind, 8));
    if ret != 0 || kind != Kind::Valid {
        return None;
    }
    // SAFETY: the kernel just wrote two i32 descriptors at `buf` (scratch).
    let (r, wr) = unsafe { (core::ptr::read_unaligned(buf as *const i32), core::ptr::read_unaligned((buf + 4) as *const i32)) };
    w.opened(r as isize);
    w.opened(wr as isize);
    Some((r as usize, wr as usize))
}

/// pipe → fork → the child writes and exits → the parent reads it all,
/// then end of file.
fn pipe_fork(w: &mut Worker) {
    let Some((r, wr)) = pipe(w, Some(O_NONBLOCK as usize)) else {
        return;
    };
    let n = 1 + w.rng.below(4096) as usize;
    let src = pools::scratch();
    let pid = w.call(nr::FORK, [0; 6], Use::None, NONE);
    if pid == 0 {
        w.child = true;
        let ret = w.call(nr::WRITE, [wr, src, n, 0, 0, 0], Use::Input, (src, Kind::Valid, n));
        let code = if ret == n as isize { 7 } else { 8 };
        finish_child(w, Some(code));
    }
    w.call(nr::CLOSE, [wr, 0, 0, 0, 0, 0], Use::None, NONE);
    w.forget(wr);
    if pid > 0 {
        let status = reap(w, pid as usize);
        let dst = pools::scratch() + 8192;
        let got = w.call(nr::READ, [r, dst, 8192, 0, 0, 0], Use::OutputCount, (dst, Kind::Valid, 8192));
        if status == Some(7) && got != n as isize {
            w.finding(nr::READ, &[r, dst, 8192, 0, 0, 0], got, "the child's pipe bytes did not all arrive");
        }
        let eof = w.call(nr::READ, [r, dst, 16, 0, 0, 0], Use::OutputCount, (dst, Kind::Valid, 16));
        if eof != 0 {
            w.finding(nr::READ, &[r, dst, 16, 0, 0, 0], eof, "no end of file after every writer closed");
        }
    }
    w.call(nr::CLOSE, [r, 0, 0, 0, 0, 0], Use::None, NONE);
    w.forget(r);
}

/// Write to a pipe from an unmapped user buffer: a pipe reads its input,
/// so this must fail, and nothing may come out of the pipe.
fn pipe_bad_write(w: &mut Worker) {
    let Some((r, wr)) = pipe(w, Some(O_NONBLOCK as usize)) else {
        return;
    };
    let bad = w.rng.pick(pools::BAD);
    let len = 1 + w.rng.below(8192) as usize;
    let ret = w.call(nr::WRITE, [wr, bad, len, 0, 0, 0], Use::None, NONE);
    if ret > 0 {
        w.finding(nr::WRITE, &[wr, bad, len, 0, 0, 0], ret, "a pipe accepted bytes from a bad pointer");
    }
    let dst = pools::scratch();
    let got = w.call(nr::READ, [r, dst, 8192, 0, 0, 0], Use::OutputCount, (dst, Kind::Valid, 8192));
    if got != mello::Errno::EAGAIN.as_ret() && ret <= 0 {
        w.finding(nr::READ, &[r, dst, 8192, 0, 0, 0], got, "an empty non-blocking pipe did not say EAGAIN");
    }
    for fd in [r, wr] {
        w.call(nr::CLOSE, [fd, 0, 0, 0, 0, 0], Use::None, NONE);
        w.forget(fd);
    }
}

/// dup, dup2 onto it, close both; the closed numbers are then EBADF.
fn dup_chain(w: &mut Worker) {
    let fd = w.fd();
    let a = w.call(nr::DUP, [fd, 0, 0, 0, 0, 0], Use::None, NONE);
    if a < 0 {
        return;
    }
    let target = 900 + w.rng.below(50) as usize;
    let b = w.call(nr::DUP2, [a as usize, target, 0, 0, 0, 0], Use::None, NONE);
    if b != target as isize {
        w.finding(nr::DUP2, &[a as usize, target, 0, 0, 0, 0], b, "dup2 onto a free number failed");
    }
    for d in [a as usize, target] {
        w.call(nr::CLOSE, [d, 0, 0, 0, 0, 0], Use::None, NONE);
        let again = w.call(nr::CLOSE, [d, 0, 0, 0, 0, 0], Use::None, NONE);
        if again != mello::Errno::EBADF.as_ret() {
            w.finding(nr::CLOSE, &[d, 0, 0, 0, 0, 0], again, "closing twice is not EBADF");
        }
        w.forget(d);
    }
}

/// Send to the worker's own port, then receive there (never blocks: the
/// message, or an older one, is queued and only this worker receives).
fn ipc_pair(w: &mut Worker) {
    let msg = pools::scratch();
    let len = w.rng.below(4097) as usize;
    let sent = w.call(nr::IPC_SEND, [w.port, msg, len, 0, 0, 0], Use::Input, (msg, Kind::Valid, len));
    if sent != 0 && sent != mello::Errno::EAGAIN.as_ret() {
        return;
    }
    let (buf, blen, kind) = w.mem.buffer(&mut w.rng);
    // A bad buffer may consume the message (Linux-style: the copy fails
    // after the dequeue) or not; either way one message is spent or kept.
    w.call(nr::IPC_RECV, [w.port, buf, blen, 0, 0, 0], Use::OutputCount, (buf, kind, blen));
}

/// fork; the child makes random calls (exit and exec included) and exits.
fn fork_random(w: &mut Worker) {
    let depth = if w.child { 1 } else { 0 };
    if depth >= MAX_DEPTH - 1 && w.child && w.rng.chance(70) {
        return;
    }
    let pid = w.call(nr::FORK, [0; 6], Use::None, NONE);
    if pid == 0 {
        enter_child(w);
        let until = w.calls + CHILD_CALLS;
        w.run(until);
        finish_child(w, None);
    }
    if pid > 0 {
        reap(w, pid as usize);
        w.calls += CHILD_CALLS;
    }
}

/// In a child: exec with broken arguments; the worker: the same in a child.
fn exec_bad(w: &mut Worker) {
    if !w.child {
        let pid = w.call(nr::FORK, [0; 6], Use::None, NONE);
        if pid == 0 {
            enter_child(w);
            exec_bad(w);
            finish_child(w, Some(0));
        }
        if pid > 0 {
            let status = reap(w, pid as usize);
            if status.is_some_and(|s| s != 0 && s != FINDINGS_STATUS) {
                w.finding(nr::EXEC, &[0; 6], status.unwrap_or(0) as isize, "a failed exec did not return");
            }
        }
        return;
    }
    let mem = w.mem;
    let (path, kind) = w.paths.writable(&mut w.rng, &mem);
    let (argv, _, _) = w.mem.buffer(&mut w.rng);
    w.call(nr::EXEC, [path, argv, 0, 0, 0, 0], Use::Path, (path, kind, 1));
}

/// Run /bin/true in a child: its status must be 0.
fn exec_child(w: &mut Worker) {
    let pid = w.call(nr::FORK, [0; 6], Use::None, NONE);
    if pid == 0 {
        enter_child(w);
        exec_true(w);
    }
    if pid > 0
        && let Some(s) = reap(w, pid as usize).filter(|&s| s != 0 && s != FINDINGS_STATUS)
    {
        w.finding(nr::EXEC, &[0; 6], s as isize, "/bin/true did not exit 0");
    }
}

/// exec /bin/true (with a valid argv); only returns by exiting.
fn exec_true(w: &mut Worker) -> ! {
    if w.findings > 0 {
        finish_child(w, None);
    }
    let path = c"/bin/true".as_ptr() as usize;
    let arg: [usize; 3] = [path, c"x".as_ptr() as usize, 0];
    w.call(nr::EXEC, [path, arg.as_ptr() as usize, 0, 0, 0, 0], Use::Path, (path, Kind::Valid, 1));
    finish_child(w, Some(0)) // exec failed (already checked); report 0
}

/// The child side of fork: a new stream, own pid.
fn enter_child(w: &mut Worker) {
    w.child = true;
    w.rng = w.rng.fork();
    w.pid = mello::getpid().unwrap_or(0);
}

/// Exit a child: [`FINDINGS_STATUS`] if it found something, else `code`
/// (or 0).
fn finish_child(w: &mut Worker, code: Option<usize>) -> ! {
    let code = if w.findings > 0 { FINDINGS_STATUS as usize } else { code.unwrap_or(0) };
    loop {
        w.call(nr::EXIT, [code, 0, 0, 0, 0, 0], Use::None, NONE);
    }
}

/// Wait for child `pid`; its status, after counting its findings.
fn reap(w: &mut Worker, pid: usize) -> Option<i32> {
    let st = pools::scratch() + 60 * 1024;
    let got = w.call(nr::WAIT, [pid, st, 0, 0, 0, 0], Use::None, NONE);
    if got != pid as isize {
        w.finding(nr::WAIT, &[pid, st, 0, 0, 0, 0], got, "wait did not return the child");
        return None;
    }
    // SAFETY: wait just wrote the status (an i32) into scratch.
    let status = unsafe { core::ptr::read_volatile(st as *const i32) };
    if status == FINDINGS_STATUS {
        w.findings += 1;
    }
    Some(status)
}
