//! Terminal tests, part one: `TERMINAL` ([`TESTS`], in every run).
//!
//! Private terminals whose output goes to a capture buffer, fed by the
//! test itself as a driver would feed them: canonical reads and echo,
//! erase, a reader blocked until another task's input wakes it, `EAGAIN`,
//! `FIONREAD`, `VMIN`/`VTIME` timing, signal characters and the hook,
//! `^S`/`^Q` holding output and writers, and input beyond the ldisc's
//! queue kept in order; termios, window size and the ioctls.
//!
//! The capture buffer and the signal hook they share with the console
//! tests are in `tty_tests` (its `CAPTURED` is level `Console`, written
//! under the terminal's lock; the hook must run with that lock free, which
//! `HOOK_UNDER_LOCK` counts).

#![forbid(unsafe_code)]


use super::helpers::{wait_until, LATE};
use super::tty_tests::{hook_signals, raw_termios, read_now, show, signals, take_output, test_terminal, HOOK_UNDER_LOCK};
use super::Test;
use crate::kassert;
use crate::sched::{self, sleep, Priority};
use crate::tty::{self, terminal::ticks_of_deciseconds, Signal};
use ldisc::{Termios, WinSize};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering::*};
use mello_abi::termios::*;
use mello_abi::Errno;

pub const TESTS: &[Test] = &[
    ("terminal: canonical line, echo with ONLCR, erase and kill", canonical_and_echo),
    ("terminal: a blocked reader is woken by input from another task", blocked_reader_woken),
    ("terminal: empty non-blocking read is EAGAIN; FIONREAD and readable follow lines", nonblocking_and_fionread),
    ("terminal: VMIN/VTIME: timeout with no input, inter-byte timer, VMIN count", vmin_vtime),
    ("terminal: ^C ^\\ ^Z reach the signal hook outside the lock and flush input", signal_characters),
    ("terminal: ^S holds echoes and makes writers wait, ^Q releases both", flow_control),
    ("terminal: input beyond the queue is kept in order and offered after reads", backlog_in_order),
    ("terminal: termios, window size, TCFLSH, TCXONC, poll through its pollee", control_operations),
    ("terminal: ioctl TCGETS/TCSETSF/TIOCSWINSZ/FIONREAD/TIOCOUTQ/TCXONC; ENOTTY; kernel pointers EFAULT", ioctls),
];


fn canonical_and_echo() -> Result<(), String> {
    let t = test_terminal();
    t.receive(b"hello\r");
    let got = read_now(&t, 64).map_err(|e| format!("read: {e:?}"))?;
    kassert!(got == b"hello\n", "read {} (ICRNL makes the \\r a \\n)", show(&got));
    let echo = take_output();
    kassert!(echo == b"hello\r\n", "echo {} (ONLCR: \\n as \\r\\n)", show(&echo));
    // DEL erases one character (ECHOE: "\b \b"); ^U kills the line (ECHOKE).
    t.receive(b"wrx\x7f\x7fork\x15again\r");
    let got = read_now(&t, 64).map_err(|e| format!("read: {e:?}"))?;
    kassert!(got == b"again\n", "read {} after erase and kill", show(&got));
    let echo = take_output();
    let want = b"wrx\x08 \x08\x08 \x08ork\x08 \x08\x08 \x08\x08 \x08\x08 \x08again\r\n";
    kassert!(echo == want, "echo {}, expected {}", show(&echo), show(want));
    // A read returns at most one line, and a short buffer leaves the rest.
    t.receive(b"one\rtwo\r");
    let a = read_now(&t, 2).map_err(|e| format!("{e:?}"))?;
    let b = read_now(&t, 64).map_err(|e| format!("{e:?}"))?;
    let c = read_now(&t, 64).map_err(|e| format!("{e:?}"))?;
    kassert!(a == b"on" && b == b"e\n" && c == b"two\n", "reads {} {} {}", show(&a), show(&b), show(&c));
    // Writes go through OPOST.
    let n = t.write(b"out\n", false).map_err(|e| format!("write: {e:?}"))?;
    kassert!(n == 4, "write returned {n}");
    let _ = take_output();
    // ^D on an empty line: end of file.
    t.receive(b"\x04");
    let eof = read_now(&t, 64).map_err(|e| format!("{e:?}"))?;
    kassert!(eof.is_empty(), "^D on an empty line read {}", show(&eof));
    let s = t.stats();
    kassert!(s.rx == 6 + 15 + 8 + 1 && s.overruns == 0, "stats {s:?}");
    Ok(())
}

