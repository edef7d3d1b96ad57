//! Terminal tests, part two: `TTY` ([`TESTS`], only when named:
//! `ktest=TTY`), and the capture buffer and signal hook both parts share
//! (part one, `TERMINAL`, is `terminal_tests`).
//!
//! * `TTY`: the system console with real input. Each part prints
//!   `[TTY] ready: PART` and then blocks reading the console terminal,
//!   while the harness types on COM1 (`--type`) or presses keys on the
//!   PS/2 keyboard (`--sendkey`) after that line; it prints what the read
//!   returned (`[TTY] canonical read: "hello\n"`), checks it and the echo's
//!   byte count, and the harness checks the lines and the echo bytes on the
//!   serial line.
//! * `CAPTURED` (level `Console`) holds the test terminals' output: it is
//!   written under the terminal's lock and fixed-size, as nothing may
//!   allocate under it. The signal hook records each signal in atomics and
//!   counts in `HOOK_UNDER_LOCK` any run with a lock held (there must be
//!   none).

#![forbid(unsafe_code)]

use super::helpers::{wait_until, Defer};
use super::Test;
use crate::kassert;
use crate::sync::{IrqSpinLock, LockLevel};
use crate::tty::{self, Signal, Terminal};
use ldisc::Termios;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering::*};
use mello_abi::termios::*;
use mello_abi::Errno;

pub const TESTS: &[Test] = &[
    ("tty: serial input, canonical mode, echo", console_serial_canonical),
    ("tty: serial input, erase (DEL)", console_serial_erase),
    ("tty: serial ^C raises SIGINT and flushes the line", console_serial_signal),
    ("tty: keyboard input, canonical mode", console_keyboard),
    ("tty: keyboard shift, backspace, caps lock", console_keyboard_shift),
    ("tty: keyboard ctrl+c raises SIGINT", console_keyboard_ctrl_c),
    ("tty: raw mode, bytes one by one without echo", console_raw),
];

// ---- capture output and signal hook ----------------------------------------

const CAPTURE_MAX: usize = 8192;
/// Output of the test terminals (level `Console`: written under the
/// terminal's lock; fixed-size, as nothing may allocate under it).
static CAPTURED: IrqSpinLock<([u8; CAPTURE_MAX], usize)> =
    IrqSpinLock::new(LockLevel::Console, "ktest tty capture", ([0; CAPTURE_MAX], 0));

fn capture(bytes: &[u8]) {
    let mut c = CAPTURED.lock();
    let len = c.1;
    let n = bytes.len().min(CAPTURE_MAX - len);
    c.0[len..len + n].copy_from_slice(&bytes[..n]);
    c.1 += n;
}

/// The captured output since the last call.
pub(super) fn take_output() -> Vec<u8> {
    let (buf, len) = {
        let mut c = CAPTURED.lock();
        let copy = *c;
        c.1 = 0;
        copy
    };
    buf[..len].to_vec()
}

/// Signals seen by the test hook: [console, test terminals] x [INT, QUIT, TSTP].
static SIGNALS: [[AtomicUsize; 3]; 2] = [const { [const { AtomicUsize::new(0) }; 3] }; 2];
/// Whether the hook ran with the terminal's lock free (it must).
pub(super) static HOOK_UNDER_LOCK: AtomicUsize = AtomicUsize::new(0);

fn sig_index(sig: Signal) -> usize {
    match sig {
        Signal::Int => 0,
        Signal::Quit => 1,
        Signal::Tstp => 2,
    }
}

fn record_signal(t: &Terminal, sig: Signal) {
    if crate::sync::lock_ordering::holds_any() {
        HOOK_UNDER_LOCK.fetch_add(1, Relaxed);
    }
    let console = t.name() == "console";
    SIGNALS[usize::from(!console)][sig_index(sig)].fetch_add(1, SeqCst);
    if console {
        crate::klog!("TTY", "signal hook: {} ({}) from {}", tty::signal_name(sig), sig.number(), t.name());
    }
}

pub(super) fn signals(console: bool, sig: Signal) -> usize {
    SIGNALS[usize::from(!console)][sig_index(sig)].load(SeqCst)
}

/// Install the test hook until the returned guard drops.
pub(super) fn hook_signals() -> Defer<impl FnMut()> {
    let old = tty::set_signal_hook(Some(record_signal));
    Defer(move || {
        tty::set_signal_hook(old);
    })
}

pub(super) fn test_terminal() -> Arc<Terminal> {
    let _ = take_output();
    Arc::new(Terminal::new("ktest-tty", capture))
}

pub(super) fn read_now(t: &Terminal, max: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; max];
    let n = t.read(&mut buf, true)?;
    buf.truncate(n);
    Ok(buf)
}

pub(super) fn show(bytes: &[u8]) -> String {
    match core::str::from_utf8(bytes) {
        Ok(s) => format!("{s:?}"),
        Err(_) => format!("{bytes:x?}"),
    }
}

