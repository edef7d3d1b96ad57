//! [`Grid`]: the cells, the cursor, the decoders, and the damage record.
//!
//! Rows are a ring: visible row `r` lives at ring row `(first + r) % rows`,
//! so scrolling one line blanks the old top row and advances `first`.
//! `damage[r]` is indexed by *visible* row and rotates with the ring.
//! See the crate documentation for the full invariant list; every method
//! keeps them between statements (indices stay in range even if a caller
//! stops halfway through a write).

use crate::decode::Utf8;
use crate::esc::{Action, EscParser, Params};
use crate::{Attr, Cell, Color, Damage, Hooks};
use alloc::vec::Vec;

/// Per-row damage: columns `lo..hi` (empty when `lo >= hi`), or whole.
#[derive(Clone, Copy)]
struct Span {
    lo: usize,
    hi: usize,
    whole: bool,
}

const CLEAN: Span = Span { lo: usize::MAX, hi: 0, whole: false };
const WHOLE: Span = Span { lo: usize::MAX, hi: 0, whole: true };

/// A `cols`×`rows` terminal grid. See the crate documentation.
pub struct Grid {
    cols: usize,
    rows: usize,
    cells: Vec<Cell>,
    first: usize,
    cx: usize,
    cy: usize,
    fg: Color,
    damage: Vec<Span>,
    scrolled: usize,
    utf8: Utf8,
    esc: EscParser,
}

impl Grid {
    /// A blank grid, or `None` if a dimension is 0 or the heap cannot
    /// hold it (allocation failure is reported, not a panic).
    pub fn new(cols: usize, rows: usize) -> Option<Grid> {
        if cols == 0 || rows == 0 {
            return None;
        }
        let mut cells = Vec::new();
        cells.try_reserve_exact(cols.checked_mul(rows)?).ok()?;
        cells.resize(cols * rows, Cell::BLANK);
        let mut damage = Vec::new();
        damage.try_reserve_exact(rows).ok()?;
        damage.resize(rows, CLEAN);
        Some(Grid {
            cols, rows, cells, first: 0, cx: 0, cy: 0, fg: Color::Default, damage, scrolled: 0,
            utf8: Utf8::new(), esc: EscParser::new(),
        })
    }

