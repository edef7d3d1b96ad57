//! Shared test harness: a recording [`Sink`], a [`Tty`] wrapper that types
//! or pastes input and collects the exact bytes sent to the terminal, and a
//! simulated clock that drives a `VMIN`/`VTIME` read the way the kernel
//! will (sleeping, timers, input arriving at given times).
//!
//! Invariants: `Rec::out` holds every byte written to the sink, in order;
//! `Rec::events` every other sink call, in order; `take_out` and
//! `take_events` drain them.
#![allow(dead_code)]

use ldisc::{LineDiscipline, ReadStep, Signal, Sink, Termios, Timer};
use mello_abi::termios::*;
use std::collections::VecDeque;

/// A sink call other than `write`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    Sig(Signal),
    FlushOutput,
    Stop,
    Start,
}

#[derive(Default)]
pub struct Rec {
    pub out: Vec<u8>,
    pub events: Vec<Ev>,
}

impl Sink for Rec {
    fn write(&mut self, bytes: &[u8]) {
        assert!(!bytes.is_empty(), "empty write reached the sink");
        self.out.extend_from_slice(bytes);
    }
    fn signal(&mut self, sig: Signal) {
        self.events.push(Ev::Sig(sig));
    }
    fn flush_output(&mut self) {
        self.events.push(Ev::FlushOutput);
    }
    fn stop(&mut self) {
        self.events.push(Ev::Stop);
    }
    fn start(&mut self) {
        self.events.push(Ev::Start);
    }
}

/// A line discipline plus what it sent.
pub struct Tty {
    pub ld: LineDiscipline,
    pub rec: Rec,
}

impl Tty {
    /// A tty with Linux's default termios.
    pub fn new() -> Tty {
        Tty { ld: LineDiscipline::new(), rec: Rec::default() }
    }

    /// A tty in "raw" mode as `cfmakeraw` leaves it, with `VMIN`/`VTIME`.
    pub fn raw(vmin: u8, vtime: u8) -> Tty {
        let mut t = Tty::new();
        t.set(|t| {
            t.c_iflag &= !(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
            t.c_oflag &= !OPOST;
            t.c_lflag &= !(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
            t.c_cc[VMIN] = vmin;
            t.c_cc[VTIME] = vtime;
        });
        t
    }

    /// Change the termios (`TCSETS`).
    pub fn set(&mut self, f: impl FnOnce(&mut Termios)) {
        let mut t = self.ld.termios();
        f(&mut t);
        self.ld.set_termios(t, false, &mut self.rec);
    }

    /// Type `bytes` one at a time (one receive batch per keystroke);
    /// returns how many were taken.
    pub fn type_str(&mut self, bytes: &[u8]) -> usize {
        bytes.iter().take_while(|&&b| self.ld.receive(b, &mut self.rec)).count()
    }

    /// Deliver `bytes` as one receive batch; returns how many were taken.
    pub fn paste(&mut self, bytes: &[u8]) -> usize {
        self.ld.receive_buf(bytes, &mut self.rec)
    }

    /// Everything sent to the terminal since the last call.
    pub fn take_out(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.rec.out)
    }

    /// Every non-output sink event since the last call.
    pub fn take_events(&mut self) -> Vec<Ev> {
        std::mem::take(&mut self.rec.events)
    }

    /// A non-blocking read with a buffer of `n` bytes: `None` if it would
    /// block.
    pub fn read(&mut self, n: usize) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.ld.read(&mut buf).map(|k| buf[..k].to_vec())
    }

    /// Program output.
    pub fn write(&mut self, bytes: &[u8]) -> usize {
        self.ld.write(bytes, &mut self.rec)
    }

    /// A blocking read of up to `n` bytes, run on a simulated clock (in
    /// tenths of a second) while `arrivals` deliver input at their times.
    /// Returns the bytes and the time the read returned, or `None` if the
    /// read would sleep forever.
    pub fn timed_read(&mut self, n: usize, arrivals: &[(u32, &[u8])]) -> Option<(Vec<u8>, u32)> {
        let mut pending: VecDeque<(u32, Vec<u8>)> = arrivals.iter().map(|&(t, b)| (t, b.to_vec())).collect();
        let mut buf = vec![0u8; n];
        let mut now = 0u32;
        let mut deadline: Option<u32> = None;
        let mut op = self.ld.begin_read();
        loop {
            while pending.front().is_some_and(|a| a.0 <= now) {
                let (_, bytes) = pending.pop_front().unwrap();
                assert_eq!(self.paste(&bytes), bytes.len());
            }
            match self.ld.read_step(&mut op, &mut buf) {
                ReadStep::Done(k) => {
                    assert_eq!(k, op.copied());
                    return Some((buf[..k].to_vec(), now));
                }
                ReadStep::Wait(timer) => {
                    assert!(!self.ld.input_available(), "told to wait with input available");
                    match timer {
                        Timer::None => deadline = None,
                        Timer::Start(ds) => deadline = Some(now + u32::from(ds)),
                        Timer::Keep => assert!(deadline.is_some(), "Keep without a running timer"),
                    }
                    let next = pending.front().map(|a| a.0);
                    match (next, deadline) {
                        (None, None) => return None,
                        (Some(a), Some(d)) if a < d => now = a,
                        (Some(a), None) => now = a,
                        (_, Some(d)) => {
                            now = d;
                            deadline = None;
                            op.expire();
                        }
                    }
                }
            }
        }
    }
}

/// `^X` for a letter.
pub const fn ctrl(c: u8) -> u8 {
    c & 0x1f
}
