//! One terminal: Linux's n_tty line discipline (the `ldisc` crate) between
//! an input device and the tasks that read and write it.
//!
//! * Input: a driver's interrupt handler calls [`Terminal::receive`] with
//!   the bytes it read. They go through the line discipline (editing, echo,
//!   signal characters); what it cannot take yet (a full queue) waits, in
//!   order, in a backlog that is offered again after every read and termios
//!   change. Readers are woken through the terminal's [`Pollee`].
//! * Reading: [`Terminal::read`] is ldisc's `begin_read`/`read_step` loop.
//!   Waiting for input is a non-blocking attempt run through
//!   `pollee::wait_until`; a `VTIME` timer is a deadline in scheduler ticks,
//!   checked every tick while the reader sleeps (the scheduler has no timed
//!   pollee wait yet), so input during a timed wait is seen within a tick.
//! * Output: echoes and [`Terminal::write`] bytes (after `OPOST`) go to the
//!   terminal's output function. While output is stopped (`^S`, `TCOOFF`)
//!   they are held, up to [`HELD_MAX`] bytes, and sent on restart; writers
//!   wait (or get `EAGAIN`) until then.
//! * Signals: a signal character makes the ldisc raise `SIGINT`/`SIGQUIT`/
//!   `SIGTSTP`; the terminal collects them while locked and hands them to
//!   the signal hook (`tty::set_signal_hook`) after unlocking, since the
//!   process layer's locks rank above the terminal's.
//!
//! Locking: `state` (an `IrqSpinLock`, level `Terminal`) guards the ldisc,
//! the backlog, the held output and the counters. Interrupt handlers take
//! it too, so it is held only for bounded work: a read step, one input
//! batch, one output chunk of [`WRITE_CHUNK`] bytes. Under it: the heap
//! (ldisc's echo queue), console output (level `Console`). The pollee is
//! notified and signals are delivered after it is released.
//!
//! Input, `read` and `write` are in `terminal/read_write.rs`.

#![forbid(unsafe_code)]

mod read_write;

use crate::config::SCHED_HZ;
use crate::sched::pollee::Pollee;
use crate::sync::{IrqSpinLock, LockLevel};
use alloc::collections::VecDeque;
use ldisc::{LineDiscipline, Signal, Sink, Termios, WinSize};
use mello_abi::Errno;

/// Input bytes kept while the ldisc's queue is full; beyond this they are
/// dropped and counted as overruns (a UART would overrun too).
pub const BACKLOG_MAX: usize = 4096;
/// Output bytes held while output is stopped; beyond this echoes are dropped.
pub const HELD_MAX: usize = 4096;
/// Bytes of a write processed per lock hold.
pub const WRITE_CHUNK: usize = 256;
/// Signals collected in one locked section (more of the same kind coalesce,
/// as pending signals do).
const MAX_SIGNALS: usize = 4;

/// Where a terminal's output goes (already output-processed bytes).
pub type Output = fn(&[u8]);

/// Byte counts of a terminal since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Input bytes received from the device.
    pub rx: u64,
    /// Output bytes sent to the device (echoes and writes).
    pub tx: u64,
    /// Input bytes dropped because the backlog was full.
    pub overruns: u64,
    /// Output bytes dropped because output was stopped and the hold full.
    pub output_dropped: u64,
}

/// The terminal's side of the ldisc's effects: the device output, the
/// held output while stopped, and the signals to deliver after unlocking.
struct Io {
    output: Output,
    stopped: bool,
    held: VecDeque<u8>,
    signals: [Option<Signal>; MAX_SIGNALS],
    stats: Stats,
}

impl Io {
    fn send(&mut self, bytes: &[u8]) {
        (self.output)(bytes);
        self.stats.tx += bytes.len() as u64;
    }

    fn take_signals(&mut self) -> [Option<Signal>; MAX_SIGNALS] {
        core::mem::take(&mut self.signals)
    }
}

impl Sink for Io {
    fn write(&mut self, bytes: &[u8]) {
        if !self.stopped {
            self.send(bytes);
            return;
        }
        let room = HELD_MAX - self.held.len();
        let n = bytes.len().min(room);
        self.held.extend(&bytes[..n]);
        self.stats.output_dropped += (bytes.len() - n) as u64;
    }

    fn signal(&mut self, sig: Signal) {
        if self.signals.contains(&Some(sig)) {
            return;
        }
        if let Some(slot) = self.signals.iter_mut().find(|s| s.is_none()) {
            *slot = Some(sig);
        }
    }

    fn flush_output(&mut self) {
        self.held.clear();
    }

    fn stop(&mut self) {
        self.stopped = true;
    }

    fn start(&mut self) {
        self.stopped = false;
        let held = core::mem::take(&mut self.held);
        let (a, b) = held.as_slices();
        for part in [a, b] {
            if !part.is_empty() {
                self.send(part);
            }
        }
        // Keep the allocation for the next stop.
        self.held = held;
        self.held.clear();
    }

    fn send_xchar(&mut self, c: u8) {
        self.send(&[c]);
    }
}

