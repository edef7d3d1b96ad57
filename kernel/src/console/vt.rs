//! The console's shadow text grid and the terminal logic on top of it.
//!
//! [`Screen`] turns a byte or character stream into cells: UTF-8 decoding
//! (a sequence split across writes is completed by the next write; invalid
//! bytes and characters without a glyph show as `?`), newline, carriage
//! return, tab, backspace, line wrap, scrolling, and the few ANSI escape
//! sequences a log or a small user program uses (SGR colours 30–37, 90–97,
//! 39, 0, 1; `ESC[H`, `ESC[2J`, `ESC[K`). Other escapes are swallowed.
//!
//! Rows are a ring (`first` is the top row), so scrolling one line costs
//! O(columns), not a copy of the grid. The grid tracks what the screen
//! lacks: per row a span of changed columns (or "repaint whole row"), the
//! number of rows scrolled since the last flush, and where the cursor was
//! drawn. [`Screen::flush_step`] does a bounded piece of that work.
//!
//! Invariants, true between any two statements (the panic path may take
//! over a grid whose owner stopped mid-update): `cy < rows`, `cx <= cols`
//! (`cx == cols` means the next character wraps first), `first < rows`,
//! `cells.len() == rows * cols`, `dirty.len() == rows`. No locking here:
//! the owner (`console`) holds its lock around every call.

use crate::font::{self, Glyph, HEIGHT as GH, WIDTH as GW};
use crate::framebuffer::Framebuffer;
use alloc::vec::Vec;
use core::fmt;

/// Background and default text colours (0x00RRGGBB).
pub const BG: u32 = 0x000C_1018;
const FG: u32 = 0x00C8_CCD4;
const PANIC_FG: u32 = 0x00FF_5C5C;
/// ANSI colours 0–7 and their bright variants 8–15.
const PALETTE: [u32; 16] = [
    0x0000_0000, 0x00CD_3131, 0x000D_BC79, 0x00E5_E510, 0x0024_72C8, 0x00BC_3FBC, 0x0011_A8CD, 0x00E5_E5E5,
    0x0066_6666, 0x00F1_4C4C, 0x0023_D18B, 0x00F5_F543, 0x003B_8EEA, 0x00D6_70D6, 0x0029_B8DB, 0x00FF_FFFF,
];
const BLANK: Glyph = [0; 8];
/// A character cell: one glyph plus a gap under it, so lines do not touch.
pub const CELL_W: usize = GW;
pub const CELL_H: usize = GH + 2;
/// Two scrolls closer than this many TSC ticks (~8 ms at 2 GHz) make a
/// burst: the grid then scrolls a quarter screen at once (jump scroll).
const BURST_TICKS: u64 = 16_000_000;

/// Characters with a colour of their own when printed in the default colour.
pub fn default_color_for(c: char) -> Option<u32> {
    match c {
        '\u{2728}' => Some(0x00FF_C83D), // ✨ gold
        '\u{2713}' => Some(0x0055_DD77), // ✓ green
        '\u{2717}' => Some(0x00FF_5C5C), // ✗ red
        _ => None,
    }
}

#[derive(Clone, Copy)]
struct Cell {
    glyph: &'static Glyph,
    fg: u32,
}

const EMPTY_CELL: Cell = Cell { glyph: &BLANK, fg: FG };

/// Columns `[lo, hi)` of a row to redraw; `clear`: repaint the whole row.
#[derive(Clone, Copy)]
struct Span {
    lo: usize,
    hi: usize,
    clear: bool,
}

const CLEAN: Span = Span { lo: usize::MAX, hi: 0, clear: false };
const WHOLE: Span = Span { lo: usize::MAX, hi: 0, clear: true };

enum Esc {
    None,
    Esc,
    Csi { params: [u16; 4], n: usize },
}

pub struct Screen {
    cols: usize,
    rows: usize,
    /// Pixel position of the grid's top-left corner.
    origin: (usize, usize),
    cells: Vec<Cell>,
    first: usize,
    cx: usize,
    cy: usize,
    fg: u32,
    dirty: Vec<Span>,
    /// Rows scrolled in the grid but not yet on the screen (at most `rows`).
    scrolled: usize,
    cursor_drawn: Option<(usize, usize)>,
    /// Rows to scroll at once during a burst, and when the last scroll was.
    jump: usize,
    last_scroll: u64,
    utf8: (u32, u8),
    esc: Esc,
}

