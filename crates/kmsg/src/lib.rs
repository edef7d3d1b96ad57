//! The kernel log ring buffer ("kmsg"), as Linux keeps one for `dmesg`.
//!
//! Every kernel log line becomes a record: a sequence number, a level
//! (Linux's 0 = emergency .. 7 = debug), a timestamp in microseconds since
//! boot, and its text. Records live in a fixed byte ring of `N` bytes; when
//! a new record does not fit, the oldest ones are dropped whole (never a
//! torn record). Readers see records oldest first.
//!
//! [`Ring::read_all`] produces what Linux's `syslog(SYSLOG_ACTION_READ_ALL)`
//! returns (and busybox `dmesg` prints): one line per record,
//! `<level>[sssss.uuuuuu] text\n`, the newest records that fit the
//! caller's buffer. [`Ring::read_from`] is the `/proc/kmsg`-style reader that
//! continues from a sequence number.
//!
//! No locking here: the kernel keeps one `Ring` behind its own lock.
//! `no_std`, no allocation, no unsafe.
#![no_std]
#![forbid(unsafe_code)]

/// Linux's log levels.
pub mod level {
    pub const EMERG: u8 = 0;
    pub const ERR: u8 = 3;
    pub const WARNING: u8 = 4;
    pub const NOTICE: u8 = 5;
    pub const INFO: u8 = 6;
    pub const DEBUG: u8 = 7;
}

/// Longest text kept per record (longer lines are cut).
pub const MAX_TEXT: usize = 1024;
/// Bytes of header per record: seq (8), time (8), level (1), length (2).
const HEADER: usize = 19;

/// One log record, borrowed from the ring (its text may wrap the buffer's
/// end, hence two parts).
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub seq: u64,
    pub level: u8,
    pub time_us: u64,
    text: (&'a [u8], &'a [u8]),
}

impl Record<'_> {
    /// The text, copied into `out` (returns the length).
    pub fn text_into(&self, out: &mut [u8]) -> usize {
        let (a, b) = self.text;
        let n = (a.len() + b.len()).min(out.len());
        let na = a.len().min(n);
        out[..na].copy_from_slice(&a[..na]);
        out[na..n].copy_from_slice(&b[..n - na]);
        n
    }

    pub fn text_len(&self) -> usize {
        self.text.0.len() + self.text.1.len()
    }

    /// Whether the text equals `s` (for tests and filters).
    pub fn text_eq(&self, s: &[u8]) -> bool {
        let (a, b) = self.text;
        s.len() == a.len() + b.len() && &s[..a.len()] == a && &s[a.len()..] == b
    }

    /// The record as Linux's syslog(2) prints it: `<L>[sssss.uuuuuu] text\n`
    /// (seconds right-aligned in at least 5 columns, as `%5lu.%06lu`).
    pub fn format(&self, out: &mut impl FnMut(&[u8])) {
        let mut head = [0u8; 40];
        let mut w = Cursor { buf: &mut head, len: 0 };
        w.push(b'<');
        w.num(self.level as u64, 1);
        w.push(b'>');
        w.push(b'[');
        let secs = self.time_us / 1_000_000;
        for _ in count_digits(secs)..5 {
            w.push(b' ');
        }
        w.num(secs, 1);
        w.push(b'.');
        w.num(self.time_us % 1_000_000, 6);
        w.push(b']');
        w.push(b' ');
        let head_len = w.len;
        out(&head[..head_len]);
        out(self.text.0);
        out(self.text.1);
        out(b"\n");
    }

    /// Length of [`Record::format`]'s output.
    pub fn formatted_len(&self) -> usize {
        let secs = self.time_us / 1_000_000;
        3 + 1 + count_digits(secs).max(5) + 1 + 6 + 2 + self.text_len() + 1
    }
}

fn count_digits(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Cursor<'_> {
    fn push(&mut self, b: u8) {
        self.buf[self.len] = b;
        self.len += 1;
    }
    /// `v` in decimal, zero-padded to `width` digits.
    fn num(&mut self, v: u64, width: usize) {
        let digits = count_digits(v).max(width);
        let mut x = v;
        for i in (0..digits).rev() {
            self.buf[self.len + i] = b'0' + (x % 10) as u8;
            x /= 10;
        }
        self.len += digits;
    }
}

/// The ring: `N` bytes of records.
pub struct Ring<const N: usize> {
    buf: [u8; N],
    /// Byte offset (mod N) of the oldest record, and bytes in use.
    start: usize,
    used: usize,
    /// Sequence number of the oldest record held, and of the next one.
    first_seq: u64,
    next_seq: u64,
}

