//! The terminal line discipline behind MelloOS's ttys (`/dev/console`,
//! `/dev/ttyS0`, `/dev/tty1`): Linux's N_TTY, byte for byte.
//!
//! A [`LineDiscipline`] sits between a device and the processes using it.
//! Device input (COM1 bytes, PS/2 keystrokes) goes in through
//! [`receive`](LineDiscipline::receive)/[`receive_buf`](LineDiscipline::receive_buf);
//! it is input-processed (`ISTRIP`, `IGNCR`, `ICRNL`, `INLCR`, `IUCLC`),
//! may raise signals (`ISIG`) or stop/start output (`IXON`), is edited
//! into lines in canonical mode (`VERASE`, `VKILL`, `VWERASE`, `VLNEXT`,
//! `VREPRINT`, `VEOF`, `VEOL`, `VEOL2`) and echoed. Processes read it with
//! [`read`](LineDiscipline::read) or, for the full `VMIN`/`VTIME`
//! behaviour, [`begin_read`](LineDiscipline::begin_read) and
//! [`read_step`](LineDiscipline::read_step); they write with
//! [`write`](LineDiscipline::write), which applies `OPOST` processing.
//!
//! Everything the ldisc sends outward — echo and output bytes, signals for
//! the foreground process group, output flushes, flow stops and starts —
//! goes to a [`Sink`] the caller passes in, in the order Linux does it. The
//! ldisc itself never blocks and never sleeps: the caller holds the lock,
//! waits on [`input_available`](LineDiscipline::input_available), runs the
//! `VTIME` timers and does job control, sessions and process groups.
//!
//! Not implemented (Linux features outside a serial/VT console ldisc):
//! `EXTPROC` (pty packet mode), parity/framing error input, `IXOFF`
//! throttling (the caller keeps input the ldisc refuses, see
//! [`receive_buf`](LineDiscipline::receive_buf)), `FLUSHO`/`VDISCARD` and
//! `PENDIN`, and `IMAXBEL`, which Linux's n_tty does not implement either.
//!
//! Invariants: the termios and everything derived from it (`mode`) agree;
//! the input queue obeys the invariants in `queue.rs`; `stopped` is true while
//! output is stopped by `IXON` or `TCOOFF` (`tco_stopped`), and the sink
//! has been told through `stop`/`start` each time it changed.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod canon;
mod echo;
mod flags;
mod input;
mod output;
mod queue;
mod read;

use echo::EchoQueue;
use flags::{Flags, Mode};
use mello_abi::termios::*;
use mello_abi::Errno;
use queue::ReadQueue;

pub use mello_abi::termios::{Termios, WinSize};
pub use queue::N_TTY_BUF_SIZE;
pub use read::{ReadOp, ReadStep, Timer};

/// A signal the ldisc raises for the tty's foreground process group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Signal {
    /// `VINTR` (^C), or a break with `BRKINT`.
    Int = 2,
    /// `VQUIT` (^\).
    Quit = 3,
    /// `VSUSP` (^Z).
    Tstp = 20,
}

impl Signal {
    /// The Linux signal number (`SIGINT` 2, `SIGQUIT` 3, `SIGTSTP` 20).
    pub const fn number(self) -> i32 {
        self as i32
    }
}

/// Where the ldisc's effects go: the device driver and the tty layer.
pub trait Sink {
    /// Bytes to transmit to the terminal: echoes and processed output, in
    /// order. (While output is stopped the driver queues them.)
    fn write(&mut self, bytes: &[u8]);
    /// Send `sig` to the tty's foreground process group.
    fn signal(&mut self, _sig: Signal) {}
    /// Discard output queued in the driver but not yet transmitted (Linux
    /// `tty_driver_flush_buffer`, done by a signal character without
    /// `NOFLSH` and by `TCOFLUSH`).
    fn flush_output(&mut self) {}
    /// Output is now stopped (`IXON` stop character or `TCOOFF`).
    fn stop(&mut self) {}
    /// Output restarted; the driver resumes transmitting.
    fn start(&mut self) {}
    /// Transmit `c` ahead of queued output, even while stopped (Linux
    /// `tty_send_xchar`, for `TCIOFF`/`TCION`). By default an ordinary
    /// write.
    fn send_xchar(&mut self, c: u8) {
        self.write(&[c]);
    }
}

/// One terminal's line discipline state.
pub struct LineDiscipline {
    pub(crate) termios: Termios,
    winsize: WinSize,
    pub(crate) mode: Mode,
    pub(crate) q: ReadQueue,
    pub(crate) echo: EchoQueue,
    pub(crate) column: u32,
    pub(crate) canon_column: u32,
    /// The previous byte was `VLNEXT`: take the next one literally.
    pub(crate) lnext: bool,
    /// Inside an `ECHOPRT` `\...` erase sequence.
    pub(crate) erasing: bool,
    pub(crate) stopped: bool,
    pub(crate) tco_stopped: bool,
    /// Leading bytes of the refused input already scanned for START/STOP.
    pub(crate) lookahead: usize,
}

impl Default for LineDiscipline {
    fn default() -> Self {
        Self::new()
    }
}

