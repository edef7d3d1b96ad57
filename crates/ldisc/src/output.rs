//! Output processing: `OPOST` and its companions (`ONLCR`, `OCRNL`,
//! `ONOCR`, `ONLRET`, `OLCUC`, `XTABS`) applied to program output and to
//! echoes, with the column tracking that canonical erase relies on.
//!
//! This is Linux's `do_output_char` with unlimited device room: the
//! ldisc never refuses output; the driver behind the [`Sink`] owns any
//! transmit queue (and holds it while output is stopped).
//!
//! Invariants: `column` is the terminal column the ldisc believes the cursor
//! is at (0 after `\r`, and after `\n` with `ONLCR` or `ONLRET`; +1 for each
//! printable byte except UTF-8 continuation bytes under `IUTF8`; tabs to the
//! next multiple of 8; -1, not below 0, for `\b`). `canon_column` is the
//! column where the line being edited started; tab erase measures from it.

use crate::flags::{iscntrl, is_utf8_continuation, toupper, Flags};
use crate::{LineDiscipline, Sink};
use mello_abi::termios::*;

/// A small buffer in front of a [`Sink`], so that runs of output reach the
/// driver as one `write`. Flushes on drop.
pub(crate) struct Out<'a> {
    sink: &'a mut dyn Sink,
    buf: [u8; 64],
    len: usize,
}

impl<'a> Out<'a> {
    pub fn new(sink: &'a mut dyn Sink) -> Out<'a> {
        Out { sink, buf: [0; 64], len: 0 }
    }

    pub fn push(&mut self, c: u8) {
        if self.len == self.buf.len() {
            self.flush();
        }
        self.buf[self.len] = c;
        self.len += 1;
    }

    pub fn push_all(&mut self, bytes: &[u8]) {
        for &c in bytes {
            self.push(c);
        }
    }

    pub fn flush(&mut self) {
        if self.len > 0 {
            self.sink.write(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl Drop for Out<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

impl LineDiscipline {
    /// One byte of output with `OPOST` processing (Linux `do_output_char`).
    pub(crate) fn output_char(&mut self, mut c: u8, out: &mut Out) {
        let t = self.termios;
        match c {
            b'\n' => {
                if t.o(ONLRET) {
                    self.column = 0;
                }
                if t.o(ONLCR) {
                    self.column = 0;
                    self.canon_column = 0;
                    out.push_all(b"\r\n");
                    return;
                }
                self.canon_column = self.column;
            }
            b'\r' => {
                if t.o(ONOCR) && self.column == 0 {
                    return;
                }
                if t.o(OCRNL) {
                    c = b'\n';
                    if t.o(ONLRET) {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                } else {
                    self.column = 0;
                    self.canon_column = 0;
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                self.column += spaces;
                if t.c_oflag & TABDLY == XTABS {
                    for _ in 0..spaces {
                        out.push(b' ');
                    }
                    return;
                }
            }
            8 => self.column = self.column.saturating_sub(1),
            _ => {
                if !iscntrl(c) {
                    if t.o(OLCUC) {
                        c = toupper(c);
                    }
                    if !(t.i(IUTF8) && is_utf8_continuation(c)) {
                        self.column += 1;
                    }
                }
            }
        }
        out.push(c);
    }

    /// Write program output (Linux `n_tty_write`): first any echoes still
    /// pending, then `bytes`, through output processing when `OPOST` is set
    /// and verbatim otherwise. Never blocks and always takes every byte, so
    /// it returns `bytes.len()`. Job control (`TOSTOP`, background writers)
    /// is the caller's check, before calling this.
    pub fn write(&mut self, bytes: &[u8], sink: &mut dyn Sink) -> usize {
        self.process_echoes(sink);
        if self.termios.o(OPOST) {
            let mut out = Out::new(sink);
            for &c in bytes {
                self.output_char(c, &mut out);
            }
        } else if !bytes.is_empty() {
            sink.write(bytes);
        }
        bytes.len()
    }

    /// The column the ldisc believes the cursor is at.
    pub fn column(&self) -> u32 {
        self.column
    }
}
