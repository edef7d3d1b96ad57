//! Reading: what a `read(2)` on the tty returns, when it may return, and
//! what `poll` and `FIONREAD` report (Linux `n_tty_read`,
//! `input_available_p`, `n_tty_poll`, `inq_canon`).
//!
//! Canonical mode: a read returns at most one line, up to the buffer size
//! (the rest of the line stays for the next read), terminator included
//! except for `VEOF`, which returns the pending bytes without it: 0 bytes
//! if the line was empty, which is end of file.
//!
//! Non-canonical mode, `VMIN`/`VTIME` (Linux's loop, POSIX's four cases):
//! * `VMIN > 0, VTIME = 0`: wait until `VMIN` bytes have come (or the
//!   buffer is full), return all that are there.
//! * `VMIN > 0, VTIME > 0`: wait for a first byte without limit; after each
//!   arrival an inter-byte timer of `VTIME` tenths restarts; return at
//!   `VMIN` bytes or when the timer runs out.
//! * `VMIN = 0, VTIME > 0`: wait up to `VTIME` tenths for any input;
//!   return it, or 0 on timeout.
//! * `VMIN = 0, VTIME = 0`: never wait; return what is there, maybe 0.
//!
//! The ldisc does not sleep or keep time: [`ReadOp`] carries a read across
//! the caller's sleeps, [`read_step`](LineDiscipline::read_step) says when to
//! sleep and with which timer ([`Timer`]), and the caller reports a timer
//! that ran out with [`ReadOp::expire`]. Usage:
//!
//! ```text
//! let mut op = ld.begin_read();
//! loop {
//!     match ld.read_step(&mut op, &mut kbuf) {
//!         ReadStep::Done(n) => return Ok(n),
//!         ReadStep::Wait(timer) => {
//!             if nonblocking { return if op.copied() > 0 { Ok(op.copied()) } else { Err(EAGAIN) } }
//!             match timer { Timer::None => {}, Timer::Start(ds) => deadline = now + ds * 100ms, Timer::Keep => {} }
//!             sleep until ld.input_available() || deadline passed || signal   (lock dropped)
//!             if signal { return if op.copied() > 0 { Ok(op.copied()) } else { Err(ERESTARTSYS) } }
//!             if deadline passed { op.expire() }
//!         }
//!     }
//! }
//! ```
//!
//! Invariants: `ReadOp::copied` bytes of the caller's buffer are filled;
//! `minimum` and `time` are fixed when the read begins, as in Linux, while
//! the canonical/non-canonical choice follows the termios at each step.

use crate::flags::Flags;
use crate::LineDiscipline;
use alloc::vec::Vec;
use mello_abi::termios::*;

/// The timer to sleep with when a read must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// No timeout: sleep until input arrives.
    None,
    /// Start a timer of this many tenths of a second now, replacing any
    /// earlier one; when it runs out call [`ReadOp::expire`].
    Start(u8),
    /// Keep the timer already running (the wake-up brought no input).
    Keep,
}

/// What [`LineDiscipline::read_step`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadStep {
    /// The read is over: return this many bytes (0: end of file in
    /// canonical mode, or no input in time in non-canonical mode).
    Done(usize),
    /// Sleep until [`LineDiscipline::input_available`] (or the timer), then
    /// call `read_step` again. Bytes already copied stay copied.
    Wait(Timer),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timeout {
    Infinite,
    Zero,
    Fresh(u8),
    Running,
}

/// A read in progress (the state Linux's `n_tty_read` keeps on its stack).
#[derive(Clone, Debug)]
pub struct ReadOp {
    minimum: usize,
    time: u8,
    timeout: Timeout,
    copied: usize,
}

impl ReadOp {
    /// Bytes copied into the buffer so far.
    pub fn copied(&self) -> usize {
        self.copied
    }

    /// The timer started by [`Timer::Start`] ran out.
    pub fn expire(&mut self) {
        self.timeout = Timeout::Zero;
    }
}