impl Screen {
    /// A blank `cols`×`rows` grid whose top-left corner is at pixel
    /// `origin`, or `None` if the heap cannot hold it.
    pub fn new(cols: usize, rows: usize, origin: (usize, usize)) -> Option<Screen> {
        let mut cells = Vec::new();
        cells.try_reserve_exact(cols * rows).ok()?;
        cells.resize(cols * rows, EMPTY_CELL);
        let mut dirty = Vec::new();
        dirty.try_reserve_exact(rows).ok()?;
        dirty.resize(rows, CLEAN);
        Some(Screen {
            cols, rows, origin, cells, first: 0, cx: 0, cy: 0, fg: FG, dirty,
            scrolled: 0, cursor_drawn: None, jump: (rows / 4).max(1), last_scroll: 0,
            utf8: (0, 0), esc: Esc::None,
        })
    }

    /// (rows, columns).
    pub fn size(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Feed raw bytes (UTF-8 text with escapes).
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let (cp, need) = self.utf8;
            if need > 0 {
                if b & 0xC0 == 0x80 {
                    let cp = (cp << 6) | (b & 0x3F) as u32;
                    self.utf8 = (cp, need - 1);
                    if need == 1 {
                        self.put(char::from_u32(cp).unwrap_or('?'));
                    }
                    continue;
                }
                self.utf8 = (0, 0);
                self.put('?'); // truncated sequence; `b` starts afresh
            }
            match b {
                0x00..=0x7F => self.put(b as char),
                0xC2..=0xDF => self.utf8 = ((b & 0x1F) as u32, 1),
                0xE0..=0xEF => self.utf8 = ((b & 0x0F) as u32, 2),
                0xF0..=0xF4 => self.utf8 = ((b & 0x07) as u32, 3),
                _ => self.put('?'),
            }
        }
    }

    /// Forget any half-read character or escape and start a fresh line
    /// (after skipping part of a write).
    pub fn restart_line(&mut self) {
        self.utf8 = (0, 0);
        self.esc = Esc::None;
        if self.cx != 0 {
            self.newline();
        }
    }

    fn put(&mut self, c: char) {
        match &mut self.esc {
            Esc::None => {}
            Esc::Esc => {
                self.esc = if c == '[' { Esc::Csi { params: [0; 4], n: 0 } } else { Esc::None };
                return;
            }
            Esc::Csi { params, n } => {
                match c {
                    '0'..='9' => {
                        let p = &mut params[*n];
                        *p = p.saturating_mul(10).saturating_add(c as u16 - b'0' as u16);
                    }
                    ';' => *n = (*n + 1).min(3),
                    '@'..='~' => {
                        let (params, n) = (*params, *n + 1);
                        self.esc = Esc::None;
                        self.csi(c, &params[..n]);
                    }
                    _ => {}
                }
                return;
            }
        }
        match c {
            '\n' => self.newline(),
            '\r' => self.cx = 0,
            '\t' => {
                let stop = ((self.cx / 8 + 1) * 8).min(self.cols);
                while self.cx < stop {
                    self.print(' ');
                }
            }
            '\x08' => self.cx = self.cx.saturating_sub(1),
            '\x1b' => self.esc = Esc::Esc,
            c if (c as u32) < 0x20 || ('\x7f'..'\u{a0}').contains(&c) => {}
            c => self.print(c),
        }
    }

    fn csi(&mut self, cmd: char, params: &[u16]) {
        match cmd {
            'm' => {
                for &p in params {
                    self.fg = match p {
                        0 | 39 => FG,
                        1 => PALETTE.iter().position(|&c| c == self.fg).filter(|&i| i < 8).map_or(self.fg, |i| PALETTE[i + 8]),
                        30..=37 => PALETTE[p as usize - 30],
                        90..=97 => PALETTE[p as usize - 90 + 8],
                        _ => self.fg,
                    };
                }
            }
            'H' | 'f' => {
                let row = params.first().map_or(1, |&p| p.max(1) as usize);
                let col = params.get(1).map_or(1, |&p| p.max(1) as usize);
                self.cy = (row - 1).min(self.rows - 1);
                self.cx = (col - 1).min(self.cols - 1);
            }
            'J' if params.first() == Some(&2) => {
                self.cells.fill(EMPTY_CELL);
                self.dirty.fill(WHOLE);
            }
            'K' => {
                let (row, from) = (self.cy, self.cx.min(self.cols));
                let start = self.row_start(row);
                self.cells[start + from..start + self.cols].fill(EMPTY_CELL);
                self.mark(row, from, self.cols);
            }
            _ => {}
        }
    }

    fn print(&mut self, c: char) {
        if self.cx >= self.cols {
            self.newline();
        }
        let glyph = font::glyph_or_replacement(c);
        let fg = if crate::panic::panicking() {
            PANIC_FG
        } else if self.fg == FG {
            default_color_for(c).unwrap_or(FG)
        } else {
            self.fg
        };
        let (row, col) = (self.cy, self.cx);
        let idx = self.row_start(row) + col;
        self.cells[idx] = Cell { glyph, fg };
        self.mark(row, col, col + 1);
        self.cx = col + 1;
    }

    fn newline(&mut self) {
        self.cx = 0;
        if self.cy + 1 < self.rows {
            self.cy += 1;
            return;
        }
        // Scroll; by `jump` rows if the last scroll was a moment ago (each
        // scroll costs a screenful of pixel copying, so batch them).
        let now = crate::arch::cpu::rdtsc();
        let k = if now.wrapping_sub(self.last_scroll) < BURST_TICKS { self.jump } else { 1 };
        self.last_scroll = now;
        for _ in 0..k {
            self.scroll_one();
        }
        self.cy = self.rows - k;
    }

    /// Scroll by one row: the old top row becomes the new, blank, bottom row.
    fn scroll_one(&mut self) {
        let start = self.row_start(0);
        self.cells[start..start + self.cols].fill(EMPTY_CELL);
        self.first = (self.first + 1) % self.rows;
        self.dirty.rotate_left(1);
        self.dirty[self.rows - 1] = WHOLE;
        self.scrolled = (self.scrolled + 1).min(self.rows);
        self.cursor_drawn = self.cursor_drawn.and_then(|(x, y)| Some((x, y.checked_sub(1)?)));
    }

    fn row_start(&self, row: usize) -> usize {
        ((self.first + row) % self.rows) * self.cols
    }

    fn mark(&mut self, row: usize, lo: usize, hi: usize) {
        let span = &mut self.dirty[row];
        span.lo = span.lo.min(lo);
        span.hi = span.hi.max(hi);
    }

    /// Do a bounded piece of the screen update: the pending scroll (one
    /// bulk copy), else up to `max_rows` changed rows, else the cursor.
    /// Returns whether work remains.
    pub fn flush_step(&mut self, fb: &mut Framebuffer, max_rows: usize) -> bool {
        if self.scrolled > 0 {
            let s = core::mem::take(&mut self.scrolled);
            if s >= self.rows {
                self.dirty.fill(WHOLE);
            } else {
                let top = self.origin.1;
                fb.move_up(top, top + self.rows * CELL_H, s * CELL_H);
            }
            // The drawn cursor moved with the pixels (`newline` tracked it):
            // make its cell clean again.
            if let Some((x, y)) = self.cursor_drawn.take() {
                self.mark(y, x, x + 1);
            }
            return true;
        }
        let mut drawn = 0;
        for row in 0..self.rows {
            let span = self.dirty[row];
            if span.clear || span.lo < span.hi {
                self.draw_row(fb, row, span);
                drawn += 1;
                if drawn == max_rows {
                    return true;
                }
            }
        }
        let want = (self.cx.min(self.cols - 1), self.cy);
        if self.cursor_drawn != Some(want) {
            if let Some((x, y)) = self.cursor_drawn {
                self.draw_row(fb, y, Span { lo: x, hi: x + 1, clear: false });
            }
            let (x, y) = (self.origin.0 + want.0 * CELL_W, self.origin.1 + want.1 * CELL_H);
            fb.fill_rect(x, y + GH, CELL_W, CELL_H - GH, FG);
            self.cursor_drawn = Some(want);
        }
        false
    }

    fn draw_row(&mut self, fb: &mut Framebuffer, row: usize, span: Span) {
        self.dirty[row] = CLEAN;
        let (x0, y) = (self.origin.0, self.origin.1 + row * CELL_H);
        let (lo, hi) = if span.clear { (0, self.cols) } else { (span.lo, span.hi.min(self.cols)) };
        if span.clear {
            fb.fill_rect(0, y, fb.width(), CELL_H, BG);
        } else {
            fb.fill_rect(x0 + lo * CELL_W, y + GH, (hi - lo) * CELL_W, CELL_H - GH, BG);
        }
        if matches!(self.cursor_drawn, Some((x, r)) if r == row && (lo..hi).contains(&x)) {
            self.cursor_drawn = None;
        }
        let start = self.row_start(row);
        for col in lo..hi {
            let cell = self.cells[start + col];
            if !(span.clear && *cell.glyph == BLANK) {
                fb.draw_glyph(x0 + col * CELL_W, y, cell.glyph, 1, cell.fg, BG);
            }
        }
    }
}

impl fmt::Write for Screen {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.chars().for_each(|c| self.put(c));
        Ok(())
    }
}

/// The part of `bytes` that can still be on a `rows`×`cols` screen after
/// writing all of it: at most the last `rows` lines and `rows * cols`
/// characters (4 bytes each at most). Earlier text would scroll away.
pub fn visible_tail(bytes: &[u8], rows: usize, cols: usize) -> &[u8] {
    let budget = rows * cols * 4;
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
