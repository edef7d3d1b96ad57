//! A small terminal: bytes in, a grid of character cells out, plus a
//! record of what changed so a painter can bring a screen up to date.
//!
//! [`Grid`] decodes UTF-8 (a sequence split across writes is completed by
//! the next write; each invalid byte sequence shows as one `?`, exactly
//! where `String::from_utf8_lossy` would put U+FFFD), handles newline,
//! carriage return, tab, backspace, line wrap and scrolling, and the ANSI
//! escape sequences a log or a small program uses: SGR colours (0, 1, 30–37,
//! 39, 90–97), cursor position (`ESC[row;colH`, `f`), erase display
//! (`ESC[2J`) and erase to end of line (`ESC[K`). Other escapes are
//! swallowed. This crate knows nothing of pixels or fonts: a cell holds a
//! `char` and its [`Attr`]; the painter picks glyphs and colours.
//!
//! Damage: per row, a span of changed columns or "whole row" ([`Damage`]),
//! and a count of rows scrolled since the painter last asked
//! ([`Grid::take_scrolled`]). A painter first moves the pixels up by that
//! many rows, then redraws each damaged row ([`Grid::take_damage`]); rows
//! that scrolled in are marked whole. Damage moves with its row when the
//! grid scrolls. Scrolling costs O(columns): rows are a ring.
//!
//! The embedder supplies two decisions through [`Hooks`]: how many rows
//! to scroll at once (jump scroll during bursts) and whether new text is
//! "alert" text (the kernel marks text printed during a panic).
//!
//! Invariants, true between any two statements (a panic handler may take
//! over a grid whose owner stopped mid-update): `cy < rows`, `cx <= cols`
//! (`cx == cols`: the next printed character wraps first), `first < rows`,
//! `cells.len() == rows * cols`, `damage.len() == rows`, `scrolled <= rows`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod decode;
mod esc;
mod grid;

pub use decode::Utf8;
pub use esc::{Action, EscParser, Params};
pub use grid::Grid;

/// A foreground colour: the terminal's default, or ANSI colour 0–15
/// (8–15 are the bright variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Default,
    Ansi(u8),
}

/// How a cell's character is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    pub fg: Color,
    /// Printed while [`Hooks::alert`] said so (the kernel: during a panic).
    pub alert: bool,
}

impl Attr {
    /// Default colour, not alert.
    pub const DEFAULT: Attr = Attr { fg: Color::Default, alert: false };
}

/// One character cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub ch: char,
    pub attr: Attr,
}

impl Cell {
    /// An erased cell: a space in the default colour.
    pub const BLANK: Cell = Cell { ch: ' ', attr: Attr::DEFAULT };
}

/// What a row needs redrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    /// Columns `lo..hi` changed (`lo < hi <= cols`).
    Cols { lo: usize, hi: usize },
    /// The whole row (it scrolled in or the screen was erased): repaint
    /// its background edge to edge, then every cell.
    Whole,
}

/// Decisions the embedder makes for the grid.
pub trait Hooks {
    /// Rows to scroll when a newline leaves the bottom row (clamped to
    /// `1..=rows`). Scrolling more than one leaves the cursor that many
    /// rows above the bottom: jump scroll.
    fn scroll_rows(&mut self) -> usize {
        1
    }
    /// Whether the character being printed is alert text.
    fn alert(&mut self) -> bool {
        false
    }
}

/// One row at a time, never alert.
impl Hooks for () {}

/// The part of `bytes` that can still be on a `rows`×`cols` screen after
/// writing all of it: at most the last `rows` lines and `rows * cols`
/// characters (4 bytes each at most). Earlier text would scroll away, so a
/// caller may skip it and call [`Grid::restart_line`] before the rest.
pub fn visible_tail(bytes: &[u8], rows: usize, cols: usize) -> &[u8] {
    let budget = rows.saturating_mul(cols).saturating_mul(4);
    let window = &bytes[bytes.len().saturating_sub(budget)..];
    let mut newlines = 0;
    for (i, &b) in window.iter().enumerate().rev() {
        if b == b'\n' {
            newlines += 1;
            if newlines > rows {
                return &window[i + 1..];
            }
        }
    }
    window
}
