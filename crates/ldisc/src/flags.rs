//! Termios flag handling: flag tests on a [`Termios`], the character
//! classes n_tty uses (Linux's own Latin-1 `ctype`, not ASCII's), and
//! [`Mode`], the per-termios state n_tty derives in `n_tty_set_termios`.
//!
//! Invariants: [`Mode`] is recomputed from the termios on every
//! `set_termios`, so it never disagrees with it. A byte is *special*
//! (`Mode::special`) exactly when Linux's `char_map` has its bit set: the
//! enabled control characters plus `\r`/`\n` when a mapping or canonical
//! mode needs them; byte 0 is never special, because a `c_cc` entry of 0
//! means "disabled". `Mode::raw` is Linux's `ldata->raw`: no input
//! processing at all, bytes go straight to the queue.

use mello_abi::termios::*;

/// Flag tests and control characters of a termios, named like Linux's
/// `I_*`/`O_*`/`L_*` macros.
pub(crate) trait Flags {
    /// Any of the input-flag bits `f` set.
    fn i(&self, f: u32) -> bool;
    /// Any of the output-flag bits `f` set.
    fn o(&self, f: u32) -> bool;
    /// Any of the local-flag bits `f` set.
    fn l(&self, f: u32) -> bool;
    /// Control character `idx` (0 = disabled).
    fn cc(&self, idx: usize) -> u8;
    /// `c` is the enabled control character `idx`.
    fn is(&self, c: u8, idx: usize) -> bool {
        self.cc(idx) == c
    }
}

impl Flags for Termios {
    fn i(&self, f: u32) -> bool {
        self.c_iflag & f != 0
    }
    fn o(&self, f: u32) -> bool {
        self.c_oflag & f != 0
    }
    fn l(&self, f: u32) -> bool {
        self.c_lflag & f != 0
    }
    fn cc(&self, idx: usize) -> u8 {
        self.c_cc[idx]
    }
}

/// What n_tty derives from the termios (Linux: `icanon`, `raw`, `char_map`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mode {
    /// `ICANON` is set.
    pub icanon: bool,
    /// No input processing at all (none of ISTRIP IUCLC IGNCR ICRNL INLCR
    /// ICANON IXON ISIG ECHO PARMRK).
    pub raw: bool,
    /// Bytes that take the special-character path.
    char_map: [u64; 4],
}

impl Mode {
    pub fn new(t: &Termios) -> Mode {
        let mut m = Mode { icanon: t.l(ICANON), raw: false, char_map: [0; 4] };
        let processing = t.i(ISTRIP | IUCLC | IGNCR | ICRNL | INLCR | IXON | PARMRK)
            || t.l(ICANON | ISIG | ECHO);
        if !processing {
            m.raw = true;
            return m;
        }
        if t.i(IGNCR | ICRNL) {
            m.set(b'\r');
        }
        if t.i(INLCR) {
            m.set(b'\n');
        }
        if t.l(ICANON) {
            for idx in [VERASE, VKILL, VEOF, VEOL] {
                m.set(t.cc(idx));
            }
            m.set(b'\n');
            if t.l(IEXTEN) {
                for idx in [VWERASE, VLNEXT, VEOL2] {
                    m.set(t.cc(idx));
                }
                if t.l(ECHO) {
                    m.set(t.cc(VREPRINT));
                }
            }
        }
        if t.i(IXON) {
            m.set(t.cc(VSTART));
            m.set(t.cc(VSTOP));
        }
        if t.l(ISIG) {
            for idx in [VINTR, VQUIT, VSUSP] {
                m.set(t.cc(idx));
            }
        }
        m.char_map[0] &= !1; // __DISABLED_CHAR is never special
        m
    }

    fn set(&mut self, c: u8) {
        self.char_map[usize::from(c >> 6)] |= 1 << (c & 63);
    }

    /// `c` takes the special-character path (`test_bit(c, char_map)`).
    pub fn special(&self, c: u8) -> bool {
        self.char_map[usize::from(c >> 6)] & (1 << (c & 63)) != 0
    }
}

// Linux's lib/ctype.c classes: 0-31 and 127 are control, 128-159 are
// nothing, 160-255 are Latin-1 (192-222 upper except 215, 223-255 lower
// except 247).
const U: u8 = 1;
const L: u8 = 2;
const D: u8 = 4;
const C: u8 = 8;
const P: u8 = 16;

const fn class(c: u8) -> u8 {
    match c {
        0..=31 | 127 => C,
        b'0'..=b'9' => D,
        b'A'..=b'Z' => U,
        b'a'..=b'z' => L,
        32..=126 => P,
        128..=159 => 0,
        215 | 247 => P,
        160..=191 => P,
        192..=222 => U,
        223..=255 => L,
    }
}

/// Linux `iscntrl`: 0-31 and 127 only.
pub(crate) fn iscntrl(c: u8) -> bool {
    class(c) & C != 0
}

/// Linux `isalnum` (Latin-1 letters included).
pub(crate) fn isalnum(c: u8) -> bool {
    class(c) & (U | L | D) != 0
}

/// Linux `tolower` (Latin-1 aware: subtracts 'A'-'a' from any upper).
pub(crate) fn tolower(c: u8) -> u8 {
    if class(c) & U != 0 {
        c + 32
    } else {
        c
    }
}

/// Linux `toupper` (Latin-1 aware, including its mapping of 223 to 191).
pub(crate) fn toupper(c: u8) -> u8 {
    if class(c) & L != 0 {
        c - 32
    } else {
        c
    }
}

/// A UTF-8 continuation byte (`10xxxxxx`).
pub(crate) fn is_utf8_continuation(c: u8) -> bool {
    c & 0xc0 == 0x80
}
