//! One fuzzing process: its state (descriptors it knows, its seed, its
//! memory map), the single random call and the loop that mixes single calls
//! with the sequences of `seqs.rs` until its quota of calls is spent.
//!
//! Invariants that keep a worker alive whatever it calls: descriptors 0-2
//! are `/dev/null` (nothing reads the console), [`REPORT_FD`] is never an
//! argument, output buffers are `SCRATCH` or memory where any write fails,
//! blocking calls get arguments that cannot block (sleep ≤ 1 tick, pipes
//! non-blocking, `ipc_recv` only on the worker's own port after a send,
//! `wait` only with no child running), and `exit`/`exec` of a program run
//! only in forked children.

use crate::check::{self, Use};
use crate::paths::Paths;
use crate::pools::{self, Kind, Memory};
use crate::report::REPORT_FD;
use crate::rng::Rng;
use crate::say;
use alloc::vec::Vec;
use mello::abi::fs::{F_SETFL, O_ACCMODE, O_CREAT, O_NONBLOCK, O_TRUNC};
use mello::abi::nr;
use mello::raw::{self, Entry};

/// Descriptors a worker keeps open at most (then it closes some).
const MAX_FDS: usize = 48;
/// Findings a worker reports before it stops.
pub const MAX_FINDINGS: u32 = 10;

pub struct Worker {
    pub id: usize,
    pub seed: u64,
    pub rng: Rng,
    pub mem: Memory,
    pub paths: Paths,
    pub pid: usize,
    /// This worker's IPC port (only it receives there).
    pub port: usize,
    /// Descriptors it opened and has not closed (as far as it knows).
    pub fds: Vec<usize>,
    /// Recently closed ones (for use-after-close).
    pub closed: Vec<usize>,
    /// System calls made so far (sequences and children included).
    pub calls: u64,
    pub findings: u32,
    /// Percent of steps that are sequences rather than single calls.
    pub seq_pct: u64,
    /// `profile=1`: time stamp counter cycles spent per call number (32 = other).
    pub profile: Option<[u64; 32]>,
    /// `tolerant=1` (fault injection): ENOMEM/EAGAIN and what follows from
    /// them are not findings.
    pub tolerant: bool,
    /// Call numbers (bits; 63 = all others) `random_call` may draw.
    pub mask: u64,
    /// In a forked child: `exit` and `exec` of real programs allowed.
    pub child: bool,
}

impl Worker {
    /// Make a call and check its result; returns the raw result.
    pub fn call(&mut self, number: usize, args: [usize; 6], how: Use, ptr: (usize, Kind, usize)) -> isize {
        let entry = if self.rng.chance(10) { Entry::Int80 } else { Entry::Syscall };
        // SAFETY: every pointer argument is scratch memory, read-only
        // data, the dead top of the stack or an address where nothing is
        // mapped (see `pools`), so whatever the kernel writes cannot break
        // this program; descriptors and lifetime effects are restricted as
        // the module doc says.
        let t0 = mello::cpu::rdtsc();
        let ret = unsafe { raw::call(entry, number, &args) };
        if let Some(p) = self.profile.as_mut() {
            p[number.min(31)] += mello::cpu::rdtsc() - t0;
        }
        self.calls += 1;
        if let Some(why) = check::verdict(number, ret, how, ptr) {
            self.finding(number, &args, ret, why);
        }
        ret
    }

    /// Report a wrong result.
    pub fn finding(&mut self, number: usize, args: &[usize; 6], ret: isize, why: &str) {
        // Under fault injection any allocating call may fail (and a
        // sequence's later steps with it): only what no out-of-memory
        // condition excuses still counts.
        let excusable = !why.contains("pointer") && !why.starts_with("not an errno") && !why.starts_with("unknown call");
        if self.tolerant && (excusable || ret == mello::Errno::ENOMEM.as_ret() || ret == mello::Errno::EAGAIN.as_ret()) {
            return;
        }
        self.findings += 1;
        if self.findings <= MAX_FINDINGS {
            let name = nr::name(number).unwrap_or("unknown");
            say!(
                "FINDING seed={} worker={} call={} pid={}: {}({:#x}) {:x?} = {} ({}): {}",
                self.seed,
                self.id,
                self.calls,
                self.pid,
                name,
                number,
                args,
                ret,
                errname(ret),
                why
            );
        }
    }

