//! Device input: the receive path of Linux's n_tty
//! (`n_tty_receive_buf_common` and the per-character functions under it),
//! except canonical editing, which is in `canon.rs`.
//!
//! Per byte, in Linux's order: `VLNEXT` literal-next; `ISTRIP`; `IUCLC`
//! (with `IEXTEN`); then, for special bytes only, `IXON` START/STOP,
//! `ISIG` signal characters, `IXANY` restart, `IGNCR`/`ICRNL`/`INLCR`,
//! canonical editing; and finally echo and queueing. Echoes are flushed at
//! the end of each batch.
//!
//! Room: like Linux, the queue takes at most 4095 bytes in non-canonical
//! mode (and with committed lines waiting in canonical mode); the rest of a
//! batch is refused and the caller offers it again once a read has made
//! room. While the line being edited is the only input, canonical mode
//! keeps accepting bytes so that erase and newline still work: past 4095
//! bytes each new byte replaces the last one, so a line holds at most 4095
//! bytes plus its terminator (Linux's overflow rule).
//!
//! Refused input must be offered again, in order, before later input: the
//! START/STOP characters in it have already been acted on (Linux's flow
//! control lookahead) and `lookahead` counts how many leading bytes of it
//! were looked at.
//!
//! Invariants: a batch is processed only up to the room computed before it
//! (recomputed per sub-batch, as Linux loops); in raw mode bytes are queued
//! untouched and nothing is echoed.

use crate::flags::{tolower, Flags};
use crate::queue::N_TTY_BUF_SIZE;
use crate::{LineDiscipline, Signal, Sink};
use mello_abi::termios::*;

impl LineDiscipline {
    /// Feed one byte of device input. Returns false if there was no room
    /// (the caller keeps the byte and offers it again after a read).
    pub fn receive(&mut self, byte: u8, sink: &mut dyn Sink) -> bool {
        self.receive_buf(&[byte], sink) == 1
    }

    /// Feed a batch of device input (Linux `n_tty_receive_buf2`); echoes
    /// are written to `sink` at the end of the batch. Returns how many
    /// bytes were taken: the rest did not fit and should be offered again,
    /// ahead of any newer input, once room is made: after a read ([`read`](LineDiscipline::read),
    /// [`read_step`](LineDiscipline::read_step)), an input flush (also by a
    /// signal character) or a termios change.
    pub fn receive_buf(&mut self, bytes: &[u8], sink: &mut dyn Sink) -> usize {
        let mut done = 0;
        while done < bytes.len() {
            let n = self.receive_room().min(bytes.len() - done);
            if n == 0 {
                break;
            }
            let batch = &bytes[done..done + n];
            let looked_at = self.lookahead.min(n);
            if self.mode.raw {
                for &c in batch {
                    self.q.put(c);
                }
            } else {
                for (k, &c) in batch.iter().enumerate() {
                    self.receive_standard(c, k < looked_at, sink);
                }
                self.flush_echoes(sink);
            }
            // (A signal flush inside the batch zeroes the count; Linux's
            // size_t subtraction would wrap there.)
            self.lookahead = self.lookahead.saturating_sub(looked_at);
            done += n;
        }
        if done < bytes.len() {
            self.lookahead_flow_ctrl(&bytes[done..], sink);
        }
        done
    }

    /// Linux `n_tty_lookahead_flow_ctrl`: input refused for lack of room
    /// still gets its START/STOP characters acted on now, so `^Q`/`^S`
    /// work while a reader is not reading. `rest` is the refused input; its
    /// first `lookahead` bytes were looked at by an earlier refusal. When
    /// the bytes are received later their START/STOP characters are
    /// consumed without acting again.
    fn lookahead_flow_ctrl(&mut self, rest: &[u8], sink: &mut dyn Sink) {
        let seen = self.lookahead.min(rest.len());
        self.lookahead = self.lookahead.max(rest.len());
        if !self.termios.i(IXON) {
            return;
        }
        for &c in &rest[seen..] {
            self.flow_ctrl(c, false, sink);
        }
    }

    /// Linux `n_tty_receive_char_flow_ctrl`: act on a START or STOP
    /// character (unless `looked_at` already did); true if `c` was one.
    fn flow_ctrl(&mut self, c: u8, looked_at: bool, sink: &mut dyn Sink) -> bool {
        let t = self.termios;
        let start = t.is(c, VSTART);
        if !start && !t.is(c, VSTOP) {
            return false;
        }
        if !looked_at {
            if start {
                self.start_tty(sink);
                self.process_echoes(sink);
            } else {
                self.stop_tty(sink);
            }
        }
        true
    }

