//! The echo queue: what the ldisc has to show for the input it received,
//! kept as operations (Linux's `echo_buf` with its `ECHO_OP_*` codes) and
//! turned into bytes only when processed, so that column-dependent work
//! (erasing a tab, recording where the line started) uses the column at
//! output time, exactly as Linux does.
//!
//! When echoes reach the sink follows Linux: a receive batch flushes them
//! at its end (`flush_echoes`); `commit_echoes` also processes them early
//! once the pending amount is a positive multiple of 256 bytes (Linux's
//! `ECHO_COMMIT_WATERMARK`/`ECHO_BLOCK` rule with unlimited device room);
//! a START character, an `IXANY` restart and `write` process everything
//! committed so far. A signal character that flushes (no `NOFLSH`) drops
//! the echoes still pending, like Linux's `isig`.
//!
//! Invariants: `bytes` is the size Linux's encoding of the queued ops would
//! take (1 per plain byte, 2 per `^X`, escaped 0xff or column op, 3 per tab
//! erase); `marked <= ops.len()` counts the ops up to Linux's `echo_mark`.
//! Should a pathological batch queue more than `N_TTY_BUF_SIZE` bytes (Linux
//! would overwrite its ring) the queue is processed instead of growing.

use crate::flags::{iscntrl, Flags};
use crate::output::Out;
use crate::queue::N_TTY_BUF_SIZE;
use crate::{LineDiscipline, Sink};
use alloc::collections::VecDeque;
use mello_abi::termios::*;

const ECHO_COMMIT_WATERMARK: usize = 256;
const ECHO_BLOCK: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EchoOp {
    /// A byte, output-processed when `OPOST` is set.
    Char(u8),
    /// The byte 0xff, written verbatim (Linux's escaped `ECHO_OP_START`).
    Ff,
    /// A control character shown as `^X`.
    Ctrl(u8),
    /// Move the column back by one (after echoing a multibyte character).
    MoveBackCol,
    /// Record the current column as where the line starts.
    SetCanonCol,
    /// Back up over a tab; low 3 bits: columns used since the line start or
    /// the previous tab, 0x80: counted from a previous tab.
    EraseTab(u8),
}

impl EchoOp {
    fn size(self) -> usize {
        match self {
            EchoOp::Char(_) => 1,
            EchoOp::EraseTab(_) => 3,
            _ => 2,
        }
    }
}

pub(crate) struct EchoQueue {
    ops: VecDeque<EchoOp>,
    bytes: usize,
    marked: usize,
}

impl EchoQueue {
    pub fn new() -> EchoQueue {
        EchoQueue { ops: VecDeque::new(), bytes: 0, marked: 0 }
    }

    fn add(&mut self, op: EchoOp) {
        self.bytes += op.size();
        self.ops.push_back(op);
    }

    /// Drop every pending echo (the flush a signal character does).
    pub fn clear(&mut self) {
        self.ops.clear();
        self.bytes = 0;
        self.marked = 0;
    }
}

impl LineDiscipline {
    /// Linux `echo_char_raw`: echo `c` as is.
    pub(crate) fn echo_raw(&mut self, c: u8) {
        self.echo.add(if c == 0xff { EchoOp::Ff } else { EchoOp::Char(c) });
    }

    /// Linux `echo_char`: echo `c`, as `^X` if it is a control character
    /// other than tab and `ECHOCTL` is set.
    pub(crate) fn echo_char(&mut self, c: u8) {
        if c == 0xff {
            self.echo.add(EchoOp::Ff);
        } else if self.termios.l(ECHOCTL) && iscntrl(c) && c != b'\t' {
            self.echo.add(EchoOp::Ctrl(c));
        } else {
            self.echo.add(EchoOp::Char(c));
        }
    }

    pub(crate) fn echo_move_back_col(&mut self) {
        self.echo.add(EchoOp::MoveBackCol);
    }

    pub(crate) fn echo_set_canon_col(&mut self) {
        self.echo.add(EchoOp::SetCanonCol);
    }

    pub(crate) fn echo_erase_tab(&mut self, num_chars: u32, after_tab: bool) {
        let n = (num_chars & 7) as u8 | if after_tab { 0x80 } else { 0 };
        self.echo.add(EchoOp::EraseTab(n));
    }

    /// Linux `commit_echoes`: mark everything queued; output it now only at
    /// the watermark.
    pub(crate) fn commit_echoes(&mut self, sink: &mut dyn Sink) {
        self.echo.marked = self.echo.ops.len();
        let nr = self.echo.bytes;
        let at_block = nr >= ECHO_COMMIT_WATERMARK && nr.is_multiple_of(ECHO_BLOCK);
        if at_block || nr > N_TTY_BUF_SIZE {
            self.run_echoes(self.echo.ops.len(), sink);
        }
    }

    /// Linux `process_echoes`: output the echoes committed so far.
    pub(crate) fn process_echoes(&mut self, sink: &mut dyn Sink) {
        if self.echo.marked > 0 {
            self.run_echoes(self.echo.marked, sink);
        }
    }

    /// Linux `flush_echoes`: at the end of a receive batch, output every
    /// queued echo (when echoing is on at all).
    pub(crate) fn flush_echoes(&mut self, sink: &mut dyn Sink) {
        if !self.termios.l(ECHO | ECHONL) || self.echo.ops.is_empty() {
            return;
        }
        self.run_echoes(self.echo.ops.len(), sink);
    }

    /// Linux `__process_echoes`: turn the first `count` ops into bytes.
    fn run_echoes(&mut self, count: usize, sink: &mut dyn Sink) {
        let mut out = Out::new(sink);
        for _ in 0..count {
            let Some(op) = self.echo.ops.pop_front() else { break };
            self.echo.bytes -= op.size();
            self.echo.marked = self.echo.marked.saturating_sub(1);
            match op {
                EchoOp::Char(c) => {
                    if self.termios.o(OPOST) {
                        self.output_char(c, &mut out);
                    } else {
                        out.push(c);
                    }
                }
                EchoOp::Ff => {
                    out.push(0xff);
                    self.column += 1;
                }
                EchoOp::Ctrl(c) => {
                    out.push_all(&[b'^', c ^ 0o100]);
                    self.column += 2;
                }
                EchoOp::MoveBackCol => self.column = self.column.saturating_sub(1),
                EchoOp::SetCanonCol => self.canon_column = self.column,
                EchoOp::EraseTab(n) => {
                    let mut num = u32::from(n);
                    if n & 0x80 == 0 {
                        num += self.canon_column;
                    }
                    for _ in 0..8 - (num & 7) {
                        out.push(8);
                        self.column = self.column.saturating_sub(1);
                    }
                }
            }
        }
    }
}