struct State {
    ld: LineDiscipline,
    /// Input the ldisc refused, oldest first (offered again before new input).
    backlog: VecDeque<u8>,
    io: Io,
    /// Something changed that may let a waiting reader or writer proceed.
    wake: bool,
}

impl State {
    /// Offer the backlog to the ldisc again (after a read made room).
    fn refill(&mut self) {
        if self.backlog.is_empty() {
            return;
        }
        let taken = self.ld.receive_buf(self.backlog.make_contiguous(), &mut self.io);
        self.backlog.drain(..taken);
        self.wake |= taken > 0;
    }
}

/// One terminal (see the module comment).
pub struct Terminal {
    name: &'static str,
    state: IrqSpinLock<State>,
    pollee: Pollee,
    /// Job control (`user::jobctl`): the session this is the controlling
    /// terminal of and its foreground process group (0: none). Atomics:
    /// the input interrupt reads them to send ^C to the foreground group.
    pub session: core::sync::atomic::AtomicUsize,
    pub foreground: core::sync::atomic::AtomicUsize,
}

impl Terminal {
    /// A terminal called `name` (as in `/dev/NAME`) with Linux's default
    /// termios, writing its output with `output`.
    pub fn new(name: &'static str, output: Output) -> Terminal {
        let io = Io {
            output,
            stopped: false,
            held: VecDeque::with_capacity(HELD_MAX),
            signals: [None; MAX_SIGNALS],
            stats: Stats::default(),
        };
        let state = State { ld: LineDiscipline::new(), backlog: VecDeque::with_capacity(BACKLOG_MAX), io, wake: false };
        Terminal {
            name,
            state: IrqSpinLock::new(LockLevel::Terminal, "terminal", state),
            pollee: Pollee::new(),
            session: core::sync::atomic::AtomicUsize::new(0),
            foreground: core::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The terminal's name (`console`, `ttyS0`, `tty1`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// What a `poll` on this terminal waits on.
    pub fn pollee(&self) -> &Pollee {
        &self.pollee
    }

    /// Run `f` on the locked state, then wake waiters (if `f` set `wake`)
    /// and deliver the signals it raised, outside the lock.
    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let (r, raised, notify) = {
            let mut st = self.state.lock();
            let r = f(&mut st);
            let notify = core::mem::take(&mut st.wake);
            (r, st.io.take_signals(), notify)
        };
        if notify {
            self.pollee.notify();
        }
        for sig in raised.into_iter().flatten() {
            super::deliver_signal(self, sig);
        }
        r
    }

    /// The termios (`TCGETS`).
    pub fn termios(&self) -> Termios {
        self.state.lock().ld.termios()
    }

    /// Install a termios (`TCSETS`, `TCSETSW`; `TCSETSF` with
    /// `flush_input`). Output is never queued below the ldisc, so there is
    /// nothing for `TCSETSW` to drain first.
    pub fn set_termios(&self, t: Termios, flush_input: bool) {
        self.with_state(|st| {
            st.wake = true;
            if flush_input {
                st.backlog.clear();
            }
            st.ld.set_termios(t, flush_input, &mut st.io);
            st.refill();
        });
    }

    /// `TCFLSH`.
    pub fn tcflush(&self, queue: u32) -> Result<(), Errno> {
        self.with_state(|st| {
            st.wake = true;
            if queue != mello_abi::termios::TCOFLUSH {
                st.backlog.clear();
            }
            st.ld.tcflush(queue, &mut st.io)
        })
    }

    /// `TCXONC` (`tcflow`).
    pub fn tcflow(&self, action: u32) -> Result<(), Errno> {
        self.with_state(|st| {
            st.wake = true;
            st.ld.tcflow(action, &mut st.io)
        })
    }

    /// The window size (`TIOCGWINSZ`).
    pub fn winsize(&self) -> WinSize {
        self.state.lock().ld.winsize()
    }

    /// Set the window size (`TIOCSWINSZ`); true if it changed, when the
    /// caller sends `SIGWINCH` to the foreground process group.
    pub fn set_winsize(&self, ws: WinSize) -> bool {
        self.state.lock().ld.set_winsize(ws)
    }

    /// `POLLIN`: a read would not block (with `VMIN`/`VTIME` as `poll` sees them).
    pub fn readable(&self) -> bool {
        self.state.lock().ld.readable()
    }

    /// `POLLOUT`: a write would not wait (output is not stopped).
    pub fn writable(&self) -> bool {
        !self.state.lock().io.stopped
    }

    /// `FIONREAD`/`TIOCINQ`: bytes a read could return now.
    pub fn fionread(&self) -> usize {
        self.state.lock().ld.fionread()
    }

    /// `TIOCOUTQ`: output bytes held while output is stopped.
    pub fn output_queued(&self) -> usize {
        self.state.lock().io.held.len()
    }

    /// Byte counters.
    pub fn stats(&self) -> Stats {
        self.state.lock().io.stats
    }
}

/// Scheduler ticks in `ds` tenths of a second, rounded up.
pub fn ticks_of_deciseconds(ds: u8) -> u64 {
    (u64::from(ds) * SCHED_HZ).div_ceil(10)
}