fn blocked_reader_woken() -> Result<(), String> {
    super::helpers::need_timer()?;
    let t = test_terminal();
    let typist = t.clone();
    let started = Arc::new(AtomicUsize::new(0));
    let s2 = started.clone();
    sched::spawn_task(
        "ktest-typist",
        move || {
            s2.store(1, SeqCst);
            sleep::sleep(3);
            typist.receive(b"late");
            sleep::sleep(1);
            typist.receive(b" line\r");
        },
        Priority::Normal,
    )
    .map_err(|_| String::from("spawn failed"))?;
    let t0 = sleep::now();
    let mut buf = [0u8; 64];
    let n = t.read(&mut buf, false).map_err(|e| format!("blocking read: {e:?}"))?;
    let waited = sleep::now() - t0;
    kassert!(&buf[..n] == b"late line\n", "read {}", show(&buf[..n]));
    kassert!(waited >= 3, "the read returned after {waited} ticks, before the input was typed");
    kassert!(started.load(SeqCst) == 1, "typist never ran");
    Ok(())
}

fn nonblocking_and_fionread() -> Result<(), String> {
    let t = test_terminal();
    kassert!(read_now(&t, 8) == Err(Errno::EAGAIN), "empty read: {:?}", read_now(&t, 8));
    kassert!(!t.readable() && t.fionread() == 0, "empty terminal readable");
    t.receive(b"partial");
    kassert!(read_now(&t, 8) == Err(Errno::EAGAIN), "a partial line is readable in canonical mode");
    kassert!(!t.readable() && t.fionread() == 0, "FIONREAD {} for a partial line", t.fionread());
    t.receive(b"\rnext");
    kassert!(t.readable() && t.fionread() == 8, "FIONREAD {} for one complete line of 8", t.fionread());
    // Switching to non-canonical makes everything queued readable.
    t.set_termios(raw_termios(1, 0), false);
    kassert!(t.fionread() == 12, "FIONREAD {} in raw mode", t.fionread());
    let got = read_now(&t, 64).map_err(|e| format!("{e:?}"))?;
    kassert!(got == b"partial\nnext", "raw read {}", show(&got));
    kassert!(t.writable(), "not writable");
    Ok(())
}

fn vmin_vtime() -> Result<(), String> {
    super::helpers::need_timer()?;
    let t = test_terminal();
    // VMIN=0, VTIME=3: 0 bytes after 0.3 s.
    t.set_termios(raw_termios(0, 3), false);
    let want = ticks_of_deciseconds(3);
    let t0 = sleep::now();
    let mut buf = [0u8; 16];
    let n = t.read(&mut buf, false).map_err(|e| format!("{e:?}"))?;
    let took = sleep::now() - t0;
    kassert!(n == 0, "read {n} bytes with no input");
    kassert!(took >= want && took <= want + LATE, "VTIME=3 read took {took} ticks, expected {want}");
    // VMIN=0, VTIME=0: never waits.
    t.set_termios(raw_termios(0, 0), false);
    kassert!(t.read(&mut buf, false) == Ok(0), "VMIN=0 VTIME=0 did not return 0 at once");
    // VMIN=5, VTIME=2: two bytes, then the inter-byte timer ends the read.
    t.set_termios(raw_termios(5, 2), false);
    t.receive(b"ab");
    let t0 = sleep::now();
    let n = t.read(&mut buf, false).map_err(|e| format!("{e:?}"))?;
    let took = sleep::now() - t0;
    kassert!(&buf[..n] == b"ab", "inter-byte timeout read {}", show(&buf[..n]));
    let want = ticks_of_deciseconds(2);
    kassert!(took >= want && took <= want + LATE, "inter-byte timer took {took} ticks, expected {want}");
    // VMIN=3, VTIME=0: waits for the third byte from another task.
    t.set_termios(raw_termios(3, 0), false);
    let typist = t.clone();
    sched::spawn_task(
        "ktest-typist",
        move || {
            typist.receive(b"x");
            sleep::sleep(2);
            typist.receive(b"yz");
        },
        Priority::Normal,
    )
    .map_err(|_| String::from("spawn failed"))?;
    let n = t.read(&mut buf, false).map_err(|e| format!("{e:?}"))?;
    kassert!(&buf[..n] == b"xyz", "VMIN=3 read {}", show(&buf[..n]));
    // No echo in raw mode.
    kassert!(take_output().is_empty(), "raw mode echoed");
    Ok(())
}