impl LineDiscipline {
    /// A new tty with Linux's default termios (`tty_std_termios`) and a 0x0
    /// window size.
    pub fn new() -> LineDiscipline {
        Self::with_termios(TTY_STD_TERMIOS)
    }

    /// A new tty with termios `t`.
    pub fn with_termios(t: Termios) -> LineDiscipline {
        LineDiscipline {
            termios: t,
            winsize: WinSize::default(),
            mode: Mode::new(&t),
            q: ReadQueue::new(),
            echo: EchoQueue::new(),
            column: 0,
            canon_column: 0,
            lnext: false,
            erasing: false,
            stopped: false,
            tco_stopped: false,
            lookahead: 0,
        }
    }

    /// The current termios (`TCGETS`).
    pub fn termios(&self) -> Termios {
        self.termios
    }

    /// Install a new termios (`TCSETS`; `TCSETSW` after the caller drained
    /// output; `TCSETSF` with `flush_input`, which discards unread input
    /// first). Linux `n_tty_set_termios`: when `ICANON` changes, line
    /// boundaries are forgotten; switching to non-canonical mode makes all
    /// queued input, the partial line included, raw input, and switching to
    /// canonical mode makes whatever is queued one line readable at once.
    /// Clearing `IXON` while stopped restarts output.
    pub fn set_termios(&mut self, new: Termios, flush_input: bool, sink: &mut dyn Sink) {
        if flush_input {
            self.flush_input();
        }
        let old = self.termios;
        self.termios = new;
        if (old.c_lflag ^ new.c_lflag) & (ICANON | EXTPROC) != 0 {
            self.q.clear_all_eol();
            if !new.l(ICANON) || self.q.cnt() == 0 {
                self.q.canon_head = self.q.tail;
            } else {
                let last = self.q.head.wrapping_sub(1);
                self.q.set_eol(last);
                self.q.canon_head = self.q.head;
            }
            self.erasing = false;
            self.lnext = false;
        }
        self.mode = Mode::new(&new);
        if !new.i(IXON) && old.i(IXON) && !self.tco_stopped {
            self.start_tty(sink);
            self.process_echoes(sink);
        }
    }

    /// The window size (`TIOCGWINSZ`).
    pub fn winsize(&self) -> WinSize {
        self.winsize
    }

    /// Set the window size (`TIOCSWINSZ`). Returns whether it changed: if
    /// so the caller sends `SIGWINCH` to the foreground process group, as
    /// Linux's `tty_do_resize` does.
    pub fn set_winsize(&mut self, ws: WinSize) -> bool {
        let changed = ws != self.winsize;
        self.winsize = ws;
        changed
    }

    /// Discard all unread input, lines and partial line alike (Linux
    /// `n_tty_flush_buffer`, for `TCIFLUSH` and `TCSETSF`).
    pub fn flush_input(&mut self) {
        self.q.reset();
        self.erasing = false;
        self.lookahead = 0;
    }

    /// `TCFLSH`: `TCIFLUSH` discards input, `TCOFLUSH` tells the driver to
    /// discard queued output, `TCIOFLUSH` does both.
    pub fn tcflush(&mut self, queue: u32, sink: &mut dyn Sink) -> Result<(), Errno> {
        match queue {
            TCIFLUSH => self.flush_input(),
            TCOFLUSH => sink.flush_output(),
            TCIOFLUSH => {
                self.flush_input();
                sink.flush_output();
            }
            _ => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    /// `TCXONC` (`tcflow`): `TCOOFF`/`TCOON` stop and restart output (a
    /// `TCOOFF` stop is not undone by the START character); `TCIOFF`/`TCION`
    /// transmit the STOP/START character, if enabled, through
    /// [`Sink::send_xchar`].
    pub fn tcflow(&mut self, action: u32, sink: &mut dyn Sink) -> Result<(), Errno> {
        match action {
            TCOOFF => {
                if !self.tco_stopped {
                    self.tco_stopped = true;
                    self.stop_tty(sink);
                }
            }
            TCOON => {
                if self.tco_stopped {
                    self.tco_stopped = false;
                    self.start_tty(sink);
                }
            }
            TCIOFF | TCION => {
                let c = self.termios.cc(if action == TCIOFF { VSTOP } else { VSTART });
                if c != VDISABLE {
                    sink.send_xchar(c);
                }
            }
            _ => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    /// Output is stopped (by the STOP character or `TCOOFF`): the driver
    /// holds its transmit queue until `Sink::start`.
    pub fn output_stopped(&self) -> bool {
        self.stopped
    }

    /// Linux `stop_tty`.
    pub(crate) fn stop_tty(&mut self, sink: &mut dyn Sink) {
        if !self.stopped {
            self.stopped = true;
            sink.stop();
        }
    }

    /// Linux `start_tty`: no effect while a `TCOOFF` stop is in force.
    pub(crate) fn start_tty(&mut self, sink: &mut dyn Sink) {
        if self.stopped && !self.tco_stopped {
            self.stopped = false;
            sink.start();
        }
    }

    /// Output can always be written at this layer (`POLLOUT`).
    pub fn writable(&self) -> bool {
        true
    }
}