impl LineDiscipline {
    /// Start a read: fix `VMIN`/`VTIME` as the termios has them now.
    pub fn begin_read(&self) -> ReadOp {
        let mut op = ReadOp { minimum: 0, time: 0, timeout: Timeout::Infinite, copied: 0 };
        if !self.mode.icanon {
            let (vmin, vtime) = (self.termios.cc(VMIN), self.termios.cc(VTIME));
            if vmin > 0 {
                op.minimum = usize::from(vmin);
                op.time = vtime;
            } else {
                op.timeout = if vtime > 0 { Timeout::Fresh(vtime) } else { Timeout::Zero };
                op.minimum = 1;
            }
        }
        op
    }

    /// Advance read `op` into `buf` (the whole buffer of the read; the
    /// first `op.copied()` bytes are already filled).
    pub fn read_step(&mut self, op: &mut ReadOp, buf: &mut [u8]) -> ReadStep {
        while op.copied < buf.len() {
            if !self.input_available() {
                return match op.timeout {
                    Timeout::Zero => break,
                    Timeout::Infinite => ReadStep::Wait(Timer::None),
                    Timeout::Fresh(t) => {
                        op.timeout = Timeout::Running;
                        ReadStep::Wait(Timer::Start(t))
                    }
                    Timeout::Running => ReadStep::Wait(Timer::Keep),
                };
            }
            op.copied += self.copy_out(&mut buf[op.copied..]);
            if op.copied >= op.minimum {
                break;
            }
            if op.time > 0 {
                op.timeout = Timeout::Fresh(op.time);
            }
        }
        ReadStep::Done(op.copied)
    }

    /// Read what is available now, without waiting: `None` if the read
    /// would block, else the byte count (in canonical mode `Some(0)` is end
    /// of file). One line at most in canonical mode; in non-canonical mode
    /// everything queued, up to `buf.len()`, ignoring `VMIN`/`VTIME` (use
    /// [`begin_read`](LineDiscipline::begin_read) for those). An empty
    /// `buf` gives `Some(0)`, as `read(fd, p, 0)` does.
    pub fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        if buf.is_empty() {
            return Some(0);
        }
        if !self.input_available() {
            return None;
        }
        Some(self.copy_out(buf))
    }

    fn copy_out(&mut self, buf: &mut [u8]) -> usize {
        if self.mode.icanon {
            let zero = !self.termios.l(ECHO);
            self.q.canon_copy(buf, zero)
        } else {
            self.q.raw_copy(buf)
        }
    }

    /// A blocked read can make progress: in canonical mode a line (or
    /// end of file) is complete; otherwise at least one byte is queued.
    /// This is the condition to wake sleeping readers on.
    pub fn input_available(&self) -> bool {
        if self.mode.icanon {
            self.q.canon_head != self.q.tail
        } else {
            self.q.cnt() > 0
        }
    }

    /// `poll`/`select` readability (`POLLIN`): like
    /// [`input_available`](LineDiscipline::input_available), except that
    /// with `VTIME = 0` and `VMIN > 0` it needs `VMIN` bytes.
    pub fn readable(&self) -> bool {
        if self.mode.icanon {
            return self.input_available();
        }
        let (vmin, vtime) = (self.termios.cc(VMIN), self.termios.cc(VTIME));
        let amt = if vtime == 0 && vmin > 0 { usize::from(vmin) } else { 1 };
        self.q.cnt() >= amt
    }

    /// `FIONREAD`/`TIOCINQ`: bytes a read could return now; in canonical
    /// mode those of complete lines, not counting `VEOF` marks.
    pub fn fionread(&self) -> usize {
        if self.termios.l(ICANON) {
            self.q.inq_canon()
        } else {
            self.q.cnt()
        }
    }

    /// The line being edited (canonical mode): bytes typed since the last
    /// line was committed.
    pub fn editing_line(&self) -> Vec<u8> {
        if self.mode.icanon {
            self.q.bytes_from(self.q.canon_head).collect()
        } else {
            Vec::new()
        }
    }
}
