//! The kernel log: every `klog!` line goes into a ring buffer (the
//! `kmsg` crate, as Linux's printk buffer) with its level and time, and
//! to the console when its level is below the console log level.
//!
//! * Levels are Linux's (0 emergency .. 7 debug). `klog!` logs at INFO (6),
//!   `ktrace!` at DEBUG (7). The console level is `loglevel=` from the
//!   command line (default 7, as Linux's: everything but debug is shown).
//! * Scheduler and IPI tracing is DEBUG: it reaches the console only while
//!   the kernel boots (the spec's boot log shows it), and after
//!   [`end_of_boot`] (the first user program starts) only the ring.
//! * [`read_all`] gives `syslog(SYSLOG_ACTION_READ_ALL)`'s text for `dmesg`.
//! * [`read_unread`] is the one consuming reader (`syslog(SYSLOG_ACTION_READ)`
//!   and `/proc/kmsg`, as in Linux they share one read position): it takes
//!   the records not read yet, waiting while there are none. `log` cannot
//!   wake the waiters (it runs under any lock, even a wait queue's), so CPU
//!   0's timer tick does when records arrived since the last one
//!   ([`tick`]): a reader sees a new line within a tick.
//!
//! Locking: the ring has one `IrqSpinLock` at level `Console`, taken alone
//! (released before the console is written), so any code may log. The read
//! and clear positions are atomics; a read claims its records by moving
//! the read position with a compare-and-swap, so two readers never get the
//! same record.

use crate::sched::pollee::{self, Pollee};
use crate::sync::{IrqSpinLock, LockLevel};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use kmsg::Ring;
pub use kmsg::level;
use mello_abi::Errno;

/// Bytes of log kept (the oldest records go first).
const RING_BYTES: usize = 64 * 1024;
/// Longest line formatted; longer lines are cut (the ring keeps 1,024).
const LINE_MAX: usize = 512;

static RING: IrqSpinLock<Ring<RING_BYTES>> = IrqSpinLock::new(LockLevel::Console, "kmsg", Ring::new());
static CONSOLE_LEVEL: AtomicU8 = AtomicU8::new(level::DEBUG);
static BOOTING: AtomicBool = AtomicBool::new(true);
/// Where [`read_unread`] continues, and where [`clear`] last cut the log
/// (sequence numbers).
static READ_SEQ: AtomicU64 = AtomicU64::new(0);
static CLEAR_SEQ: AtomicU64 = AtomicU64::new(0);
/// Readers waiting for records, and the next sequence number at the last
/// tick that woke them.
static UNREAD: Pollee = Pollee::new();
static TICK_SEQ: AtomicU64 = AtomicU64::new(0);

/// Set the console log level (`loglevel=N`: levels below N are shown).
pub fn set_console_level(n: u8) {
    CONSOLE_LEVEL.store(n.min(8), Ordering::Relaxed);
}

/// The first user program (or the kernel test suite) runs: debug tracing
/// leaves the console.
pub fn end_of_boot() {
    BOOTING.store(false, Ordering::Relaxed);
}

struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(LINE_MAX - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Record one line at `lvl`; print it if the console level allows.
pub fn log(lvl: u8, args: fmt::Arguments) {
    let mut line = Line { buf: [0; LINE_MAX], len: 0 };
    let _ = line.write_fmt(args);
    let time = crate::arch::time::now_us();
    RING.lock().push(lvl, time, &line.buf[..line.len]);
    let shown = lvl < CONSOLE_LEVEL.load(Ordering::Relaxed) || (lvl == level::DEBUG && BOOTING.load(Ordering::Relaxed));
    if shown {
        crate::serial::write_fmt(format_args!("{}\n", core::str::from_utf8(&line.buf[..line.len]).unwrap_or_else(|e| {
            // A cut inside a UTF-8 sequence: print the whole characters.
            core::str::from_utf8(&line.buf[..e.valid_up_to()]).unwrap_or("")
        })));
    }
}

/// `syslog(SYSLOG_ACTION_READ_ALL)`: the newest records that fit `out`.
pub fn read_all(out: &mut [u8]) -> usize {
    RING.lock().read_all(out)
}

/// Bytes `read_all` would return with room for everything.
pub fn size() -> usize {
    RING.lock().formatted_size()
}

/// Formatted records with sequence number `>= from` that fit `out`, oldest
/// first: (bytes written, the sequence number to continue from).
pub fn read_from(from: u64, out: &mut [u8]) -> (usize, u64) {
    RING.lock().read_from(from, out)
}

/// The sequence number the next record will get.
pub fn next_seq() -> u64 {
    RING.lock().next_seq()
}

/// Where the reads that honour `syslog(SYSLOG_ACTION_CLEAR)` start.
pub fn clear_seq() -> u64 {
    CLEAR_SEQ.load(Ordering::Relaxed)
}

/// `SYSLOG_ACTION_CLEAR`: later reads start after the records logged so far.
pub fn clear() {
    CLEAR_SEQ.store(next_seq(), Ordering::Relaxed);
}

fn unread_from() -> u64 {
    READ_SEQ.load(Ordering::Relaxed).max(clear_seq())
}

/// Bytes [`read_unread`] would return with room for everything.
pub fn unread_bytes() -> usize {
    let mut all = alloc::vec![0u8; BUFFER_BYTES * 2];
    read_from(unread_from(), &mut all).0
}

/// The unread records that fit `out` (whole lines), consumed; waits
/// (interruptibly: `ERESTARTSYS`) while there are none unless `nonblock`
/// (then `EAGAIN`). 0 if the next record alone does not fit.
pub fn read_unread(out: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
    let mut attempt = || loop {
        let read = READ_SEQ.load(Ordering::Relaxed);
        let from = read.max(clear_seq());
        let (n, next) = read_from(from, out);
        if n == 0 {
            return if next_seq() > from { Ok(0) } else { Err(Errno::EAGAIN) };
        }
        if READ_SEQ.compare_exchange(read, next, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            return Ok(n);
        }
        // Another reader took records first: read again from its position.
    };
    if nonblock { attempt() } else { pollee::wait_until(&[&UNREAD], attempt) }
}

/// What readers of unread records wait on (notified by [`tick`]).
pub fn pollee() -> &'static Pollee {
    &UNREAD
}

/// Whether [`read_unread`] would return at once.
pub fn has_unread() -> bool {
    next_seq() > unread_from()
}

/// CPU 0's timer tick: wake the readers if records arrived (module doc).
pub fn tick() {
    let next = next_seq();
    if TICK_SEQ.swap(next, Ordering::Relaxed) != next {
        UNREAD.notify();
    }
}

/// The console log level (`syslog(SYSLOG_ACTION_CONSOLE_LEVEL)` reads it).
pub fn console_level() -> u8 {
    CONSOLE_LEVEL.load(Ordering::Relaxed)
}

/// Bytes of the ring (`syslog(SYSLOG_ACTION_SIZE_BUFFER)`).
pub const BUFFER_BYTES: usize = RING_BYTES;
