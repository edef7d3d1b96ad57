//! The console's text grid on the framebuffer: the painter around the
//! host-tested terminal of the `mello-vt` crate.
//!
//! `mello_vt::Grid` does the terminal logic (UTF-8, escapes, cursor, wrap,
//! scrolling in a ring of rows) and records damage: per row a span of
//! changed columns or "whole row", and the rows scrolled since the last
//! flush. [`Screen`] adds what needs pixels and time: glyphs (characters
//! without one show as `?`), colours (the ANSI palette; ✨ ✓ ✗ have a colour
//! of their own in the default colour; text printed during a panic is
//! red), the drawn cursor, and jump scroll (scrolls closer together than
//! [`BURST_TICKS`] move a quarter screen at once). [`Screen::flush_step`]
//! does a bounded piece of the screen update.
//!
//! Invariants, true between any two statements (the panic path may take
//! over a screen whose owner stopped mid-update): those of `Grid`, and
//! `cursor_drawn`, when set, is a cell inside the grid whose pixels show
//! the cursor bar. No locking here: the owner (`console`) holds its lock
//! around every call.

use crate::font::{self, Glyph, HEIGHT as GH, WIDTH as GW};
use crate::framebuffer::Framebuffer;
use core::fmt;
use mello_vt::{Cell, Color, Damage, Grid, Hooks};

pub use mello_vt::visible_tail;

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

/// The pixel colour of a cell's character.
fn cell_color(cell: Cell) -> u32 {
    match cell.attr {
        a if a.alert => PANIC_FG,
        a => match a.fg {
            Color::Default => default_color_for(cell.ch).unwrap_or(FG),
            Color::Ansi(i) => PALETTE[usize::from(i) % PALETTE.len()],
        },
    }
}

/// The kernel's answers to the grid: jump scroll during bursts, and red
/// text while panicking.
struct Policy {
    /// Rows to scroll at once during a burst, and when the last scroll was.
    jump: usize,
    last_scroll: u64,
}

impl Hooks for Policy {
    fn scroll_rows(&mut self) -> usize {
        // Each scroll costs a screenful of pixel copying: batch them.
        let now = crate::arch::cpu::rdtsc();
        let burst = now.wrapping_sub(self.last_scroll) < BURST_TICKS;
        self.last_scroll = now;
        if burst { self.jump } else { 1 }
    }

    fn alert(&mut self) -> bool {
        crate::panic::panicking()
    }
}

pub struct Screen {
    grid: Grid,
    policy: Policy,
    /// Pixel position of the grid's top-left corner.
    origin: (usize, usize),
    /// The cell whose pixels show the cursor, if any.
    cursor_drawn: Option<(usize, usize)>,
}

impl Screen {
    /// A blank `cols`×`rows` grid whose top-left corner is at pixel
    /// `origin`, or `None` if the heap cannot hold it.
    pub fn new(cols: usize, rows: usize, origin: (usize, usize)) -> Option<Screen> {
        let grid = Grid::new(cols, rows)?;
        Some(Screen { grid, policy: Policy { jump: (rows / 4).max(1), last_scroll: 0 }, origin, cursor_drawn: None })
    }

    /// (rows, columns).
    pub fn size(&self) -> (usize, usize) {
        self.grid.size()
    }

    /// Feed raw bytes (UTF-8 text with escapes).
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        self.grid.write_bytes(bytes, &mut self.policy);
    }

    /// Forget any half-read character or escape and start a fresh line
    /// (after skipping part of a write).
    pub fn restart_line(&mut self) {
        self.grid.restart_line(&mut self.policy);
    }

    /// Do a bounded piece of the screen update: the pending scroll (one
    /// bulk copy), else up to `max_rows` changed rows, else the cursor.
    /// Returns whether work remains.
    pub fn flush_step(&mut self, fb: &mut Framebuffer, max_rows: usize) -> bool {
        let (rows, cols) = self.grid.size();
        let scrolled = self.grid.take_scrolled();
        if scrolled > 0 {
            if scrolled >= rows {
                self.grid.mark_all();
            } else {
                let top = self.origin.1;
                fb.move_up(top, top + rows * CELL_H, scrolled * CELL_H);
            }
            // The drawn cursor moved up with the pixels (or off the top):
            // its cell must be redrawn clean.
            if let Some((x, y)) = self.cursor_drawn.take() {
                if let Some(y) = y.checked_sub(scrolled) {
                    self.grid.mark(y, x, x + 1);
                }
            }
            return true;
        }
        let mut drawn = 0;
        for row in 0..rows {
            if let Some(damage) = self.grid.take_damage(row) {
                self.draw_row(fb, row, damage);
                drawn += 1;
                if drawn == max_rows {
                    return true;
                }
            }
        }
        let (cx, cy) = self.grid.cursor();
        let want = (cx.min(cols - 1), cy);
        if self.cursor_drawn != Some(want) {
            if let Some((x, y)) = self.cursor_drawn {
                self.draw_row(fb, y, Damage::Cols { lo: x, hi: x + 1 });
            }
            let (x, y) = (self.origin.0 + want.0 * CELL_W, self.origin.1 + want.1 * CELL_H);
            fb.fill_rect(x, y + GH, CELL_W, CELL_H - GH, FG);
            self.cursor_drawn = Some(want);
        }
        false
    }

    /// Paint `damage` of `row` (its cells and the gap under them).
    fn draw_row(&mut self, fb: &mut Framebuffer, row: usize, damage: Damage) {
        let cols = self.grid.size().1;
        let (x0, y) = (self.origin.0, self.origin.1 + row * CELL_H);
        let (lo, hi, whole) = match damage {
            Damage::Whole => (0, cols, true),
            Damage::Cols { lo, hi } => (lo, hi.min(cols), false),
        };
        if whole {
            fb.fill_rect(0, y, fb.width(), CELL_H, BG);
        } else {
            fb.fill_rect(x0 + lo * CELL_W, y + GH, (hi - lo) * CELL_W, CELL_H - GH, BG);
        }
        if matches!(self.cursor_drawn, Some((x, r)) if r == row && (lo..hi).contains(&x)) {
            self.cursor_drawn = None;
        }
        for (col, &cell) in self.grid.row(row).iter().enumerate().take(hi).skip(lo) {
            let glyph = font::glyph_or_replacement(cell.ch);
            if !(whole && *glyph == BLANK) {
                fb.draw_glyph(x0 + col * CELL_W, y, glyph, 1, cell_color(cell), BG);
            }
        }
    }
}

impl fmt::Write for Screen {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.grid.write_str(s, &mut self.policy);
        Ok(())
    }
}
