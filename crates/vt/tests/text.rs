//! Text handling of the grid: UTF-8 (multi-byte, split across writes,
//! invalid sequences compared with `String::from_utf8_lossy`), CR, LF,
//! BS, TAB, wrapping at the last column, scrolling at the bottom (one row
//! and jump scroll), and the damage the grid reports for each.

use mello_vt::{visible_tail, Attr, Cell, Damage, Grid, Hooks};

/// Visible rows as strings, trailing blanks trimmed.
fn screen(g: &Grid) -> Vec<String> {
    let (rows, _) = g.size();
    (0..rows).map(|r| g.row(r).iter().map(|c| c.ch).collect::<String>().trim_end().to_string()).collect()
}

fn grid(cols: usize, rows: usize, input: &[u8]) -> Grid {
    let mut g = Grid::new(cols, rows).unwrap();
    g.write_bytes(input, &mut ());
    g
}

#[test]
fn new_grid_is_blank_and_rejects_empty_sizes() {
    let g = Grid::new(3, 2).unwrap();
    assert_eq!(g.size(), (2, 3));
    assert_eq!(g.cursor(), (0, 0));
    assert!(g.row(1).iter().all(|&c| c == Cell::BLANK));
    assert!(!g.is_damaged());
    assert!(Grid::new(0, 5).is_none() && Grid::new(5, 0).is_none());
    assert!(Grid::new(usize::MAX, 2).is_none(), "overflowing size is refused, not a panic");
}

#[test]
fn utf8_multibyte_and_split_across_writes() {
    let g = grid(20, 2, "Hello from MelloOS ✨".as_bytes());
    assert_eq!(screen(&g)[0], "Hello from MelloOS ✨");
    assert_eq!(g.cursor(), (20, 0), "cursor waits at the edge, no wrap yet");

    let mut g = Grid::new(10, 1).unwrap();
    for part in ["é€".as_bytes(), &"😀".as_bytes()[..1]] {
        g.write_bytes(part, &mut ());
    }
    g.write_bytes(&"😀".as_bytes()[1..3], &mut ());
    assert_eq!(screen(&g)[0], "é€");
    g.write_bytes(&"😀".as_bytes()[3..], &mut ());
    assert_eq!(screen(&g)[0], "é€😀");
}

#[test]
fn invalid_utf8_shows_one_question_mark_per_bad_sequence() {
    let cases: &[(&[u8], &str)] = &[
        (b"a\x80b", "a?b"),
        (b"\xC0\x80", "??"),             // overlong NUL
        (b"\xE0\x80\x80", "???"),        // overlong 3-byte form
        (b"\xED\xA0\x80", "???"),        // surrogate
        (b"\xF4\x90\x80\x80", "????"),   // above U+10FFFF
        (b"\xE2\x9Cx", "?x"),            // truncated, then a fresh byte
        (b"\xF0\x9F\x98", "")            // incomplete at the end: still pending
    ];
    for &(input, want) in cases {
        assert_eq!(screen(&grid(10, 1, input))[0], want, "{input:x?}");
    }
}

#[test]
fn utf8_matches_from_utf8_lossy() {
    let mut x: u32 = 12345;
    let mut rnd = move || {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (x >> 16) as u8
    };
    let interesting = [0x41, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0xA0, 0x9F, 0x90, 0x8F];
    for _ in 0..3000 {
        let len = 1 + rnd() as usize % 12;
        let bytes: Vec<u8> = (0..len).map(|_| interesting[rnd() as usize % interesting.len()]).chain([b'.']).collect();
        // Decoded C1 controls (U+0080..U+009F) print nothing.
        let want: String = String::from_utf8_lossy(&bytes)
            .chars()
            .filter(|c| !('\u{80}'..'\u{a0}').contains(c))
            .map(|c| if c == '\u{FFFD}' { '?' } else { c })
            .collect();
        let g = grid(64, 1, &bytes);
        let got: String = g.row(0).iter().map(|c| c.ch).collect::<String>().trim_end().to_string();
        assert_eq!(got, want, "{bytes:x?}");
    }
}

#[test]
fn cr_lf_bs_tab() {
    let g = grid(20, 3, b"abc\rX\nline2\x08\x08Z\n\tT\x07");
    assert_eq!(screen(&g), ["Xbc", "linZ2", "        T"]);
    assert_eq!(g.cursor(), (9, 2));
    // A tab stops at the last column; backspace at column 0 stays there.
    let g = grid(10, 2, b"abcdefghi\tX\x08\x08\x08");
    assert_eq!(screen(&g), ["abcdefghi", "X"]);
    assert_eq!(g.cursor(), (0, 1));
    let g = grid(8, 2, b"\x08\x08a");
    assert_eq!(g.cursor(), (1, 0));
}

