//! Signal characters and breaks: `ISIG` (`VINTR`, `VQUIT`, `VSUSP`) with
//! and without `NOFLSH`, the echo of the character, what gets flushed
//! (input, pending echoes, driver output) and in which order the sink hears
//! about it; `IGNBRK`/`BRKINT`/`PARMRK` breaks.

mod common;
use common::{ctrl, Ev, Tty};
use ldisc::Signal;
use mello_abi::termios::*;

#[test]
fn ctrl_c_sends_sigint_echoes_and_flushes_input() {
    let mut t = Tty::new();
    t.type_str(b"abc");
    assert_eq!(t.take_out(), b"abc");
    t.type_str(&[ctrl(b'C')]);
    assert_eq!(t.take_out(), b"^C", "no newline: the shell prints that");
    assert_eq!(t.take_events(), [Ev::Sig(Signal::Int), Ev::FlushOutput]);
    assert!(t.ld.editing_line().is_empty());
    assert_eq!(t.read(10), None);
    t.type_str(b"d\r");
    assert_eq!(t.read(10).unwrap(), b"d\n");
}

#[test]
fn ctrl_c_flushes_complete_lines_too() {
    let mut t = Tty::new();
    t.type_str(b"one\rtwo");
    t.type_str(&[ctrl(b'C')]);
    assert_eq!(t.ld.fionread(), 0);
    assert_eq!(t.read(10), None);
}

#[test]
fn signal_numbers() {
    assert_eq!(Signal::Int.number(), 2);
    assert_eq!(Signal::Quit.number(), 3);
    assert_eq!(Signal::Tstp.number(), 20);
}

#[test]
fn quit_and_suspend() {
    let mut t = Tty::new();
    t.type_str(&[ctrl(b'\\')]);
    assert_eq!(t.take_out(), b"^\\");
    assert_eq!(t.take_events(), [Ev::Sig(Signal::Quit), Ev::FlushOutput]);
    t.type_str(&[ctrl(b'Z')]);
    assert_eq!(t.take_out(), b"^Z");
    assert_eq!(t.take_events(), [Ev::Sig(Signal::Tstp), Ev::FlushOutput]);
}

#[test]
fn noflsh_keeps_input() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag |= NOFLSH);
    t.type_str(b"abc\x03\r");
    assert_eq!(t.take_out(), b"abc^C\r\n");
    assert_eq!(t.take_events(), [Ev::Sig(Signal::Int)]);
    assert_eq!(t.read(10).unwrap(), b"abc\n");
}

#[test]
fn without_isig_ctrl_c_is_data() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !ISIG);
    t.type_str(b"\x03\x1a\r");
    assert_eq!(t.take_out(), b"^C^Z\r\n");
    assert!(t.take_events().is_empty());
    assert_eq!(t.read(10).unwrap(), b"\x03\x1a\n");
}

#[test]
fn signal_without_echo_is_silent() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !ECHO);
    t.type_str(b"\x03");
    assert_eq!(t.take_out(), b"");
    assert_eq!(t.take_events(), [Ev::Sig(Signal::Int), Ev::FlushOutput]);
}

#[test]
fn signal_without_echoctl_echoes_raw_byte() {
    let mut t = Tty::new();
    t.set(|t| t.c_lflag &= !ECHOCTL);
    t.type_str(b"\x03");
    assert_eq!(t.take_out(), b"\x03");
}

#[test]
fn changed_intr_char() {
    let mut t = Tty::new();
    t.set(|t| t.c_cc[VINTR] = b'q');
    t.type_str(b"\x03q");
    assert_eq!(t.take_out(), b"^Cq");
    assert_eq!(t.take_events(), [Ev::Sig(Signal::Int), Ev::FlushOutput]);
}

#[test]
fn disabled_intr_char() {
    let mut t = Tty::new();
    t.set(|t| t.c_cc[VINTR] = VDISABLE);
    t.type_str(b"\x03\x00\r");
    assert!(t.take_events().is_empty(), "neither ^C nor NUL interrupts");
    assert_eq!(t.read(10).unwrap(), b"\x03\x00\n");
}

#[test]
fn pasted_batch_loses_echo_before_ctrl_c() {
    // Linux's isig empties the echo buffer: echoes of the same batch not
    // yet written are dropped, only "^C" appears.
    let mut t = Tty::new();
    assert_eq!(t.paste(b"abc\x03de"), 6);
    assert_eq!(t.take_out(), b"^Cde");
    assert_eq!(t.ld.editing_line(), b"de");
}

#[test]
fn echo_watermark_survives_ctrl_c() {
    // 254 bytes plus the 2-byte column mark make 256 pending echo bytes:
    // commit_echoes writes them mid-batch; the rest are dropped by ^C.
    let mut t = Tty::new();
    let mut input = vec![b'a'; 300];
    input.push(ctrl(b'C'));
    assert_eq!(t.paste(&input), 301);
    let mut expect = vec![b'a'; 254];
    expect.extend_from_slice(b"^C");
    assert_eq!(t.take_out(), expect);
}

#[test]
fn signal_char_restarts_stopped_output() {
    let mut t = Tty::new();
    t.type_str(&[ctrl(b'S')]);
    assert!(t.ld.output_stopped());
    t.type_str(&[ctrl(b'C')]);
    assert!(!t.ld.output_stopped());
    assert_eq!(t.take_events(), [Ev::Stop, Ev::Sig(Signal::Int), Ev::FlushOutput, Ev::Start]);
}

#[test]
fn flow_control_beats_isig() {
    let mut t = Tty::new();
    t.set(|t| t.c_cc[VINTR] = ctrl(b'S'));
    t.type_str(&[ctrl(b'S')]);
    assert_eq!(t.take_events(), [Ev::Stop], "IXON is checked first");
}

#[test]
fn break_without_brkint_queues_nul() {
    let mut t = Tty::new();
    t.type_str(b"a");
    assert!(t.ld.receive_break(&mut t.rec));
    t.type_str(b"\r");
    assert_eq!(t.read(10).unwrap(), b"a\x00\n");
    assert!(t.take_events().is_empty());
}

#[test]
fn break_with_parmrk_is_marked() {
    let mut t = Tty::raw(1, 0);
    t.set(|t| t.c_iflag |= PARMRK);
    assert!(t.ld.receive_break(&mut t.rec));
    assert_eq!(t.read(10).unwrap(), b"\xff\x00\x00");
}

#[test]
fn break_with_brkint_interrupts() {
    let mut t = Tty::new();
    t.set(|t| t.c_iflag |= BRKINT);
    t.type_str(b"abc");
    assert!(t.ld.receive_break(&mut t.rec));
    assert_eq!(t.take_events(), [Ev::Sig(Signal::Int), Ev::FlushOutput]);
    assert!(t.ld.editing_line().is_empty());
}

#[test]
fn break_ignored_with_ignbrk() {
    let mut t = Tty::new();
    t.set(|t| t.c_iflag |= IGNBRK | BRKINT);
    t.type_str(b"a");
    assert!(t.ld.receive_break(&mut t.rec));
    assert!(t.take_events().is_empty());
    assert_eq!(t.ld.editing_line(), b"a");
}

#[test]
fn break_cancels_literal_next() {
    let mut t = Tty::new();
    t.type_str(&[ctrl(b'V')]);
    assert!(t.ld.receive_break(&mut t.rec));
    t.type_str(&[ctrl(b'C')]);
    assert_eq!(t.take_events()[0], Ev::Sig(Signal::Int), "^C after the break is not quoted");
}
