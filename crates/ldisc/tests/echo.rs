//! Echo: `ECHO`, `ECHOCTL`, `ECHONL`, `ECHOPRT`, erase of control and
//! multibyte characters, echo without `OPOST`, and the non-canonical
//! special cases, each as the exact bytes Linux writes to the terminal.

mod common;
use common::{ctrl, Tty};
use mello_abi::termios::*;

#[test]
fn echoctl_shows_control_chars_as_caret() {
    let mut t = Tty::new();
    t.type_str(&[ctrl(b'A'), 0x1b, 0x1d]);
    assert_eq!(t.take_out(), b"^A^[^]");
    assert_eq!(t.ld.column(), 6);
}

#[test]
fn tab_is_not_shown_as_caret() {
    let mut t = Tty::new();
    t.type_str(b"\t");
    assert_eq!(t.take_out(), b"\t");
    assert_eq!(t.ld.column(), 8);
}

#[test]
fn without_echoctl_control_chars_echo_raw() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !ECHOCTL);
    t.type_str(&[ctrl(b'A'), b'x']);
    assert_eq!(t.take_out(), b"\x01x");
    assert_eq!(t.ld.column(), 1, "control bytes take no column");
}

#[test]
fn erase_control_char_backs_over_both_columns() {
    let mut t = Tty::new();
    t.type_str(&[b'a', ctrl(b'A')]);
    t.take_out();
    t.type_str(b"\x7f");
    assert_eq!(t.take_out(), b"\x08 \x08\x08 \x08");
    assert_eq!(t.ld.editing_line(), b"a");
}

#[test]
fn erase_raw_control_char_echoes_nothing() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !ECHOCTL);
    t.type_str(&[b'a', ctrl(b'A')]);
    t.take_out();
    t.type_str(b"\x7f");
    assert_eq!(t.take_out(), b"");
    assert_eq!(t.ld.editing_line(), b"a");
}

#[test]
fn echo_off_echoes_nothing_but_lines_still_work() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !ECHO);
    t.type_str(b"pw\r");
    assert_eq!(t.take_out(), b"");
    assert_eq!(t.read(10).unwrap(), b"pw\n");
}

#[test]
fn echonl_without_echo_echoes_only_newline() {
    let mut t = Tty::new();
    t.set(|t| {
        t.c_lflag &= !ECHO;
        t.c_lflag |= ECHONL;
    });
    t.type_str(b"pw\r");
    assert_eq!(t.take_out(), b"\r\n");
}

#[test]
fn echoprt_prints_erased_chars_between_slashes() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag |= ECHOPRT);
    t.type_str(b"abc\x7f\x7fd\r");
    assert_eq!(t.take_out(), b"abc\\cb/d\r\n");
    assert_eq!(t.read(10).unwrap(), b"ad\n");
}

#[test]
fn echoprt_closes_when_line_is_empty() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag |= ECHOPRT);
    t.type_str(b"ab\x15");
    assert_eq!(t.take_out(), b"ab\\ba/");
}

#[test]
fn utf8_erase_removes_whole_character() {
    let mut t = Tty::new();
    t.set(|t| t.c_iflag |= IUTF8);
    t.type_str("é€".as_bytes());
    assert_eq!(t.ld.column(), 2, "continuation bytes take no column");
    t.take_out();
    t.type_str(b"\x7f");
    assert_eq!(t.take_out(), b"\x08 \x08");
    assert_eq!(t.ld.editing_line(), "é".as_bytes());
}

#[test]
fn without_iutf8_erase_removes_one_byte() {
    let mut t = Tty::new();
    t.type_str("é".as_bytes());
    t.take_out();
    t.type_str(b"\x7f");
    assert_eq!(t.take_out(), b"\x08 \x08");
    assert_eq!(t.ld.editing_line(), b"\xc3");
}

#[test]
fn echoprt_utf8_erase_moves_column_back() {
    let mut t = Tty::new();
    t.set(|t| t.c_iflag |= IUTF8);
    t.set(|t| t.c_lflag |= ECHOPRT);
    t.type_str("aé".as_bytes());
    let col = t.ld.column();
    t.type_str(b"\x7f");
    assert_eq!(t.take_out(), "aé\\é".as_bytes());
    assert_eq!(t.ld.column(), col + 1, "\\ plus one column for the character");
}

#[test]
fn echo_without_opost_is_raw() {
    let mut t = Tty::new();
    t.set(|t| t.c_oflag &= !OPOST);
    t.type_str(b"ab\r");
    assert_eq!(t.take_out(), b"ab\n", "no ONLCR without OPOST");
}

#[test]
fn byte_ff_echoes_verbatim() {
    let mut t = Tty::new();
    t.type_str(b"\xff\r");
    assert_eq!(t.take_out(), b"\xff\r\n");
    assert_eq!(t.read(10).unwrap(), b"\xff\n");
}

#[test]
fn noncanonical_echo_of_newline_is_caret_j() {
    // '\n' is only special in non-canonical mode when INLCR maps it, so
    // it takes the ordinary path and ECHOCTL shows it as ^J.
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !ICANON);
    t.type_str(b"\n");
    assert_eq!(t.take_out(), b"^J");
    t.type_str(b"\r");
    assert_eq!(t.take_out(), b"\r\n", "a CR mapped by ICRNL echoes as a newline");
    assert_eq!(t.read(10).unwrap(), b"\n\n");
}

#[test]
fn noncanonical_echo_of_chars() {
    let mut t = Tty::new();
    t.set(|t| {
        t.c_lflag &= !ICANON;
        t.c_cc[VMIN] = 1;
    });
    t.type_str(b"a\x7f");
    assert_eq!(t.take_out(), b"a^?", "no editing: DEL is data");
    assert_eq!(t.read(10).unwrap(), b"a\x7f");
}

#[test]
fn eol_echo_records_canon_column() {
    let mut t = Tty::new();
    t.set(|t| t.c_cc[VEOL] = b';');
    t.write(b">>");
    t.type_str(b";\t\x7f");
    assert_eq!(t.take_out(), b">>;\t\x08\x08\x08\x08\x08", "tab started at column 3");
}