fn signal_characters() -> Result<(), String> {
    let _hook = hook_signals();
    let t = test_terminal();
    let before = [Signal::Int, Signal::Quit, Signal::Tstp].map(|s| signals(false, s));
    HOOK_UNDER_LOCK.store(0, Relaxed);
    t.receive(b"junk\x03");
    kassert!(signals(false, Signal::Int) == before[0] + 1, "^C: SIGINT count {} -> {}", before[0], signals(false, Signal::Int));
    kassert!(read_now(&t, 16) == Err(Errno::EAGAIN) && t.fionread() == 0, "^C did not flush the line");
    t.receive(b"ok\r");
    let got = read_now(&t, 16).map_err(|e| format!("{e:?}"))?;
    kassert!(got == b"ok\n", "read {} after ^C", show(&got));
    let echo = take_output();
    kassert!(echo == b"^Cok\r\n", "echo {} (the pending echo of \"junk\" is flushed, ^C echoed)", show(&echo));
    t.receive(b"\x1c\x1a");
    kassert!(signals(false, Signal::Quit) == before[1] + 1, "^\\ raised no SIGQUIT");
    kassert!(signals(false, Signal::Tstp) == before[2] + 1, "^Z raised no SIGTSTP");
    kassert!(HOOK_UNDER_LOCK.load(Relaxed) == 0, "the hook ran holding a lock");
    // With ISIG off, ^C is data.
    let mut raw = TTY_STD_TERMIOS;
    raw.c_lflag &= !ISIG;
    t.set_termios(raw, true);
    t.receive(b"\x03\r");
    let got = read_now(&t, 16).map_err(|e| format!("{e:?}"))?;
    kassert!(got == b"\x03\n" && signals(false, Signal::Int) == before[0] + 1, "-isig: read {}", show(&got));
    Ok(())
}

fn flow_control() -> Result<(), String> {
    super::helpers::need_timer()?;
    let t = test_terminal();
    t.receive(b"\x13");
    kassert!(!t.writable(), "^S: still writable");
    kassert!(t.write(b"w", true) == Err(Errno::EAGAIN), "non-blocking write while stopped did not fail");
    t.receive(b"x");
    kassert!(take_output().is_empty(), "echo while stopped was sent");
    // A blocking writer waits for ^Q.
    let done = Arc::new(AtomicUsize::new(0));
    let (w, d2) = (t.clone(), done.clone());
    sched::spawn_task(
        "ktest-writer",
        move || {
            let r = w.write(b"late\n", false);
            d2.store(if r == Ok(5) { 1 } else { 2 }, SeqCst);
        },
        Priority::Normal,
    )
    .map_err(|_| String::from("spawn failed"))?;
    sleep::sleep(3);
    kassert!(done.load(SeqCst) == 0, "a blocking write went through while output was stopped");
    t.receive(b"\x11");
    wait_until(100, "the writer to finish after ^Q", || done.load(SeqCst) != 0)?;
    kassert!(done.load(SeqCst) == 1, "the writer failed");
    let out = take_output();
    kassert!(out == b"xlate\r\n", "output after ^Q: {} (held echo first, then the write)", show(&out));
    kassert!(t.writable(), "not writable after ^Q");
    Ok(())
}

