//! Canonical mode: line editing (erase, kill, word erase, literal next,
//! reprint), line ends (`\n`, `VEOF`, `VEOL`, `VEOL2`) and what reads
//! return, each checked against the exact bytes Linux produces with its
//! default termios.

mod common;
use common::{ctrl, Tty};
use mello_abi::termios::*;

#[test]
fn typing_ls_enter() {
    let mut t = Tty::new();
    assert_eq!(t.type_str(b"ls\r"), 3);
    assert_eq!(t.take_out(), b"ls\r\n");
    assert_eq!(t.read(100).unwrap(), b"ls\n");
    assert_eq!(t.read(100), None, "nothing more: a read would block");
}

#[test]
fn no_line_no_read() {
    let mut t = Tty::new();
    t.type_str(b"ls");
    assert_eq!(t.read(100), None);
    assert!(!t.ld.input_available());
    assert!(!t.ld.readable());
    assert_eq!(t.ld.editing_line(), b"ls");
}

#[test]
fn erase_with_echoe() {
    let mut t = Tty::new();
    t.type_str(b"lx\x7fs\r");
    assert_eq!(t.take_out(), b"lx\x08 \x08s\r\n");
    assert_eq!(t.read(100).unwrap(), b"ls\n");
}

#[test]
fn erase_at_line_start_does_nothing() {
    let mut t = Tty::new();
    t.type_str(b"\x7f\x7fa\r");
    assert_eq!(t.take_out(), b"a\r\n");
    assert_eq!(t.read(100).unwrap(), b"a\n");
}

#[test]
fn erase_without_echoe_echoes_the_erase_char() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !ECHOE);
    t.type_str(b"ab\x7f");
    assert_eq!(t.take_out(), b"ab^?");
    assert_eq!(t.ld.editing_line(), b"a");
}

#[test]
fn kill_erases_visually_with_echoke() {
    let mut t = Tty::new();
    t.type_str(b"abc");
    t.take_out();
    t.type_str(&[ctrl(b'U')]);
    assert_eq!(t.take_out(), b"\x08 \x08\x08 \x08\x08 \x08");
    t.type_str(b"d\r");
    assert_eq!(t.read(100).unwrap(), b"d\n");
}

#[test]
fn kill_with_echok_only_echoes_char_and_newline() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !ECHOKE);
    t.type_str(b"abc\x15");
    assert_eq!(t.take_out(), b"abc^U\r\n");
    assert!(t.ld.editing_line().is_empty());
}

#[test]
fn kill_without_echok_or_echoctl() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !(ECHOKE | ECHOK | ECHOCTL));
    t.type_str(b"ab\x15");
    assert_eq!(t.take_out(), b"ab\x15");
}

#[test]
fn kill_without_echo_is_silent() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !ECHO);
    t.type_str(b"secret\x15ok\r");
    assert_eq!(t.take_out(), b"");
    assert_eq!(t.read(100).unwrap(), b"ok\n");
}

#[test]
fn word_erase() {
    let mut t = Tty::new();
    t.type_str(b"foo bar");
    t.take_out();
    t.type_str(&[ctrl(b'W')]);
    assert_eq!(t.take_out(), b"\x08 \x08".repeat(3));
    t.type_str(b"x\r");
    assert_eq!(t.read(100).unwrap(), b"foo x\n");
}

#[test]
fn word_erase_eats_trailing_blanks_then_word() {
    let mut t = Tty::new();
    t.type_str(b"cd my_dir/  ");
    t.take_out();
    t.type_str(&[ctrl(b'W')]);
    // Non-word bytes before the first word byte go too (ALTWERASE).
    assert_eq!(t.take_out(), b"\x08 \x08".repeat(9));
    assert_eq!(t.ld.editing_line(), b"cd ");
    t.type_str(&[ctrl(b'W')]);
    assert_eq!(t.ld.editing_line(), b"");
}

#[test]
fn word_erase_needs_iexten() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !IEXTEN);
    t.type_str(b"ab\x17\r");
    assert_eq!(t.take_out(), b"ab^W\r\n");
    assert_eq!(t.read(100).unwrap(), b"ab\x17\n");
}

#[test]
fn eof_at_line_start_reads_zero() {
    let mut t = Tty::new();
    t.type_str(&[ctrl(b'D')]);
    assert_eq!(t.take_out(), b"", "VEOF is not echoed");
    assert!(t.ld.readable());
    assert_eq!(t.read(100), Some(vec![]));
    assert_eq!(t.read(100), None, "the EOF was consumed");
}

#[test]
fn eof_mid_line_returns_partial_line() {
    let mut t = Tty::new();
    t.type_str(b"ab\x04");
    assert_eq!(t.take_out(), b"ab");
    assert_eq!(t.read(100).unwrap(), b"ab");
    assert_eq!(t.read(100), None);
}

#[test]
fn eof_after_newline_is_a_second_read() {
    let mut t = Tty::new();
    t.type_str(b"ab\r\x04");
    assert_eq!(t.read(100).unwrap(), b"ab\n");
    assert_eq!(t.read(100), Some(vec![]));
}

#[test]
fn eof_exactly_filling_buffer_is_skipped() {
    let mut t = Tty::new();
    t.type_str(b"abc\x04\x04");
    assert_eq!(t.read(3).unwrap(), b"abc");
    assert_eq!(t.read(3), Some(vec![]), "first EOF eaten by canon_skip_eof, second reads as EOF");
    assert_eq!(t.read(3), None);
}