pub(super) fn raw_termios(vmin: u8, vtime: u8) -> Termios {
    // cfmakeraw, then VMIN/VTIME.
    let mut t = TTY_STD_TERMIOS;
    t.c_iflag &= !(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag &= !OPOST;
    t.c_lflag &= !(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag = (t.c_cflag & !(CSIZE | PARENB)) | CS8;
    t.c_cc[VMIN] = vmin;
    t.c_cc[VTIME] = vtime;
    t
}

// ---- TTY: the console, typed on by the harness --------------------------------

/// Reset the console to the default termios and discard stale input.
fn console_reset() -> &'static Terminal {
    let t = tty::console();
    t.set_termios(mello_abi::termios::SERIAL_CONSOLE_TERMIOS, true);
    t
}

/// Print the ready line, block on one read, print and return what came
/// and how many bytes the terminal sent meanwhile (its echo).
fn ready_and_read(part: &str, what: &str) -> Result<(Vec<u8>, u64), String> {
    let t = tty::console();
    let tx0 = t.stats().tx;
    crate::klog!("TTY", "ready: {}", part);
    let mut buf = [0u8; 256];
    let n = t.read(&mut buf, false).map_err(|e| format!("read: {e:?}"))?;
    let echoed = t.stats().tx - tx0;
    crate::klog!("TTY", "{} read: {}", what, show(&buf[..n]));
    Ok((buf[..n].to_vec(), echoed))
}

fn console_serial_canonical() -> Result<(), String> {
    console_reset();
    let (got, echoed) = ready_and_read("serial canonical", "canonical")?;
    kassert!(got == b"hello\n", "read {}", show(&got));
    kassert!(echoed == 7, "{echoed} bytes echoed, expected 7 (\"hello\\r\\n\")");
    Ok(())
}

fn console_serial_erase() -> Result<(), String> {
    console_reset();
    let (got, echoed) = ready_and_read("serial erase", "erase")?;
    kassert!(got == b"world\n", "read {}", show(&got));
    // "worxx" + 2 x "\b \b" + "ld" + "\r\n"
    kassert!(echoed == 5 + 6 + 2 + 2, "{echoed} bytes echoed");
    Ok(())
}

fn console_serial_signal() -> Result<(), String> {
    let _hook = hook_signals();
    console_reset();
    let before = signals(true, Signal::Int);
    let (got, _) = ready_and_read("serial signal", "after ^C")?;
    wait_until(200, "the SIGINT hook", || signals(true, Signal::Int) > before)?;
    kassert!(got == b"ok\n", "read {} (the line before ^C must be discarded)", show(&got));
    Ok(())
}

fn console_keyboard() -> Result<(), String> {
    console_reset();
    let (got, echoed) = ready_and_read("keyboard", "keyboard")?;
    kassert!(got == b"hi\n", "read {}", show(&got));
    kassert!(echoed == 4, "{echoed} bytes echoed, expected 4 (\"hi\\r\\n\")");
    Ok(())
}

fn console_keyboard_shift() -> Result<(), String> {
    console_reset();
    let (got, _) = ready_and_read("keyboard shift", "keyboard shift")?;
    kassert!(got == b"HiA\n", "read {} (shift-h i x backspace caps_lock a caps_lock ret)", show(&got));
    Ok(())
}

fn console_keyboard_ctrl_c() -> Result<(), String> {
    let _hook = hook_signals();
    console_reset();
    let before = signals(true, Signal::Int);
    let (got, _) = ready_and_read("keyboard ctrl-c", "keyboard after ctrl-c")?;
    wait_until(200, "the SIGINT hook", || signals(true, Signal::Int) > before)?;
    kassert!(got == b"b\n", "read {} (a ctrl-c b ret: the a is discarded)", show(&got));
    Ok(())
}

fn console_raw() -> Result<(), String> {
    let _hook = hook_signals();
    let t = console_reset();
    let _restore = Defer(|| tty::console().set_termios(mello_abi::termios::SERIAL_CONSOLE_TERMIOS, true));
    t.set_termios(raw_termios(1, 0), true);
    let ints = signals(true, Signal::Int);
    let tx0 = t.stats().tx;
    crate::klog!("TTY", "ready: raw");
    let mut got = Vec::new();
    for i in 1..=4 {
        let mut byte = [0u8; 1];
        let n = t.read(&mut byte, false).map_err(|e| format!("read: {e:?}"))?;
        kassert!(n == 1, "raw read {i} returned {n}");
        crate::klog!("TTY", "raw byte {}: {:#04x}", i, byte[0]);
        got.push(byte[0]);
    }
    let echoed = t.stats().tx - tx0;
    kassert!(got == b"ab\x03\r", "raw bytes {} (no ICRNL, ^C is data)", show(&got));
    kassert!(echoed == 0, "{echoed} bytes echoed in raw mode");
    kassert!(signals(true, Signal::Int) == ints, "^C raised SIGINT with ISIG off");
    let (rx, dropped) = crate::serial::rx_counts();
    crate::klog!("TTY", "raw: 4 bytes, 0 echoed, no signal (COM1: {} bytes received, {} dropped)", rx, dropped);
    kassert!(dropped == 0, "COM1 dropped {dropped} bytes");
    Ok(())
}
