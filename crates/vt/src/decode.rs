//! An incremental UTF-8 decoder that never fails: bytes go in one at a
//! time, characters and "invalid" marks come out.
//!
//! It follows the WHATWG Encoding Standard's UTF-8 decoder, which is also
//! what `String::from_utf8_lossy` does: an invalid byte sequence yields one
//! error per maximal invalid subpart, so overlong forms (`C0 80`,
//! `E0 80 80`), surrogates (`ED A0 80`) and code points above U+10FFFF are
//! errors, and a byte that cannot continue a sequence ends it with an error
//! and is then decoded afresh (it may start a new sequence).
//!
//! Invariants: `seen < need <= 3` while a sequence is open, `need == 0`
//! otherwise; `lower..=upper` is the range the next continuation byte must
//! fall in (narrower than 80..=BF only right after E0, ED, F0 and F4); `cp`
//! holds the bits decoded so far.

/// Decoder state. `Default` is "between characters".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utf8 {
    cp: u32,
    need: u8,
    seen: u8,
    lower: u8,
    upper: u8,
}

impl Utf8 {
    /// Between characters.
    pub const fn new() -> Utf8 {
        Utf8 { cp: 0, need: 0, seen: 0, lower: 0x80, upper: 0xBF }
    }

    /// Whether a multi-byte sequence is open (waiting for more bytes).
    pub fn pending(&self) -> bool {
        self.need > 0
    }

    /// Drop any open sequence without reporting it.
    pub fn reset(&mut self) {
        *self = Utf8::new();
    }

    /// Decode byte `b`: calls `emit` with `Some(char)` for each completed
    /// character and `None` for each invalid sequence (zero, one or two
    /// calls: an interrupted sequence and then `b` itself).
    pub fn push(&mut self, b: u8, mut emit: impl FnMut(Option<char>)) {
        if self.need > 0 {
            if !(self.lower..=self.upper).contains(&b) {
                self.reset();
                emit(None);
                // `b` starts afresh below.
            } else {
                self.lower = 0x80;
                self.upper = 0xBF;
                self.cp = (self.cp << 6) | u32::from(b & 0x3F);
                self.seen += 1;
                if self.seen == self.need {
                    let cp = self.cp;
                    self.reset();
                    // The range checks above rule out surrogates and
                    // values past U+10FFFF; `None` is unreachable.
                    emit(char::from_u32(cp));
                }
                return;
            }
        }
        match b {
            0x00..=0x7F => emit(Some(char::from(b))),
            0xC2..=0xDF => self.open(1, u32::from(b & 0x1F), 0x80, 0xBF),
            0xE0 => self.open(2, 0, 0xA0, 0xBF),
            0xED => self.open(2, 0xD, 0x80, 0x9F),
            0xE1..=0xEF => self.open(2, u32::from(b & 0x0F), 0x80, 0xBF),
            0xF0 => self.open(3, 0, 0x90, 0xBF),
            0xF4 => self.open(3, 4, 0x80, 0x8F),
            0xF1..=0xF3 => self.open(3, u32::from(b & 0x07), 0x80, 0xBF),
            _ => emit(None),
        }
    }

    fn open(&mut self, need: u8, cp: u32, lower: u8, upper: u8) {
        *self = Utf8 { cp, need, seen: 0, lower, upper };
    }
}

impl Default for Utf8 {
    fn default() -> Utf8 {
        Utf8::new()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::Utf8;
    use std::vec::Vec;

    fn decode(bytes: &[u8]) -> Vec<Option<char>> {
        let mut d = Utf8::new();
        let mut out = Vec::new();
        for &b in bytes {
            d.push(b, |c| out.push(c));
        }
        out
    }

    #[test]
    fn state_between_characters_is_the_default() {
        assert_eq!(Utf8::new(), Utf8::default());
        let mut d = Utf8::new();
        d.push(0xE2, |_| panic!("no output yet"));
        assert!(d.pending());
        d.reset();
        assert!(!d.pending());
        assert_eq!(decode(b"A"), [Some('A')]);
    }

    #[test]
    fn an_interrupted_sequence_then_the_byte_itself() {
        // E2 starts a 3-byte sequence; 'x' interrupts it and is printed.
        assert_eq!(decode(b"\xE2x"), [None, Some('x')]);
        // C3 interrupts E2 and then completes with A9 as 'é'.
        assert_eq!(decode(b"\xE2\xC3\xA9"), [None, Some('é')]);
    }
}