#[test]
fn eol_and_eol2_end_lines() {
    let mut t = Tty::new();
    t.set(|t| {
        t.c_cc[VEOL] = b'#';
        t.c_cc[VEOL2] = b'%';
    });
    t.type_str(b"ab#cd%");
    assert_eq!(t.take_out(), b"ab#cd%");
    assert_eq!(t.read(100).unwrap(), b"ab#");
    assert_eq!(t.read(100).unwrap(), b"cd%");
    t.set(|t| t.c_lflag &= !IEXTEN);
    t.type_str(b"x%y#");
    assert_eq!(t.read(100).unwrap(), b"x%y#", "VEOL2 needs IEXTEN");
}

#[test]
fn literal_next_quotes_specials() {
    let mut t = Tty::new();
    t.type_str(&[ctrl(b'V'), ctrl(b'C'), ctrl(b'V'), 0x7f, b'\r']);
    assert_eq!(t.take_out(), b"^\x08^C^\x08^?\r\n");
    assert!(t.take_events().is_empty(), "no SIGINT for a quoted ^C");
    assert_eq!(t.read(100).unwrap(), b"\x03\x7f\n");
}

#[test]
fn literal_next_then_newline_stays_in_line() {
    let mut t = Tty::new();
    t.type_str(&[b'a', ctrl(b'V'), b'\n', b'b', b'\r']);
    assert_eq!(t.read(100).unwrap(), b"a\nb\n", "the quoted ^J is data, not a line end");
}

#[test]
fn reprint_echoes_the_line_again() {
    let mut t = Tty::new();
    t.type_str(b"ab\x01");
    t.take_out();
    t.type_str(&[ctrl(b'R')]);
    assert_eq!(t.take_out(), b"^R\r\nab^A");
    assert_eq!(t.ld.editing_line(), b"ab\x01");
}

#[test]
fn two_lines_read_one_at_a_time() {
    let mut t = Tty::new();
    assert_eq!(t.paste(b"one\rtwo\r"), 8);
    assert_eq!(t.take_out(), b"one\r\ntwo\r\n");
    assert_eq!(t.ld.fionread(), 8);
    assert_eq!(t.read(100).unwrap(), b"one\n");
    assert_eq!(t.ld.fionread(), 4);
    assert_eq!(t.read(100).unwrap(), b"two\n");
    assert_eq!(t.read(100), None);
}

#[test]
fn short_buffer_leaves_rest_of_line() {
    let mut t = Tty::new();
    t.type_str(b"hello\rx\r");
    assert_eq!(t.read(2).unwrap(), b"he");
    assert_eq!(t.read(2).unwrap(), b"ll");
    assert_eq!(t.read(2).unwrap(), b"o\n");
    assert_eq!(t.read(2).unwrap(), b"x\n");
}

#[test]
fn zero_length_read_returns_zero_at_once() {
    let mut t = Tty::new();
    assert_eq!(t.read(0), Some(vec![]));
}

#[test]
fn fionread_skips_eof_marks_and_partial_line() {
    let mut t = Tty::new();
    t.type_str(b"ab\x04cd");
    assert_eq!(t.ld.fionread(), 2);
    t.type_str(b"\x04");
    assert_eq!(t.ld.fionread(), 4);
}

#[test]
fn line_limit_keeps_4095_bytes_and_newline() {
    let mut t = Tty::new();
    let long = vec![b'a'; 5000];
    assert_eq!(t.type_str(&long), 5000, "canonical input is never refused while editing");
    assert_eq!(t.ld.editing_line().len(), 4096, "the 4096th byte is provisional");
    assert_eq!(t.type_str(b"\r"), 1);
    let mut expect = vec![b'a'; 5000];
    expect.extend_from_slice(b"\r\n");
    assert_eq!(t.take_out(), expect, "every byte was echoed");
    let mut line = vec![b'a'; 4095];
    line.push(b'\n');
    assert_eq!(t.read(8192).unwrap(), line);
}

#[test]
fn line_limit_last_byte_is_replaced() {
    let mut t = Tty::new();
    t.type_str(&vec![b'a'; 4095]);
    t.type_str(b"bc\r");
    let got = t.read(8192).unwrap();
    assert_eq!(got.len(), 4096);
    assert_eq!(&got[4090..], b"aaaaa\n");
}

#[test]
fn full_queue_with_a_line_waiting_refuses_input() {
    let mut t = Tty::new();
    let mut line = vec![b'a'; 4000];
    line.push(b'\r');
    assert_eq!(t.paste(&line), 4001);
    assert_eq!(t.type_str(&[b'b'; 200]), 94, "queue holds 4095 bytes");
    assert_eq!(t.read(8192).unwrap().len(), 4001);
    assert_eq!(t.type_str(b"b\r"), 2);
    let mut expect = vec![b'b'; 95];
    expect.push(b'\n');
    assert_eq!(t.read(8192).unwrap(), expect);
}

#[test]
fn erase_after_tab_to_canon_column() {
    let mut t = Tty::new();
    t.write(b"$ ");
    t.type_str(b"\t\x7f");
    assert_eq!(t.take_out(), b"$ \t\x08\x08\x08\x08\x08\x08");
    assert_eq!(t.ld.column(), 2);
}

#[test]
fn erase_tab_after_text() {
    let mut t = Tty::new();
    t.type_str(b"ab\t\x7f");
    assert_eq!(t.take_out(), b"ab\t\x08\x08\x08\x08\x08\x08");
    t.type_str(b"abcdefghij\tx\t\x7f");
    assert_eq!(t.ld.column(), 17, "erase counts from the previous tab: 7 columns back");
}
