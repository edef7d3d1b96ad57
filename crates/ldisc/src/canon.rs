//! Canonical-mode editing (Linux `n_tty_receive_char_canon` and `eraser`):
//! the characters that edit or end the line being typed.
//!
//! * `VERASE` erases one character: with `ECHOE` the echo is `\b \b` (twice
//!   for a control character shown as `^X`, nothing for one echoed raw),
//!   a tab is backed over to where it started, and without `ECHOE` the
//!   erase character itself is echoed. `ECHOPRT` instead prints the erased
//!   characters between `\` and `/`. Under `IUTF8` a multibyte character is
//!   erased whole.
//! * `VKILL` erases the line: visually, character by character, when
//!   `ECHOK`, `ECHOKE` and `ECHOE` are all set; otherwise it echoes the kill
//!   character, plus a newline with `ECHOK`.
//! * `VWERASE` (with `IEXTEN`) erases back to the start of the previous
//!   word: alphanumerics and `_` form words (BSD's ALTWERASE).
//! * `VLNEXT` (with `IEXTEN`) quotes the next byte (echoing `^\b`).
//! * `VREPRINT` (with `ECHO` and `IEXTEN`) echoes `^R`, a newline, and the
//!   line so far.
//! * `\n`, `VEOL`, `VEOL2` (with `IEXTEN`) end the line and stay in it;
//!   `VEOF` ends it without adding a byte (a 0 mark stands for it), so a
//!   `VEOF` at the start of a line reads as end of file.
//!
//! Invariants: editing only ever touches bytes between `canon_head` and
//! `head`; committed lines are never changed.

use crate::flags::{is_utf8_continuation, isalnum, iscntrl, Flags};
use crate::queue::EOF_MARK;
use crate::{LineDiscipline, Sink};
use mello_abi::termios::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum EraseKind {
    Char,
    Word,
    Line,
}

impl LineDiscipline {
    /// Linux `finish_erasing`: close an `ECHOPRT` erase sequence.
    pub(crate) fn finish_erasing(&mut self) {
        if self.erasing {
            self.echo_raw(b'/');
            self.erasing = false;
        }
    }

    fn is_continuation(&self, c: u8) -> bool {
        self.termios.i(IUTF8) && is_utf8_continuation(c)
    }

    /// Handle `c` if it is a canonical-mode special character; false if
    /// it is an ordinary byte after all.
    pub(crate) fn receive_canon(&mut self, c: u8, sink: &mut dyn Sink) -> bool {
        let t = self.termios;
        let iexten = t.l(IEXTEN);
        if t.is(c, VERASE) || t.is(c, VKILL) || (t.is(c, VWERASE) && iexten) {
            self.eraser(c);
            self.commit_echoes(sink);
            return true;
        }
        if t.is(c, VLNEXT) && iexten {
            self.lnext = true;
            if t.l(ECHO) {
                self.finish_erasing();
                if t.l(ECHOCTL) {
                    self.echo_raw(b'^');
                    self.echo_raw(8);
                    self.commit_echoes(sink);
                }
            }
            return true;
        }
        if t.is(c, VREPRINT) && t.l(ECHO) && iexten {
            self.finish_erasing();
            self.echo_char(c);
            self.echo_raw(b'\n');
            let mut i = self.q.canon_head;
            while i != self.q.head {
                let b = self.q.byte(i);
                self.echo_char(b);
                i = i.wrapping_add(1);
            }
            self.commit_echoes(sink);
            return true;
        }
        if c == b'\n' {
            if t.l(ECHO | ECHONL) {
                self.echo_raw(b'\n');
                self.commit_echoes(sink);
            }
            self.q.push_line_end(c);
            return true;
        }
        if t.is(c, VEOF) {
            self.q.push_line_end(EOF_MARK);
            return true;
        }
        if t.is(c, VEOL) || (t.is(c, VEOL2) && iexten) {
            if t.l(ECHO) {
                if self.q.canon_head == self.q.head {
                    self.echo_set_canon_col();
                }
                self.echo_char(c);
                self.commit_echoes(sink);
            }
            if c == 0xff && t.i(PARMRK) {
                self.q.put(c);
            }
            self.q.push_line_end(c);
            return true;
        }
        false
    }

    /// Linux `eraser`: `VERASE`, `VWERASE` or `VKILL` on the line being
    /// edited.
    fn eraser(&mut self, c: u8) {
        let t = self.termios;
        if self.q.head == self.q.canon_head {
            return;
        }
        let kind = if t.is(c, VERASE) {
            EraseKind::Char
        } else if t.is(c, VWERASE) {
            EraseKind::Word
        } else {
            if !t.l(ECHO) {
                self.q.head = self.q.canon_head;
                return;
            }
            if !t.l(ECHOK) || !t.l(ECHOKE) || !t.l(ECHOE) {
                self.q.head = self.q.canon_head;
                self.finish_erasing();
                self.echo_char(t.cc(VKILL));
                if t.l(ECHOK) {
                    self.echo_raw(b'\n');
                }
                return;
            }
            EraseKind::Line
        };

        let mut seen_alnums = 0;
        while self.q.head != self.q.canon_head {
            // Step back over one (possibly multibyte) character.
            let mut head = self.q.head;
            let mut ch;
            loop {
                head = head.wrapping_sub(1);
                ch = self.q.byte(head);
                if !(self.is_continuation(ch) && head != self.q.canon_head) {
                    break;
                }
            }
            if self.is_continuation(ch) {
                break; // do not erase part of a character
            }
            if kind == EraseKind::Word {
                if isalnum(ch) || ch == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            let cnt = self.q.head.wrapping_sub(head);
            self.q.head = head;
            if t.l(ECHO) {
                self.echo_erased(kind, ch, head, cnt);
            }
            if kind == EraseKind::Char {
                break;
            }
        }
        if self.q.head == self.q.canon_head && t.l(ECHO) {
            self.finish_erasing();
        }
    }

    /// The echo for erasing character `ch`, `cnt` bytes long, that started
    /// at position `at` (now the end of the line).
    fn echo_erased(&mut self, kind: EraseKind, ch: u8, at: usize, cnt: usize) {
        let t = self.termios;
        if t.l(ECHOPRT) {
            if !self.erasing {
                self.echo_raw(b'\\');
                self.erasing = true;
            }
            self.echo_char(ch);
            for k in 1..cnt {
                let b = self.q.byte(at.wrapping_add(k));
                self.echo_raw(b);
                self.echo_move_back_col();
            }
        } else if kind == EraseKind::Char && !t.l(ECHOE) {
            self.echo_char(t.cc(VERASE));
        } else if ch == b'\t' {
            // Columns used since the line start or the previous tab.
            let mut num_chars = 0u32;
            let mut after_tab = false;
            let mut tail = self.q.head;
            while tail != self.q.canon_head {
                tail = tail.wrapping_sub(1);
                let b = self.q.byte(tail);
                if b == b'\t' {
                    after_tab = true;
                    break;
                } else if iscntrl(b) {
                    if t.l(ECHOCTL) {
                        num_chars += 2;
                    }
                } else if !self.is_continuation(b) {
                    num_chars += 1;
                }
            }
            self.echo_erase_tab(num_chars, after_tab);
        } else {
            if iscntrl(ch) && t.l(ECHOCTL) {
                self.echo_backspace();
            }
            if !iscntrl(ch) || t.l(ECHOCTL) {
                self.echo_backspace();
            }
        }
    }

    /// `\b \b`: back up, blank, back up.
    fn echo_backspace(&mut self) {
        self.echo_raw(8);
        self.echo_raw(b' ');
        self.echo_raw(8);
    }
}