    /// A break condition on a serial line (Linux `n_tty_receive_break`):
    /// ignored with `IGNBRK`; `SIGINT` (and a flush unless `NOFLSH`) with
    /// `BRKINT`; otherwise a 0 byte is queued, preceded by `\377 \0` with
    /// `PARMRK`. Returns false if there was no room.
    pub fn receive_break(&mut self, sink: &mut dyn Sink) -> bool {
        if self.receive_room() == 0 {
            return false;
        }
        self.lnext = false;
        let t = self.termios;
        if t.i(IGNBRK) {
        } else if t.i(BRKINT) {
            self.isig(Signal::Int, sink);
        } else {
            if t.i(PARMRK) {
                self.q.put(0xff);
                self.q.put(0);
            }
            self.q.put(0);
        }
        if !self.mode.raw {
            self.flush_echoes(sink);
        }
        true
    }

    /// How many bytes the next sub-batch may take (Linux's room loop in
    /// `n_tty_receive_buf_common`, with its canonical overflow rule).
    fn receive_room(&mut self) -> usize {
        let mut room = (N_TTY_BUF_SIZE - self.q.cnt()) as isize;
        if self.termios.i(PARMRK) {
            room = (room + 2) / 3;
        }
        room -= 1;
        if room <= 0 {
            let overflow = self.mode.icanon && self.q.canon_head == self.q.tail;
            if overflow && room < 0 {
                self.q.head = self.q.head.wrapping_sub(1);
            }
            room = isize::from(overflow);
        }
        room as usize
    }

    /// `ISTRIP` and `IUCLC` (Linux applies them before anything else).
    fn preops(&self, mut c: u8) -> u8 {
        if self.termios.i(ISTRIP) {
            c &= 0x7f;
        }
        if self.termios.i(IUCLC) && self.termios.l(IEXTEN) {
            c = tolower(c);
        }
        c
    }

    /// Linux `n_tty_receive_buf_standard`, one byte.
    fn receive_standard(&mut self, c: u8, looked_at: bool, sink: &mut dyn Sink) {
        if self.lnext {
            self.lnext = false;
            let c = self.preops(c);
            self.receive_char(c, sink);
            return;
        }
        let c = self.preops(c);
        if self.mode.special(c) {
            self.receive_special(c, looked_at, sink);
        } else {
            self.receive_char(c, sink);
        }
    }

    /// `IXANY`: any byte restarts stopped output.
    fn ixany_restart(&mut self, sink: &mut dyn Sink) {
        let t = self.termios;
        if self.stopped && !self.tco_stopped && t.i(IXON) && t.i(IXANY) {
            self.start_tty(sink);
            self.process_echoes(sink);
        }
    }

    /// Linux `n_tty_receive_char`: an ordinary byte.
    fn receive_char(&mut self, c: u8, sink: &mut dyn Sink) {
        self.ixany_restart(sink);
        if self.termios.l(ECHO) {
            self.finish_erasing();
            if self.q.canon_head == self.q.head {
                self.echo_set_canon_col();
            }
            self.echo_char(c);
            self.commit_echoes(sink);
        }
        self.queue_byte(c);
    }

    /// Queue `c`, doubling 0xff under `PARMRK`.
    fn queue_byte(&mut self, c: u8) {
        if c == 0xff && self.termios.i(PARMRK) {
            self.q.put(c);
        }
        self.q.put(c);
    }

    /// Linux `n_tty_receive_char_special`.
    fn receive_special(&mut self, mut c: u8, looked_at: bool, sink: &mut dyn Sink) {
        let t = self.termios;
        if t.i(IXON) && self.flow_ctrl(c, looked_at, sink) {
            return;
        }
        if t.l(ISIG) {
            for (idx, sig) in [(VINTR, Signal::Int), (VQUIT, Signal::Quit), (VSUSP, Signal::Tstp)] {
                if t.is(c, idx) {
                    self.signal_char(sig, c, sink);
                    return;
                }
            }
        }
        self.ixany_restart(sink);
        if c == b'\r' {
            if t.i(IGNCR) {
                return;
            }
            if t.i(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && t.i(INLCR) {
            c = b'\r';
        }
        if self.mode.icanon && self.receive_canon(c, sink) {
            return;
        }
        if t.l(ECHO) {
            self.finish_erasing();
            if c == b'\n' {
                self.echo_raw(b'\n');
            } else {
                if self.q.canon_head == self.q.head {
                    self.echo_set_canon_col();
                }
                self.echo_char(c);
            }
            self.commit_echoes(sink);
        }
        self.queue_byte(c);
    }

    /// Linux `n_tty_receive_signal_char`: signal (and flush), restart
    /// output, then echo the character.
    fn signal_char(&mut self, sig: Signal, c: u8, sink: &mut dyn Sink) {
        self.isig(sig, sink);
        if self.termios.i(IXON) {
            self.start_tty(sink);
        }
        if self.termios.l(ECHO) {
            self.echo_char(c);
            self.commit_echoes(sink);
        } else {
            self.process_echoes(sink);
        }
    }

    /// Linux `isig`: raise `sig`; unless `NOFLSH`, also drop pending echoes,
    /// the driver's queued output and all unread input.
    fn isig(&mut self, sig: Signal, sink: &mut dyn Sink) {
        sink.signal(sig);
        if !self.termios.l(NOFLSH) {
            self.echo.clear();
            sink.flush_output();
            self.flush_input();
        }
    }
}