impl<const N: usize> Default for Ring<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Ring<N> {
    pub const fn new() -> Self {
        assert!(N >= HEADER + MAX_TEXT, "ring smaller than one record");
        Ring { buf: [0; N], start: 0, used: 0, first_seq: 0, next_seq: 0 }
    }

    /// Append a record; drops the oldest records as needed. Returns its
    /// sequence number.
    pub fn push(&mut self, level: u8, time_us: u64, text: &[u8]) -> u64 {
        let text = &text[..text.len().min(MAX_TEXT)];
        let need = HEADER + text.len();
        while N - self.used < need {
            self.drop_oldest();
        }
        let seq = self.next_seq;
        let mut at = (self.start + self.used) % N;
        let mut put = |bytes: &[u8], buf: &mut [u8; N]| {
            for &b in bytes {
                buf[at] = b;
                at = (at + 1) % N;
            }
        };
        put(&seq.to_le_bytes(), &mut self.buf);
        put(&time_us.to_le_bytes(), &mut self.buf);
        put(&[level.min(7)], &mut self.buf);
        put(&(text.len() as u16).to_le_bytes(), &mut self.buf);
        put(text, &mut self.buf);
        self.used += need;
        self.next_seq += 1;
        seq
    }

    fn byte(&self, off: usize) -> u8 {
        self.buf[(self.start + off) % N]
    }

    fn u64_at(&self, off: usize) -> u64 {
        let mut b = [0u8; 8];
        for (i, x) in b.iter_mut().enumerate() {
            *x = self.byte(off + i);
        }
        u64::from_le_bytes(b)
    }

    fn record_at(&self, off: usize) -> (Record<'_>, usize) {
        let seq = self.u64_at(off);
        let time_us = self.u64_at(off + 8);
        let level = self.byte(off + 16);
        let len = u16::from_le_bytes([self.byte(off + 17), self.byte(off + 18)]) as usize;
        let t0 = (self.start + off + HEADER) % N;
        let first = len.min(N - t0);
        let text = (&self.buf[t0..t0 + first], &self.buf[..len - first]);
        (Record { seq, level, time_us, text }, HEADER + len)
    }

    fn drop_oldest(&mut self) {
        let (_, size) = self.record_at(0);
        self.start = (self.start + size) % N;
        self.used -= size;
        self.first_seq += 1;
    }

    /// Records held, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = Record<'_>> + '_ {
        let mut off = 0;
        core::iter::from_fn(move || {
            if off >= self.used {
                return None;
            }
            let (r, size) = self.record_at(off);
            off += size;
            Some(r)
        })
    }

    /// Number of records held.
    pub fn len(&self) -> usize {
        (self.next_seq - self.first_seq) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Bytes [`Ring::read_all`] would produce with an unlimited buffer
    /// (`SYSLOG_ACTION_SIZE_UNREAD`-style total).
    pub fn formatted_size(&self) -> usize {
        self.iter().map(|r| r.formatted_len()).sum()
    }

    /// `SYSLOG_ACTION_READ_ALL`: the newest records that fit in `out`
    /// entirely, formatted, oldest first. Returns the bytes written.
    pub fn read_all(&self, out: &mut [u8]) -> usize {
        // How many of the newest records fit: walk the lengths once.
        let mut lens = self.iter().map(|r| r.formatted_len());
        let (mut total, mut count) = (0usize, self.len());
        let all: usize = self.formatted_size();
        let mut skip = 0;
        while all - total > out.len() {
            total += lens.next().unwrap_or(0);
            skip += 1;
            count -= 1;
        }
        let mut n = 0;
        for r in self.iter().skip(skip).take(count) {
            r.format(&mut |bytes| {
                out[n..n + bytes.len()].copy_from_slice(bytes);
                n += bytes.len();
            });
        }
        n
    }

    /// Formatted records with `seq >= from` that fit in `out`; returns the
    /// bytes written and the sequence number to continue from.
    pub fn read_from(&self, from: u64, out: &mut [u8]) -> (usize, u64) {
        let mut n = 0;
        let start = from.max(self.first_seq);
        let mut next = start;
        for r in self.iter().filter(|r| r.seq >= start) {
            let len = r.formatted_len();
            if n + len > out.len() {
                break;
            }
            r.format(&mut |bytes| {
                out[n..n + bytes.len()].copy_from_slice(bytes);
                n += bytes.len();
            });
            next = r.seq + 1;
        }
        (n, next)
    }
}