fn backlog_in_order() -> Result<(), String> {
    let t = test_terminal();
    t.set_termios(raw_termios(1, 0), false);
    let input: Vec<u8> = (0..6000u32).map(|i| (i % 251) as u8).collect();
    t.receive(&input[..3000]);
    t.receive(&input[3000..]);
    let queued = t.fionread();
    kassert!(queued == ldisc::N_TTY_BUF_SIZE - 1, "queue holds {queued}, expected {}", ldisc::N_TTY_BUF_SIZE - 1);
    let mut got = Vec::new();
    let mut buf = [0u8; 1000];
    while let Ok(n) = t.read(&mut buf, true) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    kassert!(got.len() == input.len(), "read {} of {} bytes", got.len(), input.len());
    kassert!(got == input, "bytes out of order");
    kassert!(t.stats().overruns == 0, "overruns {}", t.stats().overruns);
    Ok(())
}

fn control_operations() -> Result<(), String> {
    super::helpers::need_timer()?;
    let t = test_terminal();
    kassert!(t.termios() == TTY_STD_TERMIOS, "a new terminal's termios is not tty_std_termios");
    let raw = raw_termios(1, 0);
    t.set_termios(raw, false);
    kassert!(t.termios() == raw, "set_termios did not stick");
    t.set_termios(TTY_STD_TERMIOS, false);
    let ws = WinSize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 };
    kassert!(t.winsize() == WinSize::default(), "a new terminal's window is not 0x0");
    kassert!(t.set_winsize(ws) && !t.set_winsize(ws), "set_winsize: changed flags wrong");
    kassert!(t.winsize() == ws, "winsize {:?}", t.winsize());
    t.receive(b"gone\r");
    t.tcflush(TCIFLUSH).map_err(|e| format!("TCIFLUSH: {e:?}"))?;
    kassert!(t.fionread() == 0, "TCIFLUSH left {} bytes", t.fionread());
    kassert!(t.tcflush(99) == Err(Errno::EINVAL), "TCFLSH 99 accepted");
    let _ = take_output();
    t.tcflow(TCOOFF).map_err(|e| format!("TCOOFF: {e:?}"))?;
    kassert!(!t.writable(), "TCOOFF: still writable");
    t.receive(b""); // START does not undo TCOOFF
    kassert!(!t.writable(), "^Q undid TCOOFF");
    t.tcflow(TCOON).map_err(|e| format!("TCOON: {e:?}"))?;
    kassert!(t.writable(), "TCOON: not writable");
    t.tcflow(TCIOFF).map_err(|e| format!("TCIOFF: {e:?}"))?;
    let out = take_output();
    kassert!(out == b"\x13", "TCIOFF sent {} (expected the STOP character)", show(&out));
    // poll(POLLIN): readiness through the terminal's pollee.
    let typist = t.clone();
    sched::spawn_task(
        "ktest-typist",
        move || {
            sleep::sleep(2);
            typist.receive(b"ready\r");
        },
        Priority::Normal,
    )
    .map_err(|_| String::from("spawn failed"))?;
    sched::pollee::wait_until(&[t.pollee()], || if t.readable() { Ok(()) } else { Err(Errno::EAGAIN) })
        .map_err(|e| format!("poll: {e:?}"))?;
    kassert!(t.fionread() == 6, "readable with FIONREAD {}", t.fionread());
    Ok(())
}

/// Pretend user memory: a kernel buffer at address `BASE`.
struct FakeMemory(core::cell::RefCell<[u8; 64]>);
const BASE: usize = 0x1000;

impl tty::ioctl::ArgMemory for FakeMemory {
    fn read(&self, addr: usize, dst: &mut [u8]) -> Result<(), Errno> {
        let at = addr.checked_sub(BASE).filter(|a| a + dst.len() <= 64).ok_or(Errno::EFAULT)?;
        dst.copy_from_slice(&self.0.borrow()[at..at + dst.len()]);
        Ok(())
    }
    fn write(&self, addr: usize, src: &[u8]) -> Result<(), Errno> {
        let at = addr.checked_sub(BASE).filter(|a| a + src.len() <= 64).ok_or(Errno::EFAULT)?;
        self.0.borrow_mut()[at..at + src.len()].copy_from_slice(src);
        Ok(())
    }
}

