//! The console's 8×8 bitmap font.
//!
//! Glyphs come from the public-domain `font8x8` tables (Basic Latin,
//! Latin-1, Greek, box drawing and block elements) plus a few hand-made
//! glyphs for characters the kernel and the spec print that those tables
//! lack: ✨ (U+2728, in the spec's on-screen greeting), ✓ ✗ → ← – — • ….
//!
//! A [`Glyph`] is eight rows, top first; in each row bit 0 is the leftmost
//! pixel (the `font8x8` convention). [`glyph`] returns `None` for characters
//! without a glyph so the caller can show a replacement (the console shows
//! `?`). Control characters have no glyph. Everything here is immutable
//! data: no locking needed.

#![forbid(unsafe_code)]

use font8x8::legacy::{BASIC_LEGACY, BLOCK_LEGACY, BOX_LEGACY, GREEK_LEGACY, LATIN_LEGACY};

/// Glyph width and height in pixels.
pub const WIDTH: usize = 8;
pub const HEIGHT: usize = 8;

/// Eight rows of eight pixels; bit 0 of each row is the leftmost pixel.
pub type Glyph = [u8; 8];

/// ✨ SPARKLES (U+2728): a large four-pointed star with a small one above
/// it to the right.
///
/// ```text
/// . . . . . . # .
/// . . . # . # # #
/// . . . # . . # .
/// . . # # # . . .
/// # # # # # # # .
/// . . # # # . . .
/// . . . # . . . #
/// . . . # . . . .
/// ```
pub const SPARKLES: Glyph = [0x40, 0xE8, 0x48, 0x1C, 0x7F, 0x1C, 0x88, 0x08];

/// ✓ CHECK MARK (U+2713).
const CHECK: Glyph = [0x00, 0x80, 0xC0, 0x60, 0x33, 0x1E, 0x0C, 0x00];
/// ✗ BALLOT X (U+2717).
const BALLOT_X: Glyph = [0x00, 0x63, 0x36, 0x1C, 0x1C, 0x36, 0x63, 0x00];
/// → RIGHTWARDS ARROW (U+2192).
const RIGHT_ARROW: Glyph = [0x00, 0x10, 0x30, 0x7F, 0x30, 0x10, 0x00, 0x00];
/// ← LEFTWARDS ARROW (U+2190).
const LEFT_ARROW: Glyph = [0x00, 0x04, 0x06, 0x7F, 0x06, 0x04, 0x00, 0x00];
/// – EN DASH (U+2013).
const EN_DASH: Glyph = [0x00, 0x00, 0x00, 0x3E, 0x00, 0x00, 0x00, 0x00];
/// — EM DASH (U+2014).
const EM_DASH: Glyph = [0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00];
/// • BULLET (U+2022).
const BULLET: Glyph = [0x00, 0x00, 0x1C, 0x3E, 0x3E, 0x1C, 0x00, 0x00];
/// … HORIZONTAL ELLIPSIS (U+2026).
const ELLIPSIS: Glyph = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x49, 0x00];

/// Hand-made glyphs, looked up by exact character.
const EXTRA: [(char, Glyph); 9] = [
    ('\u{2728}', SPARKLES),
    ('\u{2713}', CHECK),
    ('\u{2717}', BALLOT_X),
    ('\u{2192}', RIGHT_ARROW),
    ('\u{2190}', LEFT_ARROW),
    ('\u{2013}', EN_DASH),
    ('\u{2014}', EM_DASH),
    ('\u{2022}', BULLET),
    ('\u{2026}', ELLIPSIS),
];

/// `font8x8` tables and the first code point each covers.
const TABLES: [(u32, &[Glyph]); 5] = [
    (0x0000, &BASIC_LEGACY),
    (0x00A0, &LATIN_LEGACY),
    (0x0390, &GREEK_LEGACY),
    (0x2500, &BOX_LEGACY),
    (0x2580, &BLOCK_LEGACY),
];

/// The glyph for `c`, or `None` if the font has none (or `c` is a control
/// character).
pub fn glyph(c: char) -> Option<&'static Glyph> {
    let cp = c as u32;
    if cp < 0x20 || (0x7F..0xA0).contains(&cp) {
        return None;
    }
    if let Some((_, g)) = EXTRA.iter().find(|(ch, _)| *ch == c) {
        return Some(g);
    }
    TABLES.iter().find_map(|&(first, table)| table.get(cp.checked_sub(first)? as usize))
}

/// The glyph for `c`, or the glyph for `?` if the font has none.
pub fn glyph_or_replacement(c: char) -> &'static Glyph {
    glyph(c).unwrap_or(&BASIC_LEGACY[b'?' as usize])
}
