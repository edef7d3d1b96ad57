//! A terminal's data path: device input ([`Terminal::receive`]) and the
//! `read`/`write` calls of the tasks using it (Linux `n_tty_read`,
//! `n_tty_write`).
//!
//! * Input the ldisc cannot take yet waits, in order, in the backlog (up to
//!   [`BACKLOG_MAX`] bytes, then counted as overruns), offered again after
//!   every read step.
//! * A read waits for input through `pollee::wait_until`; a `VTIME` timer
//!   is a deadline in scheduler ticks, checked every tick while the reader
//!   sleeps. A signal ends a wait (`ERESTARTSYS`, or the bytes read so far).
//! * A write goes in chunks of [`WRITE_CHUNK`] bytes; while output is
//!   stopped it waits for the restart, or returns `EAGAIN` if non-blocking.
//!
//! Locking: every step runs under the terminal's `state` lock (an
//! `IrqSpinLock`, level `Terminal`; the input interrupt takes it too) for
//! bounded work only, through `with_state`, which notifies the pollee and
//! delivers raised signals after releasing it. No wait happens under it.

use super::{ticks_of_deciseconds, Terminal, BACKLOG_MAX, WRITE_CHUNK};
use crate::sched::{pollee, sleep};
use ldisc::{ReadStep, Timer};
use mello_abi::Errno;

impl Terminal {
    /// Device input (interrupt context): feed `bytes` to the line
    /// discipline, keeping what it cannot take yet, and wake readers.
    pub fn receive(&self, bytes: &[u8]) {
        self.with_state(|st| {
            st.io.stats.rx += bytes.len() as u64;
            st.wake = true;
            let mut rest = bytes;
            if st.backlog.is_empty() {
                let taken = st.ld.receive_buf(rest, &mut st.io);
                rest = &rest[taken..];
            } else {
                st.refill();
            }
            if !rest.is_empty() {
                let room = BACKLOG_MAX - st.backlog.len();
                let n = rest.len().min(room);
                st.backlog.extend(&rest[..n]);
                st.io.stats.overruns += (rest.len() - n) as u64;
                // Everything queued is behind the backlog: offer it in order.
                st.refill();
            }
        });
    }

    /// Read into `buf` (Linux `n_tty_read`): in canonical mode at most one
    /// line, 0 at end of file (`VEOF` on an empty line); otherwise by
    /// `VMIN`/`VTIME`. Blocks until then unless `nonblocking`, which gives
    /// what is there or `EAGAIN`. A signal interrupts the wait
    /// (`ERESTARTSYS`, or the bytes already read).
    pub fn read(&self, buf: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut op = self.state.lock().ld.begin_read();
        let mut deadline: Option<u64> = None;
        loop {
            let step = self.with_state(|st| {
                let step = st.ld.read_step(&mut op, buf);
                st.refill();
                step
            });
            let timer = match step {
                ReadStep::Done(n) => return Ok(n),
                ReadStep::Wait(_) if nonblocking => {
                    return if op.copied() > 0 { Ok(op.copied()) } else { Err(Errno::EAGAIN) };
                }
                ReadStep::Wait(timer) => timer,
            };
            match timer {
                Timer::None => deadline = None,
                Timer::Start(ds) => deadline = Some(sleep::now() + ticks_of_deciseconds(ds)),
                Timer::Keep => {}
            }
            // A signal ends the wait: what was read so far is the result,
            // else the call is interrupted (n_tty_read's -ERESTARTSYS).
            let interrupted = |op: &ldisc::ReadOp| if op.copied() > 0 { Ok(op.copied()) } else { Err(Errno::ERESTARTSYS) };
            match deadline {
                None => match pollee::wait_until(&[&self.pollee], || self.input_or_eagain()) {
                    Err(Errno::ERESTARTSYS) => return interrupted(&op),
                    other => other?,
                },
                Some(at) => {
                    while self.input_or_eagain().is_err() {
                        if sleep::now() >= at {
                            op.expire();
                            break;
                        }
                        if sleep::sleep_interruptible(1).is_err() {
                            return interrupted(&op);
                        }
                    }
                }
            }
        }
    }

    fn input_or_eagain(&self) -> Result<(), Errno> {
        if self.state.lock().ld.input_available() {
            Ok(())
        } else {
            Err(Errno::EAGAIN)
        }
    }

    /// Write `bytes` (Linux `n_tty_write`: pending echoes first, then the
    /// bytes through `OPOST` processing). While output is stopped it waits
    /// for the restart, or with `nonblocking` returns what it wrote so far
    /// (`EAGAIN` if nothing).
    pub fn write(&self, bytes: &[u8], nonblocking: bool) -> Result<usize, Errno> {
        let mut done = 0;
        for chunk in bytes.chunks(WRITE_CHUNK) {
            let attempt = || {
                self.with_state(|st| {
                    if st.io.stopped {
                        return Err(Errno::EAGAIN);
                    }
                    Ok(st.ld.write(chunk, &mut st.io))
                })
            };
            let r = if nonblocking { attempt() } else { pollee::wait_until(&[&self.pollee], attempt) };
            match r {
                Ok(n) => done += n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }
}