fn ioctls() -> Result<(), String> {
    use mello_abi::termios::ioctl::*;
    use tty::ioctl::{ioctl, ioctl_in};
    let t = test_terminal();
    let mem = FakeMemory(core::cell::RefCell::new([0; 64]));
    let call = |cmd: u32, arg: usize| ioctl_in(&t, cmd, arg, &mem);
    kassert!(call(TCGETS, BASE) == Ok(0), "TCGETS failed");
    let got = Termios::from_bytes(mem.0.borrow()[..TERMIOS_SIZE].try_into().unwrap());
    kassert!(got == TTY_STD_TERMIOS, "TCGETS gave {got:?}");
    // TCSETSF: raw mode, pending input discarded.
    t.receive(b"old");
    mem.0.borrow_mut()[..TERMIOS_SIZE].copy_from_slice(&raw_termios(1, 0).to_bytes());
    kassert!(call(TCSETSF, BASE) == Ok(0), "TCSETSF failed");
    kassert!(t.termios() == raw_termios(1, 0) && t.fionread() == 0, "TCSETSF: termios or flush not applied");
    t.receive(b"new");
    kassert!(call(FIONREAD, BASE + 40) == Ok(0), "FIONREAD failed");
    let n = i32::from_le_bytes(mem.0.borrow()[40..44].try_into().unwrap());
    kassert!(n == 3, "FIONREAD wrote {n}");
    let ws = WinSize { ws_row: 50, ws_col: 132, ws_xpixel: 1, ws_ypixel: 2 };
    mem.0.borrow_mut()[48..56].copy_from_slice(&ws.to_bytes());
    kassert!(call(TIOCSWINSZ, BASE + 48) == Ok(0) && t.winsize() == ws, "TIOCSWINSZ: {:?}", t.winsize());
    mem.0.borrow_mut()[48..56].fill(0);
    kassert!(call(TIOCGWINSZ, BASE + 48) == Ok(0), "TIOCGWINSZ failed");
    kassert!(WinSize::from_bytes(mem.0.borrow()[48..56].try_into().unwrap()) == ws, "TIOCGWINSZ wrong");
    // Output held by TCOOFF shows in TIOCOUTQ; echo is off in raw mode, so stop a cooked terminal.
    t.set_termios(TTY_STD_TERMIOS, true);
    kassert!(call(TCXONC, TCOOFF as usize) == Ok(0), "TCXONC TCOOFF failed");
    t.receive(b"abc");
    kassert!(call(TIOCOUTQ, BASE + 40) == Ok(0), "TIOCOUTQ failed");
    let q = i32::from_le_bytes(mem.0.borrow()[40..44].try_into().unwrap());
    kassert!(q == 3, "TIOCOUTQ {q} with the echo of \"abc\" held");
    kassert!(call(TCXONC, TCOON as usize) == Ok(0) && t.output_queued() == 0, "TCOON left output held");
    kassert!(call(TCFLSH, TCIFLUSH as usize) == Ok(0) && t.fionread() == 0, "TCFLSH");
    kassert!(call(TCXONC, 7) == Err(Errno::EINVAL), "TCXONC 7 accepted");
    kassert!(call(TCSBRK, 1) == Ok(0), "tcdrain failed");
    kassert!(call(TIOCSPGRP, BASE) == Err(Errno::ENOTTY), "an unknown request is not ENOTTY");
    kassert!(call(TCGETS, BASE + 60) == Err(Errno::EFAULT), "a short buffer is not EFAULT");
    // The real user-memory path refuses kernel and null pointers.
    let kernel_buf = [0u8; TERMIOS_SIZE];
    kassert!(ioctl(&t, TCGETS, kernel_buf.as_ptr() as usize) == Err(Errno::EFAULT), "TCGETS to a kernel address");
    kassert!(ioctl(&t, TCSETS, 0) == Err(Errno::EFAULT), "TCSETS from address 0");
    Ok(())
}
