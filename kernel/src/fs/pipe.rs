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
//! * Readiness: every change (data in, data out, an end closed) calls
//!   `Pollee::notify`; blocking is `pollee::wait_until` over the pipe's
//!   pollee, so no wake-up is lost.
//!
//! Locking: [`Pipe::state`] (level `Pipe`) guards the buffer and the
//! reader/writer counts. User memory is copied straight to and from the
//! buffer with it held (it ranks before `AddressSpace`, which a fault in
//! the copy may take), so bytes leave the pipe only if they reached the
//! reader. Notifying under it is allowed (`WaitQueue` ranks after it).

use super::dev::Readiness;
use crate::mm::uaccess::UserSlice;
use crate::sched::pollee::{self, Pollee};
use crate::sync::{LockLevel, SpinLock};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec;
use core::sync::atomic::{AtomicU64, Ordering};
use mello_abi::fs::{PIPE_BUF, PIPE_SIZE};
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
}

/// One end of a pipe; closing (dropping) it updates the counts.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    write: bool,
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// A new pipe: its (read end, write end).
pub fn new_pipe() -> (PipeEnd, PipeEnd) {
    let pipe = Arc::new(Pipe {
        state: SpinLock::new(LockLevel::Pipe, "pipe", PipeState { buf: VecDeque::new(), readers: 1, writers: 1 }),
        pollee: Pollee::new(),
        ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
    });
    (PipeEnd { pipe: pipe.clone(), write: false }, PipeEnd { pipe, write: true })
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut st = self.pipe.state.lock();
        if self.write {
            st.writers -= 1;
        } else {
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

    /// write(2) from the user buffer `[addr, addr + len)` (validated).
    pub fn write(&self, addr: usize, len: usize, nonblock: bool) -> Result<usize, Errno> {
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
            if UserSlice::new(addr + written, n)?.read_into(&mut chunk).is_err() {
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

    /// Readiness of this end (for `poll`, not yet merged).
    #[allow(dead_code)]
    pub fn poll(&self) -> Readiness {
        let st = self.pipe.state.lock();
        if self.write {
            Readiness { readable: false, writable: st.readers == 0 || PIPE_SIZE - st.buf.len() >= PIPE_BUF, hangup: st.readers == 0 }
        } else {
            Readiness { readable: !st.buf.is_empty() || st.writers == 0, writable: false, hangup: st.writers == 0 }
        }
    }

    #[allow(dead_code)]
    pub fn pollee(&self) -> &Pollee {
        &self.pipe.pollee
    }
}