    /// A descriptor argument: known, closed, standard or out of range.
    pub fn fd(&mut self) -> usize {
        let r = &mut self.rng;
        let fd = match r.below(10) {
            0..=5 if !self.fds.is_empty() => self.fds[r.below(self.fds.len() as u64) as usize],
            6 if !self.closed.is_empty() => self.closed[r.below(self.closed.len() as u64) as usize],
            7 => r.below(3) as usize,
            8 => r.pick(&[1023usize, 1024, 1025, 4096, 65536, i32::MAX as usize, usize::MAX, (-100isize) as usize]),
            _ => r.below(64) as usize,
        };
        if fd == REPORT_FD { fd + 1 } else { fd }
    }

    /// Remember a descriptor the kernel just returned.
    pub fn opened(&mut self, fd: isize) {
        if fd >= 0 {
            let fd = fd as usize;
            if fd >= mello::abi::fs::OPEN_MAX || fd == REPORT_FD {
                self.finding(nr::DUP, &[0; 6], fd as isize, "descriptor out of range or the report fd");
                return;
            }
            self.closed.retain(|&c| c != fd);
            if !self.fds.contains(&fd) {
                self.fds.push(fd);
            }
        }
    }

    pub fn forget(&mut self, fd: usize) {
        self.fds.retain(|&f| f != fd);
        if self.closed.len() >= 16 {
            self.closed.remove(0);
        }
        self.closed.push(fd);
    }

    /// Close descriptors until at most `keep` remain.
    pub fn trim_fds(&mut self, keep: usize) {
        while self.fds.len() > keep {
            let fd = self.fds[0];
            self.call(nr::CLOSE, [fd, 0, 0, 0, 0, 0], Use::None, (0, Kind::Valid, 0));
            self.forget(fd);
        }
    }

