//! The control sequences the grid obeys: SGR colours (0, 1, 30–37, 39,
//! 90–97), cursor position (`H`, `f`), erase display (`2J`) and erase to
//! end of line (`K`); and that every other escape is swallowed without
//! printing anything. Also the `fmt::Write` entry point.

use core::fmt::Write;
use mello_vt::{Cell, Color, Damage, Grid};

fn text(g: &Grid, row: usize) -> String {
    g.row(row).iter().map(|c| c.ch).collect::<String>().trim_end().to_string()
}

fn grid(cols: usize, rows: usize, input: &str) -> Grid {
    let mut g = Grid::new(cols, rows).unwrap();
    g.write_bytes(input.as_bytes(), &mut ());
    g
}

fn colors(g: &Grid, row: usize) -> Vec<Color> {
    g.row(row).iter().take_while(|c| c.ch != ' ').map(|c| c.attr.fg).collect()
}

#[test]
fn sgr_colours() {
    let g = grid(20, 1, "a\x1b[31mb\x1b[92mc\x1b[39md\x1b[34;1me\x1b[0mf\x1b[1mg\x1b[37;1mh\x1b[91;1mi\x1b[mj");
    assert_eq!(text(&g, 0), "abcdefghij");
    use Color::{Ansi, Default as D};
    assert_eq!(colors(&g, 0), [D, Ansi(1), Ansi(10), D, Ansi(12), D, D, Ansi(15), Ansi(9), D]);
    assert_eq!(g.color(), D);
}

#[test]
fn sgr_ignores_unknown_parameters() {
    let g = grid(20, 1, "\x1b[33m\x1b[4;48;5;200mx");
    assert_eq!(colors(&g, 0), [Color::Ansi(3)]);
    let g = grid(20, 1, "\x1b[38m\x1b[30m\x1b[29m\x1b[98mx");
    assert_eq!(colors(&g, 0), [Color::Ansi(0)]);
}

#[test]
fn cursor_position() {
    let g = grid(10, 4, "\x1b[3;5Hx\x1b[Hy\x1b[2fz\x1b[99;99H!");
    assert_eq!(text(&g, 0), "y");
    assert_eq!(text(&g, 1), "z");
    assert_eq!(text(&g, 2), "    x");
    assert_eq!(text(&g, 3), "         !", "clamped to the last row and column");
    assert_eq!(g.cursor(), (10, 3));
    let g = grid(10, 4, "abc\x1b[0;0Hq");
    assert_eq!(text(&g, 0), "qbc", "zero means one");
}

#[test]
fn erase_display() {
    let mut g = grid(6, 3, "one\ntwo\nthree");
    for r in 0..3 {
        g.take_damage(r);
    }
    g.write_bytes(b"\x1b[2J", &mut ());
    assert!((0..3).all(|r| g.row(r).iter().all(|&c| c == Cell::BLANK)));
    assert!((0..3).all(|r| g.damage(r) == Some(Damage::Whole)));
    assert_eq!(g.cursor(), (5, 2), "2J does not move the cursor");
    // Other J forms are ignored.
    let g = grid(6, 3, "one\x1b[J\x1b[1J\x1b[3J");
    assert_eq!(text(&g, 0), "one");
}

#[test]
fn erase_to_end_of_line() {
    let mut g = grid(8, 2, "abcdefgh\x1b[1;4H");
    g.take_damage(0);
    g.write_bytes(b"\x1b[K", &mut ());
    assert_eq!(text(&g, 0), "abc");
    assert_eq!(g.damage(0), Some(Damage::Cols { lo: 3, hi: 8 }));
    assert_eq!(g.cursor(), (3, 0));
    // At the pending-wrap position K erases nothing.
    let g = grid(4, 2, "abcd\x1b[K");
    assert_eq!(text(&g, 0), "abcd");
}

#[test]
fn other_escapes_are_swallowed() {
    let g = grid(20, 1, "a\x1b[?25lb\x1b[5Ac\x1b(Bd\x1b7e\x1b[1;2;3;4;5mf");
    assert_eq!(text(&g, 0), "abcBdef", "ESC ( swallows only the '('; ESC 7 the '7'");
    let g = grid(20, 1, "x\x1b[3");
    assert_eq!(text(&g, 0), "x", "an unfinished sequence prints nothing");
}

#[test]
fn escapes_split_across_writes() {
    let mut g = Grid::new(10, 1).unwrap();
    for part in ["a\x1b", "[3", "2", "mb"] {
        g.write_bytes(part.as_bytes(), &mut ());
    }
    assert_eq!(text(&g, 0), "ab");
    assert_eq!(colors(&g, 0), [Color::Default, Color::Ansi(2)]);
}

#[test]
fn control_characters_print_nothing() {
    let g = grid(20, 1, "a\x00\x07\x0b\x0c\x7f\u{85}\u{9f}b\u{a0}c");
    assert_eq!(text(&g, 0), "ab\u{a0}c");
}

#[test]
fn fmt_write_uses_default_hooks() {
    let mut g = Grid::new(12, 2).unwrap();
    let word = "ok";
    write!(g, "{word} \x1b[32m{}\x1b[0m", 42).unwrap();
    assert_eq!(text(&g, 0), "ok 42");
    assert_eq!((g.cell(0, 1).attr.fg, g.cell(0, 3).attr.fg), (Color::Default, Color::Ansi(2)));
}