    /// (rows, columns).
    pub fn size(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The cursor as (column, row). The column equals `cols` when the
    /// last column was just written: the next character wraps first.
    pub fn cursor(&self) -> (usize, usize) {
        (self.cx, self.cy)
    }

    /// The current foreground colour (set by SGR).
    pub fn color(&self) -> Color {
        self.fg
    }

    /// The cells of visible row `row` (panics if `row >= rows`).
    pub fn row(&self, row: usize) -> &[Cell] {
        let start = self.row_start(row);
        &self.cells[start..start + self.cols]
    }

    /// The cell at visible `row`, column `col` (panics if out of range).
    pub fn cell(&self, row: usize, col: usize) -> Cell {
        self.row(row)[col]
    }

    /// Feed raw bytes: UTF-8 text with escapes.
    pub fn write_bytes(&mut self, bytes: &[u8], hooks: &mut impl Hooks) {
        for &b in bytes {
            let mut utf8 = self.utf8;
            utf8.push(b, |c| self.put(c.unwrap_or('?'), hooks));
            // `put` never touches the decoder, so this is the whole update.
            self.utf8 = utf8;
        }
    }

    /// Feed characters (an open UTF-8 sequence from `write_bytes` stays
    /// open for the next `write_bytes`).
    pub fn write_str(&mut self, s: &str, hooks: &mut impl Hooks) {
        s.chars().for_each(|c| self.put(c, hooks));
    }

    /// Forget any half-read character or escape and start a fresh line
    /// (after the caller skipped part of a write).
    pub fn restart_line(&mut self, hooks: &mut impl Hooks) {
        self.utf8.reset();
        self.esc.reset();
        if self.cx != 0 {
            self.newline(hooks);
        }
    }

    /// Feed one character through the escape recogniser.
    pub fn put(&mut self, c: char, hooks: &mut impl Hooks) {
        match self.esc.feed(c) {
            Action::None => {}
            Action::Csi(cmd, params) => self.csi(cmd, &params),
            Action::Char('\n') => self.newline(hooks),
            Action::Char('\r') => self.cx = 0,
            Action::Char('\t') => {
                let stop = ((self.cx / 8 + 1) * 8).min(self.cols);
                while self.cx < stop {
                    self.print(' ', hooks);
                }
            }
            Action::Char('\x08') => self.cx = self.cx.saturating_sub(1),
            Action::Char(c) if (c as u32) < 0x20 || ('\x7f'..'\u{a0}').contains(&c) => {}
            Action::Char(c) => self.print(c, hooks),
        }
    }

    fn csi(&mut self, cmd: char, params: &Params) {
        match cmd {
            'm' => params.as_slice().iter().for_each(|&p| self.sgr(p)),
            'H' | 'f' => {
                let row = params.get(0).map_or(1, |p| usize::from(p.max(1)));
                let col = params.get(1).map_or(1, |p| usize::from(p.max(1)));
                self.cy = (row - 1).min(self.rows - 1);
                self.cx = (col - 1).min(self.cols - 1);
            }
            'J' if params.get(0) == Some(2) => {
                self.cells.fill(Cell::BLANK);
                self.damage.fill(WHOLE);
            }
            'K' => {
                let (row, from) = (self.cy, self.cx.min(self.cols));
                let start = self.row_start(row);
                self.cells[start + from..start + self.cols].fill(Cell::BLANK);
                self.mark(row, from, self.cols);
            }
            _ => {}
        }
    }

    /// One SGR parameter: 0/39 default, 1 brightens colours 0–7, 30–37 and
    /// 90–97 pick a colour; anything else is ignored.
    fn sgr(&mut self, p: u16) {
        self.fg = match (p, self.fg) {
            (0 | 39, _) => Color::Default,
            (1, Color::Ansi(i)) if i < 8 => Color::Ansi(i + 8),
            (30..=37, _) => Color::Ansi((p - 30) as u8),
            (90..=97, _) => Color::Ansi((p - 90 + 8) as u8),
            (_, fg) => fg,
        };
    }

    fn print(&mut self, ch: char, hooks: &mut impl Hooks) {
        if self.cx >= self.cols {
            self.newline(hooks);
        }
        let attr = Attr { fg: self.fg, alert: hooks.alert() };
        let (row, col) = (self.cy, self.cx);
        let idx = self.row_start(row) + col;
        self.cells[idx] = Cell { ch, attr };
        self.mark(row, col, col + 1);
        self.cx = col + 1;
    }

    fn newline(&mut self, hooks: &mut impl Hooks) {
        self.cx = 0;
        if self.cy + 1 < self.rows {
            self.cy += 1;
            return;
        }
        let k = hooks.scroll_rows().clamp(1, self.rows);
        for _ in 0..k {
            self.scroll_one();
        }
        self.cy = self.rows - k;
    }

    /// Scroll by one row: the old top row becomes the new, blank, bottom row.
    fn scroll_one(&mut self) {
        let start = self.row_start(0);
        self.cells[start..start + self.cols].fill(Cell::BLANK);
        self.first = (self.first + 1) % self.rows;
        self.damage.rotate_left(1);
        self.damage[self.rows - 1] = WHOLE;
        self.scrolled = (self.scrolled + 1).min(self.rows);
    }

    fn row_start(&self, row: usize) -> usize {
        ((self.first + row) % self.rows) * self.cols
    }

    /// Mark columns `lo..hi` of visible row `row` as needing a redraw
    /// (e.g. where the painter drew a cursor). `hi` is clamped to `cols`.
    pub fn mark(&mut self, row: usize, lo: usize, hi: usize) {
        let span = &mut self.damage[row];
        span.lo = span.lo.min(lo);
        span.hi = span.hi.max(hi.min(self.cols));
    }

    /// Mark every row for a whole redraw.
    pub fn mark_all(&mut self) {
        self.damage.fill(WHOLE);
    }

    /// Rows scrolled since the last call (at most `rows`; `rows` means
    /// "everything scrolled away": every row is marked whole anyway).
    pub fn take_scrolled(&mut self) -> usize {
        core::mem::take(&mut self.scrolled)
    }

    /// The damage of visible row `row`, without clearing it.
    pub fn damage(&self, row: usize) -> Option<Damage> {
        let span = self.damage[row];
        if span.whole {
            Some(Damage::Whole)
        } else if span.lo < span.hi {
            Some(Damage::Cols { lo: span.lo, hi: span.hi })
        } else {
            None
        }
    }

    /// The damage of visible row `row`; the row is clean afterwards.
    pub fn take_damage(&mut self, row: usize) -> Option<Damage> {
        let d = self.damage(row);
        self.damage[row] = CLEAN;
        d
    }

    /// Whether any row is damaged or a scroll is pending.
    pub fn is_damaged(&self) -> bool {
        self.scrolled > 0 || (0..self.rows).any(|r| self.damage(r).is_some())
    }
}

impl core::fmt::Write for Grid {
    /// Characters with the default [`Hooks`] (one-row scroll, not alert).
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        Grid::write_str(self, s, &mut ());
        Ok(())
    }
}
