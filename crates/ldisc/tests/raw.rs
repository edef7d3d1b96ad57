//! Non-canonical input: the four `VMIN`/`VTIME` cases on a simulated
//! clock, poll readiness, the 4095-byte queue, switching between canonical
//! and non-canonical mode with input queued, and the input mappings
//! (`ICRNL`, `INLCR`, `IGNCR`, `ISTRIP`, `IUCLC`, `PARMRK`).

mod common;
use common::Tty;
use mello_abi::termios::*;

#[test]
fn raw_vmin1_returns_each_byte() {
    let mut t = Tty::raw(1, 0);
    t.type_str(b"a");
    assert_eq!(t.read(10).unwrap(), b"a");
    t.type_str(b"\r");
    assert_eq!(t.read(10).unwrap(), b"\r", "no ICRNL in raw mode");
    t.type_str(b"\x03\x7f");
    assert_eq!(t.read(10).unwrap(), b"\x03\x7f", "no signals or editing");
    assert_eq!(t.take_out(), b"", "no echo");
    assert!(t.take_events().is_empty());
}

#[test]
fn raw_read_returns_everything_queued() {
    let mut t = Tty::raw(1, 0);
    t.paste(b"hello");
    assert_eq!(t.ld.fionread(), 5);
    assert_eq!(t.read(3).unwrap(), b"hel");
    assert_eq!(t.read(10).unwrap(), b"lo");
    assert_eq!(t.read(10), None);
}

#[test]
fn vmin_waits_for_that_many_bytes() {
    let mut t = Tty::raw(3, 0);
    let (got, at) = t.timed_read(10, &[(0, b"a"), (5, b"b"), (9, b"cd")]).unwrap();
    assert_eq!((got.as_slice(), at), (&b"abcd"[..], 9));
}

#[test]
fn vmin_larger_than_buffer_returns_when_full() {
    let mut t = Tty::raw(5, 0);
    let (got, at) = t.timed_read(2, &[(1, b"a"), (2, b"bc")]).unwrap();
    assert_eq!((got.as_slice(), at), (&b"ab"[..], 2));
    assert_eq!(t.read(10).unwrap(), b"c");
}

#[test]
fn vmin_without_input_blocks_forever() {
    let mut t = Tty::raw(1, 0);
    assert_eq!(t.timed_read(10, &[]), None);
}

#[test]
fn poll_needs_vmin_bytes_when_vtime_is_zero() {
    let mut t = Tty::raw(3, 0);
    t.paste(b"ab");
    assert!(t.ld.input_available());
    assert!(!t.ld.readable());
    t.paste(b"c");
    assert!(t.ld.readable());
    let mut t = Tty::raw(3, 2);
    t.paste(b"a");
    assert!(t.ld.readable(), "with VTIME one byte is enough");
    assert!(t.ld.writable());
}

#[test]
fn vmin0_vtime0_never_waits() {
    let mut t = Tty::raw(0, 0);
    assert_eq!(t.timed_read(10, &[(3, b"late")]).unwrap(), (vec![], 0));
    t.paste(b"xy");
    assert_eq!(t.timed_read(10, &[]).unwrap(), (b"xy".to_vec(), 0));
}

#[test]
fn vmin0_vtime_is_a_total_timeout() {
    let mut t = Tty::raw(0, 5);
    assert_eq!(t.timed_read(10, &[]).unwrap(), (vec![], 5));
    assert_eq!(t.timed_read(10, &[(3, b"xy")]).unwrap(), (b"xy".to_vec(), 3));
    assert_eq!(t.timed_read(10, &[(7, b"z")]).unwrap(), (vec![], 5));
}

#[test]
fn vmin_vtime_interbyte_timer() {
    let mut t = Tty::raw(2, 5);
    assert_eq!(t.timed_read(10, &[(10, b"a"), (13, b"b")]).unwrap(), (b"ab".to_vec(), 13));
    assert_eq!(t.timed_read(10, &[(10, b"a"), (20, b"b")]).unwrap(), (b"a".to_vec(), 15));
    assert_eq!(t.read(10), None, "b has not arrived yet in this simulation");
}

#[test]
fn interbyte_timer_restarts_on_each_arrival() {
    let mut t = Tty::raw(3, 5);
    assert_eq!(t.timed_read(10, &[(0, b"a"), (4, b"b"), (8, b"c")]).unwrap(), (b"abc".to_vec(), 8));
    assert_eq!(t.timed_read(10, &[(0, b"a"), (4, b"b"), (10, b"c")]).unwrap(), (b"ab".to_vec(), 9));
}

#[test]
fn vmin_vtime_waits_forever_for_first_byte() {
    let mut t = Tty::raw(1, 5);
    assert_eq!(t.timed_read(10, &[]), None);
}

#[test]
fn raw_queue_holds_4095_bytes() {
    let mut t = Tty::raw(1, 0);
    let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    assert_eq!(t.paste(&data), 4095);
    assert_eq!(t.ld.fionread(), 4095);
    assert_eq!(t.read(5000).unwrap(), &data[..4095]);
    assert_eq!(t.paste(&data[4095..]), 905);
    assert_eq!(t.read(5000).unwrap(), &data[4095..]);
}

