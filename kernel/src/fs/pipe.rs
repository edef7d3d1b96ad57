//! Pipes, with Linux's semantics (pipe(7)).
//!
//! * A pipe holds up to `PIPE_SIZE` (64 KiB) bytes.
//! * read: returns what is there (up to the request); with the pipe empty,
//!   0 (end of file) once no writer is left, else blocks, or `EAGAIN` with
//!   `O_NONBLOCK`.
//! * write: `EPIPE` once no reader is left (Linux also sends SIGPIPE: the
//!   hook is marked below). A write of at most `PIPE_BUF` (4,096) bytes is
//!   atomic: it waits until it fits whole. A longer one goes in as room
//!   appears (blocking until all is written; with `O_NONBLOCK`, as much as
//!   fits, `EAGAIN` if nothing does).
//! * Named pipes (FIFOs, `fifo.rs`) are the same object, shared by every
//!   open of one inode; an end opened `O_RDWR` is both a reader and a
//!   writer, and the open counters (`PipeState::opened_*`) let a blocking
//!   FIFO open see that the other side came, even if it left again.
//! * Readiness: every change (data in, data out, an end closed) calls
//!   `Pollee::notify`; blocking is `pollee::wait_until` over the pipe's
//!   pollee, so no wake-up is lost.
//!
//! Locking: [`Pipe::state`] (level `Pipe`) guards the buffer and the
//! reader/writer counts. User memory is copied straight to and from the
//! buffer with it held (it ranks before `AddressSpace`, which a fault in
//! the copy may take), so bytes leave the pipe only if they reached the
//! reader. Notifying under it is allowed (`WaitQueue` ranks after it).

