//! Output processing (`OPOST`, `ONLCR`, `OCRNL`, `ONOCR`, `ONLRET`,
//! `XTABS`, `OLCUC`) and column tracking; flow control (`IXON`, `IXANY`,
//! `TCXONC`); window size; `TCFLSH`.

mod common;
use common::{ctrl, Ev, Tty};
use ldisc::WinSize;
use mello_abi::termios::*;
use mello_abi::Errno;

fn out_with(oflag: u32, bytes: &[u8]) -> Vec<u8> {
    let mut t = Tty::new();
    t.set(|t| t.c_oflag = oflag);
    assert_eq!(t.write(bytes), bytes.len());
    t.take_out()
}

#[test]
fn onlcr_maps_newline_to_crlf() {
    assert_eq!(out_with(OPOST | ONLCR, b"a\nb\n"), b"a\r\nb\r\n");
}

#[test]
fn no_opost_is_verbatim() {
    assert_eq!(out_with(ONLCR, b"a\nb\t\r"), b"a\nb\t\r");
}

#[test]
fn opost_alone_changes_nothing() {
    assert_eq!(out_with(OPOST, b"a\nb\r"), b"a\nb\r");
}

#[test]
fn ocrnl_maps_cr_to_newline() {
    assert_eq!(out_with(OPOST | OCRNL, b"a\rb"), b"a\nb");
    assert_eq!(out_with(OPOST | OCRNL | ONLCR, b"a\r"), b"a\n", "the mapped CR is not remapped");
}

#[test]
fn onocr_drops_cr_at_column_zero() {
    assert_eq!(out_with(OPOST | ONOCR, b"\rab\r\r"), b"ab\r");
}

#[test]
fn onlret_newline_returns_column() {
    let mut t = Tty::new();
    t.set(|t| t.c_oflag = OPOST | ONLRET | XTABS);
    t.write(b"abc\n\t");
    assert_eq!(t.take_out(), b"abc\n        ");
    assert_eq!(t.ld.column(), 8);
}

#[test]
fn without_onlret_newline_keeps_column() {
    let mut t = Tty::new();
    t.set(|t| t.c_oflag = OPOST);
    t.write(b"abc\n");
    assert_eq!(t.ld.column(), 3);
}

#[test]
fn xtabs_expands_to_next_stop() {
    assert_eq!(out_with(OPOST | XTABS, b"ab\tc\t"), b"ab      c       ");
}

#[test]
fn tabs_kept_without_xtabs() {
    let mut t = Tty::new();
    t.write(b"ab\t");
    assert_eq!(t.take_out(), b"ab\t");
    assert_eq!(t.ld.column(), 8);
}

#[test]
fn olcuc_uppercases() {
    assert_eq!(out_with(OPOST | OLCUC, b"echo hi\n"), b"ECHO HI\n");
}

#[test]
fn column_tracking() {
    let mut t = Tty::new();
    t.write(b"abcd");
    assert_eq!(t.ld.column(), 4);
    t.write(b"\x08\x08");
    assert_eq!(t.ld.column(), 2);
    t.write(b"\x1b[0m");
    assert_eq!(t.ld.column(), 5, "ESC takes no column, the rest are printable");
    t.write(b"\r");
    assert_eq!(t.ld.column(), 0);
    t.write(b"\x08");
    assert_eq!(t.ld.column(), 0, "never below zero");
    t.write(b"xy\n");
    assert_eq!(t.ld.column(), 0, "ONLCR returns the carriage");
}

#[test]
fn iutf8_columns_count_characters() {
    let mut t = Tty::new();
    t.set(|t| t.c_iflag |= IUTF8);
    t.write("née".as_bytes());
    assert_eq!(t.ld.column(), 3);
}

#[test]
fn stop_and_start_characters() {
    let mut t = Tty::new();
    t.type_str(&[ctrl(b'S')]);
    assert!(t.ld.output_stopped());
    assert_eq!(t.take_events(), [Ev::Stop]);
    t.type_str(&[ctrl(b'S')]);
    assert!(t.take_events().is_empty(), "already stopped");
    t.type_str(b"a");
    assert!(t.ld.output_stopped(), "no IXANY");
    t.type_str(&[ctrl(b'Q')]);
    assert!(!t.ld.output_stopped());
    assert_eq!(t.take_events(), [Ev::Start]);
    assert_eq!(t.take_out(), b"a", "START/STOP are neither echoed nor queued");
    t.type_str(b"\r");
    assert_eq!(t.read(10).unwrap(), b"a\n");
}

#[test]
fn output_while_stopped_goes_to_driver() {
    let mut t = Tty::new();
    t.type_str(&[ctrl(b'S')]);
    t.write(b"hi\n");
    assert!(t.ld.output_stopped());
    assert_eq!(t.take_out(), b"hi\r\n", "the driver holds it until Start");
}

#[test]
fn ixany_restarts_on_any_char() {
    let mut t = Tty::new();
    t.set(|t| t.c_iflag |= IXANY);
    t.type_str(&[ctrl(b'S'), b'x']);
    assert!(!t.ld.output_stopped());
    assert_eq!(t.take_events(), [Ev::Stop, Ev::Start]);
    assert_eq!(t.ld.editing_line(), b"x", "the restarting char is input too");
}