    /// One random call with boundary arguments.
    pub fn random_call(&mut self) {
        let number = match self.rng.below(40) {
            // The file and process calls and futex; not thread_spawn or
            // thread_exit: a random entry point would kill the worker.
            0..=33 => self.rng.below(nr::THREAD_SPAWN as u64) as usize,
            34 => nr::FUTEX,
            35 => nr::COUNT + self.rng.below(40) as usize,
            36 => self.rng.pick(&[255usize, 256, 511, 512, 1000, 4095, 65535, usize::MAX, 1 << 63, (1 << 32) | 77]),
            _ => self.rng.pick(&[nr::READ, nr::WRITE, nr::OPEN, nr::CLOSE, nr::DUP2, nr::FSTAT]),
        };
        if self.mask & (1u64 << number.min(63)) == 0 {
            return;
        }
        let mem = self.mem;
        let none = (0, Kind::Valid, 0);
        let int = |r: &mut Rng| pools::int(r) as usize;
        let x = int(&mut self.rng);
        match number {
            nr::EXIT | nr::FORK | nr::EXEC | nr::IPC_RECV => crate::seqs::lethal(self, number),
            nr::SLEEP => {
                // Mostly 0 (a yield); a tick costs 10 ms, most of a run's time.
                let ticks = if self.rng.chance(3) { 1 } else { 0 };
                self.call(number, [ticks, 0, 0, 0, 0, 0], Use::None, none);
            }
            nr::WRITE | nr::READ | nr::GETDENTS => {
                let fd = self.fd();
                let (buf, len, kind) = mem.buffer(&mut self.rng);
                let how = if number == nr::WRITE { Use::Input } else { Use::OutputCount };
                self.call(number, [fd, buf, len, x, 0, 0], how, (buf, kind, len));
            }
            nr::IPC_SEND => {
                let port = self.rng.pick(&[0usize, 1, 7, 255, 256, 1000, usize::MAX, self.port]);
                let (buf, len, kind) = mem.buffer(&mut self.rng);
                self.call(number, [port, buf, len, 0, 0, 0], Use::Input, (buf, kind, len));
            }
            nr::WAIT => {
                let pid = self.rng.pick(&[usize::MAX, 0, 1, self.pid, 99999, (-2isize) as usize, i32::MIN as usize]);
                let (buf, kind) = self.fixed_buffer(4);
                self.call(number, [pid, buf, 0, 0, 0, 0], Use::None, (buf, kind, 4));
            }
            nr::OPEN => {
                let (path, kind) = self.paths.any(&mut self.rng, &mem);
                let mut flags = int(&mut self.rng) as u32;
                if !self.paths.is_own(path) && kind == Kind::Valid {
                    // Creating or truncating outside the worker's directory
                    // would leave state behind (devfs takes new files).
                    flags &= !(O_CREAT | O_TRUNC);
                    if !self.may_write(path, kind) {
                        flags &= !O_ACCMODE;
                    }
                }
                let fd = self.call(number, [path, flags as usize, x, 0, 0, 0], Use::Path, (path, kind, 1));
                self.opened(fd);
            }
            nr::CLOSE => {
                let fd = self.fd();
                if self.call(number, [fd, 0, 0, 0, 0, 0], Use::None, none) == 0 {
                    self.forget(fd);
                }
            }
            nr::LSEEK => {
                let fd = self.fd();
                let whence = self.rng.pick(&[0usize, 1, 2, 3, 4, usize::MAX]);
                self.call(number, [fd, x, whence, 0, 0, 0], Use::None, none);
            }
            nr::STAT | nr::LSTAT | nr::READLINK => {
                let (path, pkind) = self.paths.any(&mut self.rng, &mem);
                let (mut buf, mut len, mut kind) = mem.buffer(&mut self.rng);
                if number != nr::READLINK {
                    ((buf, kind), len) = (self.fixed_buffer(144), 144);
                }
                let ret = self.call(number, [path, buf, len, 0, 0, 0], Use::Path, (path, pkind, 1));
                let how = if number == nr::READLINK { Use::OutputCount } else { Use::OutputFixed };
                if ret >= 0 {
                    self.recheck(number, ret, how, (buf, kind, len));
                }
            }
            nr::FSTAT => {
                let fd = self.fd();
                let (buf, kind) = self.fixed_buffer(144);
                self.call(number, [fd, buf, 0, 0, 0, 0], Use::OutputFixed, (buf, kind, 144));
            }
            nr::DUP => {
                let fd = self.fd();
                let new = self.call(number, [fd, 0, 0, 0, 0, 0], Use::None, none);
                self.opened(new);
            }
            nr::DUP2 => {
                let (old, new) = (self.fd(), self.fd());
                let ret = self.call(number, [old, new, 0, 0, 0, 0], Use::None, none);
                if ret >= 0 && ret as usize != new {
                    self.finding(number, &[old, new, 0, 0, 0, 0], ret, "dup2 returned another descriptor");
                }
                self.opened(ret);
            }
            nr::PIPE => {
                crate::seqs::pipe(self, None);
            }
            nr::MKDIR | nr::UNLINK | nr::RMDIR | nr::CHDIR => {
                let (path, kind) =
                    if number == nr::CHDIR { self.paths.any(&mut self.rng, &mem) } else { self.paths.writable(&mut self.rng, &mem) };
                self.call(number, [path, x, 0, 0, 0, 0], Use::Path, (path, kind, 1));
            }
            nr::RENAME | nr::SYMLINK => {
                let (a, akind) =
                    if number == nr::SYMLINK { self.paths.target(&mut self.rng, &mem) } else { self.paths.writable(&mut self.rng, &mem) };
                let (b, bkind) = self.paths.writable(&mut self.rng, &mem);
                let worst = if akind == Kind::Bad { (a, akind, 1) } else { (b, bkind, 1) };
                self.call(number, [a, b, 0, 0, 0, 0], Use::Path, worst);
            }
            nr::GETCWD => {
                let (buf, len, kind) = mem.buffer(&mut self.rng);
                self.call(number, [buf, len, 0, 0, 0, 0], Use::OutputCount, (buf, kind, len));
            }
            nr::FCNTL => {
                let fd = self.fd();
                let cmd = self.rng.pick(&[0usize, 1, 2, 3, 4, 5, 1030, 1031, 9999, usize::MAX]);
                let mut arg = int(&mut self.rng);
                if cmd == F_SETFL as usize {
                    arg |= O_NONBLOCK as usize; // a pipe must never turn blocking
                }
                let ret = self.call(number, [fd, cmd, arg, 0, 0, 0], Use::None, none);
                if cmd == 0 || cmd == 1030 {
                    self.opened(ret);
                }
            }
            nr::IOCTL => {
                let fd = self.fd();
                let cmd = self.rng.pick(&[0x5401usize, 0x5402, 0x5403, 0x5413, 0x541B, 0x540F, 0x5410, 0, usize::MAX]);
                let (buf, len, kind) = mem.buffer(&mut self.rng);
                let buf = if kind == Kind::Valid && len < 64 { pools::scratch() } else { buf };
                self.call(number, [fd, cmd, buf, 0, 0, 0], Use::None, (buf, kind, len));
            }
            nr::FUTEX => {
                // Never an untimed wait: nobody would wake it.
                let (addr, _, kind) = mem.buffer(&mut self.rng);
                let op = self.rng.pick(&[0usize, 0, 1, 2, usize::MAX]);
                let val = if self.rng.chance(2) { 0 } else { x };
                let timeout = self.rng.pick(&[1usize, 1000, 20_000_000]);
                let ret = self.call(number, [addr, op, val, timeout, 0, 0], Use::None, none);
                // A wait that got past the word's read through a bad pointer.
                let read = [0, mello::Errno::EAGAIN.as_ret(), mello::Errno::ETIMEDOUT.as_ret()].contains(&ret);
                if kind == Kind::Bad && op == 0 && addr % 4 == 0 && val <= u32::MAX as usize && read {
                    self.finding(number, &[addr, op, val, timeout, 0, 0], ret, "futex wait read a bad pointer");
                }
            }
            nr::GETPID => {
                let ret = self.call(number, [0; 6], Use::None, none);
                if ret as usize != self.pid {
                    self.finding(number, &[0; 6], ret, "getpid is not the pid fork returned");
                }
            }
            _ => {
                let args = core::array::from_fn(|_| int(&mut self.rng));
                self.call(number, args, Use::None, none);
            }
        }
    }

