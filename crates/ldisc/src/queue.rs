//! The input queue: Linux's `read_buf` ring of `N_TTY_BUF_SIZE` bytes with
//! its per-byte end-of-line flags, and the copy-out rules of canonical and
//! non-canonical reads.
//!
//! One FIFO holds all unread input. Three free-running counters index it
//! (positions are taken modulo the ring size, as in Linux):
//!
//! ```text
//!   tail ........ canon_head ........ head
//!   | cooked lines | line being edited |        (canonical mode)
//!   | raw input queue, all readable    |        (non-canonical mode)
//! ```
//!
//! Invariants: `tail <= canon_head <= head` (wrapping) in canonical mode and
//! `head - tail <= N_TTY_BUF_SIZE`; an EOL flag is set only on the last byte
//! of a committed line (the `\n`, `VEOL`/`VEOL2` byte, or the 0 byte that
//! stands for `VEOF`), so in canonical mode every committed region ends on a
//! flagged byte. In non-canonical mode `canon_head` is stale and no flag is
//! set (switching modes clears them, as Linux does).

use alloc::boxed::Box;

/// Size of the input ring (Linux `N_TTY_BUF_SIZE`).
pub const N_TTY_BUF_SIZE: usize = 4096;
const MASK: usize = N_TTY_BUF_SIZE - 1;

/// Byte stored for a `VEOF` in canonical mode (Linux `__DISABLED_CHAR`).
pub(crate) const EOF_MARK: u8 = 0;

pub(crate) struct ReadQueue {
    buf: Box<[u8; N_TTY_BUF_SIZE]>,
    eol: [u64; N_TTY_BUF_SIZE / 64],
    /// Where the next received byte goes.
    pub head: usize,
    /// End of the committed (readable) lines in canonical mode.
    pub canon_head: usize,
    /// Next byte a read returns.
    pub tail: usize,
}

impl ReadQueue {
    pub fn new() -> ReadQueue {
        ReadQueue { buf: Box::new([0; N_TTY_BUF_SIZE]), eol: [0; N_TTY_BUF_SIZE / 64], head: 0, canon_head: 0, tail: 0 }
    }

    /// Linux `reset_buffer_flags`: drop all input, clear every flag.
    pub fn reset(&mut self) {
        self.head = 0;
        self.canon_head = 0;
        self.tail = 0;
        self.eol = [0; N_TTY_BUF_SIZE / 64];
    }

    /// Unread bytes (`read_cnt`).
    pub fn cnt(&self) -> usize {
        self.head.wrapping_sub(self.tail)
    }

    /// The byte at position `i`.
    pub fn byte(&self, i: usize) -> u8 {
        self.buf[i & MASK]
    }

    /// Append `c` (Linux `put_tty_queue`). The room check in the receive
    /// path keeps the ring from overflowing; should a byte still not fit
    /// (PARMRK triples at the very end of a full line) it is dropped rather
    /// than overwriting unread input.
    pub fn put(&mut self, c: u8) {
        if self.cnt() < N_TTY_BUF_SIZE {
            self.buf[self.head & MASK] = c;
            self.head = self.head.wrapping_add(1);
        }
    }

    pub fn is_eol(&self, i: usize) -> bool {
        let i = i & MASK;
        self.eol[i / 64] & (1 << (i % 64)) != 0
    }

    pub fn set_eol(&mut self, i: usize) {
        let i = i & MASK;
        self.eol[i / 64] |= 1 << (i % 64);
    }

    fn clear_eol(&mut self, i: usize) {
        let i = i & MASK;
        self.eol[i / 64] &= !(1 << (i % 64));
    }

    pub fn clear_all_eol(&mut self) {
        self.eol = [0; N_TTY_BUF_SIZE / 64];
    }

    /// Commit the line being edited with terminator `c` (Linux
    /// `n_tty_receive_handle_newline`).
    pub fn push_line_end(&mut self, c: u8) {
        let at = self.head;
        self.set_eol(at);
        self.put(c);
        self.canon_head = self.head;
    }

    /// Copy out `n` bytes from the tail, zeroing them in the ring when
    /// `zero` (Linux `zero_buffer`: canonical input typed without echo may
    /// be a password).
    fn take(&mut self, out: &mut [u8], n: usize, zero: bool) {
        for (k, slot) in out[..n].iter_mut().enumerate() {
            let i = self.tail.wrapping_add(k) & MASK;
            *slot = self.buf[i];
            if zero {
                self.buf[i] = 0;
            }
        }
    }

    /// Canonical read (Linux `canon_copy_from_read_buf` plus the final
    /// `canon_skip_eof`): copy the first committed line, up to `out.len()`
    /// bytes, including its terminator unless that is an EOF mark. When
    /// `out` fills before the line ends the rest stays queued, and if what
    /// remains is exactly an EOF mark it is consumed silently. Returns the
    /// bytes copied; 0 with a committed line means end of file.
    pub fn canon_copy(&mut self, out: &mut [u8], zero: bool) -> usize {
        if out.is_empty() {
            return 0;
        }
        let avail = self.canon_head.wrapping_sub(self.tail);
        let window = out.len().min(avail);
        let eol = (0..window).find(|&k| self.is_eol(self.tail.wrapping_add(k)));
        match eol {
            Some(k) => {
                let at = self.tail.wrapping_add(k);
                let n = if self.byte(at) == EOF_MARK { k } else { k + 1 };
                self.take(out, n, zero);
                self.clear_eol(at);
                self.tail = at.wrapping_add(1);
                n
            }
            None => {
                self.take(out, window, zero);
                self.tail = self.tail.wrapping_add(window);
                if window == out.len() {
                    self.skip_eof();
                }
                window
            }
        }
    }

    /// Linux `canon_skip_eof`: if the next byte is an EOF mark, eat it.
    fn skip_eof(&mut self) {
        if self.tail != self.canon_head && self.is_eol(self.tail) && self.byte(self.tail) == EOF_MARK {
            let at = self.tail;
            self.clear_eol(at);
            self.tail = self.tail.wrapping_add(1);
        }
    }

    /// Non-canonical read (Linux `copy_from_read_buf`, both halves of the
    /// ring): copy everything queued, up to `out.len()` bytes.
    pub fn raw_copy(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.cnt());
        self.take(out, n, false);
        self.tail = self.tail.wrapping_add(n);
        n
    }

    /// Linux `inq_canon`: bytes in committed lines, not counting EOF marks.
    pub fn inq_canon(&self) -> usize {
        let total = self.canon_head.wrapping_sub(self.tail);
        let marks = (0..total)
            .map(|k| self.tail.wrapping_add(k))
            .filter(|&i| self.is_eol(i) && self.byte(i) == EOF_MARK)
            .count();
        total - marks
    }

    /// The bytes from `from` up to `head`.
    pub fn bytes_from(&self, from: usize) -> impl Iterator<Item = u8> + '_ {
        let len = self.head.wrapping_sub(from);
        (0..len).map(move |k| self.byte(from.wrapping_add(k)))
    }
}