use super::rw::Src;
use crate::mm::uaccess::UserSlice;
use crate::sched::pollee::{self, Pollee};
use crate::sync::{LockLevel, SpinLock};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec;
use core::sync::atomic::{AtomicU64, Ordering};
use mello_abi::fs::{PIPE_BUF, PIPE_SIZE, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
use mello_abi::Errno;

pub struct Pipe {
    state: SpinLock<PipeState>,
    pollee: Pollee,
    /// Inode number for `fstat` (unique among pipes).
    pub ino: u64,
}

struct PipeState {
    buf: VecDeque<u8>,
    readers: usize,
    writers: usize,
    /// How many read and write ends were ever opened (FIFO opens wait on
    /// these).
    opened_readers: u64,
    opened_writers: u64,
}

/// One end of a pipe (or both, for a FIFO opened `O_RDWR`); closing
/// (dropping) it updates the counts.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    reads: bool,
    writes: bool,
    /// A FIFO's inode (what `fstat` reports), kept alive while open.
    pub node: Option<super::mounts::Pinned>,
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// A pipe with no ends yet (a FIFO's, `fifo.rs`).
pub fn empty_pipe() -> Arc<Pipe> {
    let state = PipeState { buf: VecDeque::new(), readers: 0, writers: 0, opened_readers: 0, opened_writers: 0 };
    Arc::new(Pipe {
        state: SpinLock::new(LockLevel::Pipe, "pipe", state),
        pollee: Pollee::new(),
        ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
    })
}

/// A new pipe: its (read end, write end).
pub fn new_pipe() -> (PipeEnd, PipeEnd) {
    let pipe = empty_pipe();
    (PipeEnd::open(&pipe, true, false), PipeEnd::open(&pipe, false, true))
}

impl PipeEnd {
    /// A new end of `pipe` that reads and/or writes; wakes anyone waiting
    /// for that side to appear.
    pub fn open(pipe: &Arc<Pipe>, reads: bool, writes: bool) -> PipeEnd {
        Self::open_seen(pipe, reads, writes).0
    }

    /// [`PipeEnd::open`], also returning the (writers, readers) ever opened
    /// as they were when this end was counted in, under the same lock (a
    /// FIFO open waits for the other side's counter to move from there; a
    /// snapshot taken apart from the open could already include a peer
    /// that then left, and the open would wait for nobody).
    pub fn open_seen(pipe: &Arc<Pipe>, reads: bool, writes: bool) -> (PipeEnd, u64, u64) {
        let mut st = pipe.state.lock();
        let seen = (if st.writers > 0 { st.opened_writers.wrapping_sub(1) } else { st.opened_writers },
                    if st.readers > 0 { st.opened_readers.wrapping_sub(1) } else { st.opened_readers });
        if reads {
            st.readers += 1;
            st.opened_readers += 1;
        }
        if writes {
            st.writers += 1;
            st.opened_writers += 1;
        }
        drop(st);
        pipe.pollee.notify();
        (PipeEnd { pipe: pipe.clone(), reads, writes, node: None }, seen.0, seen.1)
    }

    /// Block (unless `nonblock`: `EAGAIN`) until a writer (`want_writer`)
    /// or a reader has opened this pipe since `since` opens of that side,
    /// or one is open now (a FIFO's blocking open).
    pub fn wait_for_peer(&self, want_writer: bool, since: u64, nonblock: bool) -> Result<(), Errno> {
        let attempt = || {
            let st = self.pipe.state.lock();
            let (open, opened) = if want_writer { (st.writers, st.opened_writers) } else { (st.readers, st.opened_readers) };
            if open > 0 || opened > since { Ok(()) } else { Err(Errno::EAGAIN) }
        };
        if nonblock { attempt() } else { pollee::wait_until(&[&self.pipe.pollee], attempt) }
    }
}

impl Pipe {
    /// (readers open, writers ever opened, readers ever opened).
    pub fn counts(&self) -> (usize, u64, u64) {
        let st = self.state.lock();
        (st.readers, st.opened_writers, st.opened_readers)
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut st = self.pipe.state.lock();
        if self.writes {
            st.writers -= 1;
        }
        if self.reads {
            st.readers -= 1;
        }
        drop(st);
        self.pipe.pollee.notify();
    }
}

impl PipeEnd {
    pub fn pipe(&self) -> &Pipe {
        &self.pipe
    }

    /// read(2) into the user buffer `[addr, addr + len)` (validated).
    pub fn read(&self, addr: usize, len: usize, nonblock: bool) -> Result<usize, Errno> {
        if len == 0 {
            return Ok(0);
        }
        let attempt = || {
            let mut st = self.pipe.state.lock();
            if st.buf.is_empty() {
                return if st.writers == 0 { Ok(0) } else { Err(Errno::EAGAIN) };
            }
            let n = len.min(st.buf.len());
            let (a, b) = st.buf.as_slices();
            let first = n.min(a.len());
            let mut copied = 0;
            if UserSlice::new(addr, first)?.write_from(&a[..first]).is_ok() {
                copied = first;
                if n > first && UserSlice::new(addr + first, n - first)?.write_from(&b[..n - first]).is_ok() {
                    copied = n;
                }
            }
            if copied == 0 {
                return Err(Errno::EFAULT);
            }
            st.buf.drain(..copied);
            drop(st);
            self.pipe.pollee.notify();
            Ok(copied)
        };
        if nonblock {
            attempt()
        } else {
            pollee::wait_until(&[&self.pipe.pollee], attempt)
        }
    }

    /// write(2) of `len` bytes from `src` (a validated user buffer, or a
    /// kernel one for `sendfile`).
    pub fn write(&self, src: Src<'_>, len: usize, nonblock: bool) -> Result<usize, Errno> {
        if len == 0 {
            return Ok(0);
        }
        let mut written = 0;
        let mut attempt = || {
            let mut st = self.pipe.state.lock();
            if st.readers == 0 {
                // The Linux dispatch raises SIGPIPE on the writer for EPIPE.
                return if written > 0 { Ok(written) } else { Err(Errno::EPIPE) };
            }
            let free = PIPE_SIZE - st.buf.len();
            if (len <= PIPE_BUF && free < len) || free == 0 {
                return Err(Errno::EAGAIN);
            }
            let n = free.min(len - written);
            let mut chunk = vec![0u8; n];
            if src.fetch_into(written, &mut chunk).is_err() {
                return if written > 0 { Ok(written) } else { Err(Errno::EFAULT) };
            }
            st.buf.extend(chunk.iter());
            written += n;
            drop(st);
            self.pipe.pollee.notify();
            if written < len { Err(Errno::EAGAIN) } else { Ok(written) }
        };
        if nonblock {
            match attempt() {
                Err(Errno::EAGAIN) if written > 0 => Ok(written),
                other => other,
            }
        } else {
            // A signal after part of the data went in: that part is the
            // result (Linux's pipe_write), not a restart of the whole write.
            match pollee::wait_until(&[&self.pipe.pollee], &mut attempt) {
                Err(Errno::ERESTARTSYS) if written > 0 => Ok(written),
                other => other,
            }
        }
    }

    /// `poll`'s mask for this end, as Linux's `pipe_poll`: the read end is
    /// `POLLIN|POLLRDNORM` with data, `POLLHUP` once no writer is left; the
    /// write end `POLLOUT|POLLWRNORM` with room for `PIPE_BUF` bytes,
    /// `POLLERR` once no reader is left.
    pub fn poll_mask(&self) -> u16 {
        let st = self.pipe.state.lock();
        let mut mask = 0;
        if self.writes {
            mask |= if PIPE_SIZE - st.buf.len() >= PIPE_BUF { POLLOUT | POLLWRNORM } else { 0 };
            mask |= if st.readers == 0 { POLLERR } else { 0 };
        }
        if self.reads {
            mask |= if st.buf.is_empty() { 0 } else { POLLIN | POLLRDNORM };
            mask |= if st.writers == 0 { POLLHUP } else { 0 };
        }
        mask
    }

    /// Bytes in the pipe (`FIONREAD`).
    pub fn buffered(&self) -> usize {
        self.pipe.state.lock().buf.len()
    }

    pub fn pollee(&self) -> &Pollee {
        &self.pipe.pollee
    }
}