#[test]
fn canonical_to_raw_moves_partial_line() {
    let mut t = Tty::new();
    t.type_str(b"ab\rcd");
    t.set(|t| t.c_lflag &= !ICANON);
    assert_eq!(t.ld.fionread(), 5);
    assert_eq!(t.read(10).unwrap(), b"ab\ncd");
}

#[test]
fn canonical_to_raw_turns_eof_into_nul() {
    let mut t = Tty::new();
    t.type_str(b"ab\x04");
    t.set(|t| t.c_lflag &= !ICANON);
    assert_eq!(t.read(10).unwrap(), b"ab\x00");
}

#[test]
fn raw_to_canonical_makes_queued_input_a_line() {
    let mut t = Tty::raw(1, 0);
    t.paste(b"xyz");
    t.set(|t| t.c_lflag |= ICANON);
    assert!(t.ld.readable(), "pushed as if ^D were typed");
    assert_eq!(t.ld.fionread(), 3);
    assert_eq!(t.read(10).unwrap(), b"xyz");
    assert_eq!(t.read(10), None);
}

#[test]
fn raw_to_canonical_forgets_line_boundaries() {
    // Linux clears the line flags on an ICANON change: a newline queued in
    // raw mode is just data, and everything queued is one pushed line.
    let mut t = Tty::raw(1, 0);
    t.paste(b"a\nb");
    t.set(|t| t.c_lflag |= ICANON);
    assert_eq!(t.read(10).unwrap(), b"a\nb");
}

#[test]
fn raw_to_canonical_with_nothing_queued() {
    let mut t = Tty::raw(1, 0);
    t.set(|t| t.c_lflag |= ICANON | ECHO);
    assert_eq!(t.read(10), None);
    t.type_str(b"q\n");
    assert_eq!(t.take_out(), b"q\n", "echo on, OPOST still off");
    assert_eq!(t.read(10).unwrap(), b"q\n");
}

#[test]
fn toggling_echo_keeps_partial_line() {
    let mut t = Tty::new();
    t.type_str(b"ab");
    t.set(|t| t.c_lflag &= !ECHO);
    t.type_str(b"c\r");
    assert_eq!(t.read(10).unwrap(), b"abc\n");
}

#[test]
fn tcsetsf_flushes_before_switching() {
    let mut t = Tty::new();
    t.type_str(b"junk\rmore");
    let mut raw = t.ld.termios();
    raw.c_lflag &= !ICANON;
    t.ld.set_termios(raw, true, &mut t.rec);
    assert_eq!(t.read(10), None);
    assert_eq!(t.ld.fionread(), 0);
}

#[test]
fn input_mappings() {
    let mut t = Tty::raw(1, 0);
    t.set(|t| t.c_iflag |= ICRNL);
    t.paste(b"\r\n");
    assert_eq!(t.read(10).unwrap(), b"\n\n");
    t.set(|t| t.c_iflag = INLCR);
    t.paste(b"\r\n");
    assert_eq!(t.read(10).unwrap(), b"\r\r", "INLCR maps NL to CR; CR stays");
    t.set(|t| t.c_iflag = IGNCR | ICRNL);
    t.paste(b"a\rb");
    assert_eq!(t.read(10).unwrap(), b"ab", "IGNCR wins over ICRNL");
}

#[test]
fn istrip_and_iuclc() {
    let mut t = Tty::raw(1, 0);
    t.set(|t| t.c_iflag |= ISTRIP);
    t.paste(b"\xe1\x80");
    assert_eq!(t.read(10).unwrap(), b"a\x00");
    t.set(|t| {
        t.c_iflag = IUCLC;
        t.c_lflag |= IEXTEN;
    });
    t.paste("AbÀ".as_bytes());
    assert_eq!(t.read(10).unwrap(), b"ab\xe3\x80", "Linux's Latin-1 tolower: 0xc3 is an upper, 0x80 nothing");
    t.set(|t| t.c_lflag &= !IEXTEN);
    t.paste(b"A");
    assert_eq!(t.read(10).unwrap(), b"A", "IUCLC needs IEXTEN");
}

#[test]
fn parmrk_doubles_ff() {
    let mut t = Tty::raw(1, 0);
    t.set(|t| t.c_iflag |= PARMRK);
    t.paste(b"\xff");
    assert_eq!(t.read(10).unwrap(), b"\xff\xff");
}

#[test]
fn parmrk_thirds_the_room() {
    let mut t = Tty::raw(1, 0);
    t.set(|t| t.c_iflag |= PARMRK);
    // Each sub-batch may take a third of the free space (a byte can
    // become three); the loop keeps going until that rounds to nothing.
    assert_eq!(t.paste(&[b'x'; 5000]), 4093);
    assert_eq!(t.ld.fionread(), 4093);
}
