//! The escape-sequence recogniser: characters in, [`Action`]s out.
//!
//! Grammar (a subset of ECMA-48): `ESC [` starts a control sequence (CSI)
//! of decimal parameters separated by `;` and ended by a final character
//! in `@`..=`~`. `ESC` followed by anything else swallows that character.
//! Inside a CSI, other characters (private markers such as `?`,
//! intermediates, control characters) are ignored. Every other character
//! is passed through as [`Action::Char`] (control characters included: the
//! grid decides what they do).
//!
//! Invariants: a CSI keeps its first [`MAX_PARAMS`] parameters (later
//! fields are dropped); a parameter saturates at `u16::MAX`;
//! [`Params::len`] is at least 1 (an empty parameter reads as 0).

/// Parameters kept per control sequence.
pub const MAX_PARAMS: usize = 4;

/// The numeric parameters of one control sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    vals: [u16; MAX_PARAMS],
    len: usize,
}

impl Params {
    /// The parameters as given (`ESC[m` gives `[0]`).
    pub fn as_slice(&self) -> &[u16] {
        &self.vals[..self.len]
    }

    /// Parameter `i`, or `None` if the sequence had fewer.
    pub fn get(&self, i: usize) -> Option<u16> {
        self.as_slice().get(i).copied()
    }

    /// Number of parameters (at least 1).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.len
    }
}

/// What one input character amounts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing yet (inside an escape sequence).
    None,
    /// A character to print or a control character to obey.
    Char(char),
    /// A complete control sequence: its final character and parameters.
    Csi(char, Params),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ground,
    Escape,
    /// `last`: the field being read, `MAX_PARAMS` once past the kept ones.
    Csi { vals: [u16; MAX_PARAMS], last: usize },
}

/// Escape-sequence state. `Default` is "not in a sequence".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EscParser {
    state: State,
}

impl Default for EscParser {
    fn default() -> Self {
        EscParser::new()
    }
}

impl EscParser {
    /// Not in a sequence.
    pub const fn new() -> Self {
        EscParser { state: State::Ground }
    }

    /// Abandon any half-read sequence.
    pub fn reset(&mut self) {
        self.state = State::Ground;
    }

    /// Whether a sequence is open.
    pub fn pending(&self) -> bool {
        self.state != State::Ground
    }

    /// Feed one character.
    pub fn feed(&mut self, c: char) -> Action {
        match &mut self.state {
            State::Ground => {
                if c == '\x1b' {
                    self.state = State::Escape;
                    return Action::None;
                }
                Action::Char(c)
            }
            State::Escape => {
                self.state = if c == '[' { State::Csi { vals: [0; MAX_PARAMS], last: 0 } } else { State::Ground };
                Action::None
            }
            State::Csi { vals, last } => match c {
                '0'..='9' => {
                    // `last == MAX_PARAMS`: a field past the kept ones.
                    if let Some(p) = vals.get_mut(*last) {
                        *p = p.saturating_mul(10).saturating_add(c as u16 - u16::from(b'0'));
                    }
                    Action::None
                }
                ';' => {
                    *last = (*last + 1).min(MAX_PARAMS);
                    Action::None
                }
                '@'..='~' => {
                    let params = Params { vals: *vals, len: (*last + 1).min(MAX_PARAMS) };
                    self.state = State::Ground;
                    Action::Csi(c, params)
                }
                _ => Action::None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::{vec, vec::Vec};

    fn run(s: &str) -> Vec<Action> {
        let mut p = EscParser::new();
        s.chars().map(|c| p.feed(c)).filter(|a| *a != Action::None).collect()
    }

    fn csi(s: &str) -> (char, Vec<u16>) {
        match run(s).as_slice() {
            [Action::Csi(c, p)] => (*c, p.as_slice().to_vec()),
            other => panic!("{s:?}: {other:?}"),
        }
    }

    #[test]
    fn text_passes_through() {
        assert_eq!(run("a\n\x07"), [Action::Char('a'), Action::Char('\n'), Action::Char('\x07')]);
    }

    #[test]
    fn control_sequences() {
        assert_eq!(csi("\x1b[m"), ('m', vec![0]));
        assert_eq!(csi("\x1b[1;31m"), ('m', vec![1, 31]));
        assert_eq!(csi("\x1b[;5H"), ('H', vec![0, 5]));
        assert_eq!(csi("\x1b[?25l"), ('l', vec![25]), "private marker ignored");
        assert_eq!(csi("\x1b[1;2;3;4;5;6m"), ('m', vec![1, 2, 3, 4]), "extra fields are dropped");
        assert_eq!(csi("\x1b[1;2;3;4;m"), ('m', vec![1, 2, 3, 4]), "a trailing empty fifth field too");
        assert_eq!(csi("\x1b[99999999J"), ('J', vec![u16::MAX]), "saturates");
        assert_eq!(csi("\x1b[2\nJ"), ('J', vec![2]), "controls inside are ignored");
    }

    #[test]
    fn other_escapes_swallow_one_character() {
        assert_eq!(run("\x1b(B"), [Action::Char('B')]);
        assert_eq!(run("\x1b\x1bx"), [Action::Char('x')]);
        let mut p = EscParser::new();
        p.feed('\x1b');
        assert!(p.pending());
        p.reset();
        assert_eq!(p.feed('['), Action::Char('['));
    }
}