#[test]
fn wrap_at_the_last_column() {
    let mut g = grid(4, 3, b"abcd");
    assert_eq!(g.cursor(), (4, 0));
    g.write_bytes(b"e", &mut ());
    assert_eq!(screen(&g), ["abcd", "e", ""]);
    // A newline right at the edge does not make an extra blank line.
    let g = grid(4, 3, b"abcd\nx");
    assert_eq!(screen(&g), ["abcd", "x", ""]);
    // Backspace from the pending-wrap position overwrites the last column.
    let g = grid(4, 2, b"abcd\x08Z");
    assert_eq!(screen(&g), ["abcZ", ""]);
}

#[test]
fn scroll_at_the_bottom() {
    let mut g = grid(5, 3, b"1\n2\n3");
    assert_eq!(g.take_scrolled(), 0);
    g.write_bytes(b"\n4", &mut ());
    assert_eq!(screen(&g), ["2", "3", "4"]);
    assert_eq!(g.cursor(), (1, 2));
    assert_eq!(g.take_scrolled(), 1);
    assert_eq!(g.take_scrolled(), 0, "taking clears it");
    // The row that scrolled in is damaged whole; damage moved up with its row.
    assert_eq!(g.damage(2), Some(Damage::Whole));
    assert_eq!(g.damage(1), Some(Damage::Cols { lo: 0, hi: 1 }), "'3' moved up with its damage");
    g.write_bytes(b"\n\n\n\n\n\n\n", &mut ());
    assert_eq!(g.take_scrolled(), 3, "capped at the screen height");
    assert_eq!(screen(&g), ["", "", ""]);
}

struct Jump(usize, bool);

impl Hooks for Jump {
    fn scroll_rows(&mut self) -> usize {
        self.0
    }
    fn alert(&mut self) -> bool {
        self.1
    }
}

#[test]
fn jump_scroll_and_alert_text() {
    let mut g = grid(5, 4, b"a\nb\nc\nd");
    g.write_bytes(b"\ne", &mut Jump(2, true));
    assert_eq!(screen(&g), ["c", "d", "e", ""]);
    assert_eq!(g.cursor(), (1, 2), "cursor two rows up from the bottom");
    assert_eq!(g.take_scrolled(), 2);
    assert_eq!(g.cell(2, 0), Cell { ch: 'e', attr: Attr { alert: true, ..Attr::DEFAULT } });
    assert!(!g.cell(0, 0).attr.alert);
    // Asking for more rows than the screen has scrolls a screenful.
    g.write_bytes(b"\nf\n", &mut Jump(99, false));
    assert_eq!(g.cursor(), (0, 0));
    assert_eq!(screen(&g), ["", "", "", ""]);
    assert_eq!(g.take_scrolled(), 4);
}

#[test]
fn damage_spans_and_marks() {
    let mut g = grid(10, 2, b"ab\rcdef");
    assert_eq!(g.take_damage(0), Some(Damage::Cols { lo: 0, hi: 4 }));
    assert_eq!(g.take_damage(0), None);
    g.write_bytes(b"\r\t!", &mut ());
    assert_eq!(g.damage(0), Some(Damage::Cols { lo: 0, hi: 9 }), "the tab's spaces are damage too");
    g.take_damage(0);
    g.mark(1, 3, 99);
    assert_eq!(g.take_damage(1), Some(Damage::Cols { lo: 3, hi: 10 }), "clamped to the width");
    assert!(!g.is_damaged());
    g.mark_all();
    assert_eq!((g.damage(0), g.damage(1)), (Some(Damage::Whole), Some(Damage::Whole)));
}

#[test]
fn restart_line_drops_partial_input() {
    let mut g = grid(10, 3, b"ab\x1b[3\xE2\x9C");
    g.restart_line(&mut ());
    g.write_bytes(b"1m", &mut ());
    assert_eq!(screen(&g), ["ab", "1m", ""], "no '?' for the dropped bytes, escape forgotten");
    let mut g = grid(10, 3, b"");
    g.restart_line(&mut ());
    assert_eq!(g.cursor(), (0, 0), "already at a line start");
}

#[test]
fn visible_tail_keeps_what_can_still_show() {
    // The last `rows` newlines and what follows them (one line to spare).
    assert_eq!(visible_tail(b"a\nb\nc\nd", 2, 80), b"b\nc\nd");
    assert_eq!(visible_tail(b"a\nb\n", 2, 80), b"a\nb\n");
    assert_eq!(visible_tail(b"a\nb\nc\n", 2, 80), b"b\nc\n");
    let long = vec![b'x'; 1000];
    assert_eq!(visible_tail(&long, 2, 10).len(), 80);
    assert_eq!(visible_tail(b"", 2, 10), b"");
    // Writing the tail leaves the same screen as writing everything.
    let text: Vec<u8> = (0..50).flat_map(|i| format!("line {i} ✓\n").into_bytes()).collect();
    let mut tail = Grid::new(12, 4).unwrap();
    tail.write_bytes(visible_tail(&text, 4, 12), &mut ());
    assert_eq!(screen(&tail), screen(&grid(12, 4, &text)));
}