    /// A pointer for an output of `size` bytes that the call does not
    /// bound by a length (stat's 144, pipe's 8, wait's 4): a `Valid` one
    /// has room for the whole structure.
    pub fn fixed_buffer(&mut self, size: usize) -> (usize, Kind) {
        let (buf, _, kind) = self.mem.buffer(&mut self.rng);
        if kind == Kind::Valid {
            let off = self.rng.below((pools::SCRATCH_SIZE - size) as u64) as usize;
            (pools::scratch() + off, kind)
        } else {
            (buf, kind)
        }
    }

    /// A second look at a successful call whose output pointer the first
    /// check did not cover.
    fn recheck(&mut self, number: usize, ret: isize, how: Use, ptr: (usize, Kind, usize)) {
        if let Some(why) = check::verdict(number, ret, how, ptr) {
            self.finding(number, &[ptr.0, ptr.2, 0, 0, 0, 0], ret, why);
        }
    }

    /// Whether an open of `path` may write or create (own files, devices,
    /// procfs): never the programs or other files of the root.
    fn may_write(&self, path: usize, kind: Kind) -> bool {
        if kind != Kind::Valid || self.paths.is_own(path) {
            return true;
        }
        // SAFETY: a `Valid` path is one of the pools' NUL-terminated strings.
        let s = unsafe { core::ffi::CStr::from_ptr(path as *const core::ffi::c_char) }.to_bytes();
        s.starts_with(b"/dev/") || s.starts_with(b"/proc/")
    }

    /// Spend `quota` calls.
    pub fn run(&mut self, quota: u64) {
        let report_every = if self.profile.is_some() { 5_000 } else { 100_000 };
        let mut next_report = report_every;
        while self.calls < quota && self.findings < MAX_FINDINGS {
            if self.rng.chance(self.seq_pct) {
                crate::seqs::random_sequence(self);
            } else {
                self.random_call();
            }
            if self.fds.len() > MAX_FDS {
                self.trim_fds(MAX_FDS / 2);
            }
            if !self.child && self.calls >= next_report {
                say!("worker {}: {} calls", self.id, self.calls);
                if let Some(p) = &self.profile {
                    let total: u64 = p.iter().sum();
                    for (n, c) in p.iter().enumerate().filter(|(_, c)| **c * 50 > total) {
                        say!("  profile: {} {}%", nr::name(n).unwrap_or("other"), c * 100 / total.max(1));
                    }
                }
                next_report += report_every;
            }
        }
    }
}

/// The errno name of a negative result (or "ok").
pub fn errname(ret: isize) -> &'static str {
    if ret >= 0 {
        return "ok";
    }
    i32::try_from(-ret).ok().and_then(mello::Errno::from_raw).map_or("?", |e| e.name())
}