#[test]
fn without_ixon_stop_char_is_data() {
    let mut t = Tty::new();
    t.set(|t| t.c_iflag &= !IXON);
    t.type_str(&[ctrl(b'S'), b'\r']);
    assert!(!t.ld.output_stopped());
    assert_eq!(t.take_out(), b"^S\r\n");
    assert_eq!(t.read(10).unwrap(), b"\x13\n");
}

#[test]
fn clearing_ixon_restarts_output() {
    let mut t = Tty::new();
    t.type_str(&[ctrl(b'S')]);
    t.set(|t| t.c_iflag &= !IXON);
    assert!(!t.ld.output_stopped());
    assert_eq!(t.take_events(), [Ev::Stop, Ev::Start]);
}

#[test]
fn flow_chars_act_while_input_is_refused() {
    let mut t = Tty::raw(1, 0);
    t.set(|t| t.c_iflag |= IXON);
    assert_eq!(t.paste(&[b'x'; 4095]), 4095, "queue full, nobody reading");
    assert_eq!(t.paste(&[ctrl(b'S')]), 0);
    assert!(t.ld.output_stopped(), "lookahead saw the refused ^S");
    assert_eq!(t.paste(&[ctrl(b'S'), ctrl(b'Q')]), 0);
    assert!(!t.ld.output_stopped());
    assert_eq!(t.take_events(), [Ev::Stop, Ev::Start], "the re-offered ^S is not seen twice");
    assert_eq!(t.read(5000).unwrap().len(), 4095);
    assert_eq!(t.paste(&[ctrl(b'S'), ctrl(b'Q'), b'y']), 3);
    assert!(t.take_events().is_empty(), "looked-at START/STOP are consumed without acting");
    assert_eq!(t.read(10).unwrap(), b"y");
}

#[test]
fn refused_input_without_ixon_has_no_effect() {
    let mut t = Tty::raw(1, 0);
    t.paste(&[b'x'; 4095]);
    assert_eq!(t.paste(&[ctrl(b'S')]), 0);
    assert!(!t.ld.output_stopped());
    assert!(t.take_events().is_empty());
}

#[test]
fn tcflow_stop_is_not_undone_by_start_char() {
    let mut t = Tty::new();
    t.ld.tcflow(TCOOFF, &mut t.rec).unwrap();
    assert!(t.ld.output_stopped());
    t.type_str(&[ctrl(b'Q')]);
    assert!(t.ld.output_stopped());
    t.ld.tcflow(TCOON, &mut t.rec).unwrap();
    assert!(!t.ld.output_stopped());
    assert_eq!(t.take_events(), [Ev::Stop, Ev::Start]);
}

#[test]
fn tcflow_sends_flow_chars() {
    let mut t = Tty::new();
    t.ld.tcflow(TCIOFF, &mut t.rec).unwrap();
    t.ld.tcflow(TCION, &mut t.rec).unwrap();
    assert_eq!(t.take_out(), b"\x13\x11");
    t.set(|t| t.c_cc[VSTOP] = VDISABLE);
    t.ld.tcflow(TCIOFF, &mut t.rec).unwrap();
    assert_eq!(t.take_out(), b"", "disabled STOP is not sent");
    assert_eq!(t.ld.tcflow(7, &mut t.rec), Err(Errno::EINVAL));
}

#[test]
fn tcflush_queues() {
    let mut t = Tty::new();
    t.type_str(b"one\rtw");
    t.ld.tcflush(TCIFLUSH, &mut t.rec).unwrap();
    assert_eq!(t.read(10), None);
    assert!(t.ld.editing_line().is_empty());
    assert!(t.take_events().is_empty());
    t.ld.tcflush(TCOFLUSH, &mut t.rec).unwrap();
    assert_eq!(t.take_events(), [Ev::FlushOutput]);
    t.type_str(b"x\r");
    t.ld.tcflush(TCIOFLUSH, &mut t.rec).unwrap();
    assert_eq!(t.take_events(), [Ev::FlushOutput]);
    assert_eq!(t.read(10), None);
    assert_eq!(t.ld.tcflush(3, &mut t.rec), Err(Errno::EINVAL));
}

#[test]
fn winsize_set_and_get() {
    let mut t = Tty::new();
    assert_eq!(t.ld.winsize(), WinSize::default());
    let ws = WinSize { ws_row: 25, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 };
    assert!(t.ld.set_winsize(ws), "changed: caller sends SIGWINCH");
    assert!(!t.ld.set_winsize(ws), "same size: no SIGWINCH");
    assert_eq!(t.ld.winsize(), ws);
}

#[test]
fn default_termios_is_linux_std() {
    let t = Tty::new();
    assert_eq!(t.ld.termios(), TTY_STD_TERMIOS);
    assert_eq!(t.ld.termios().to_bytes()[..16], [0, 5, 0, 0, 5, 0, 0, 0, 0xbf, 4, 0, 0, 0x3b, 0x8a, 0, 0]);
}
