//! [`Futex`]: a 32-bit word that threads of one process can sleep on
//! until another changes it (the native `futex` call, WAIT and WAKE).
//!
//! Both operations are safe: the kernel only reads the word (WAIT compares
//! it with the expected value under its futex lock, so a WAKE after a
//! change is never missed) and an `AtomicU32` is always a valid, aligned,
//! mapped word. Under the host's `cargo test` the two calls are stand-ins
//! (WAIT yields, WAKE wakes nobody), which keeps the code built on them
//! (the [`Mutex`](super::Mutex)) testable with std threads: a waiter then
//! merely spins.

use crate::Errno;
use core::sync::atomic::{AtomicU32, Ordering};

/// A futex word. `#[repr(transparent)]`: its address is the word's.
#[repr(transparent)]
#[derive(Debug, Default)]
pub struct Futex(AtomicU32);

impl Futex {
    pub const fn new(value: u32) -> Self {
        Futex(AtomicU32::new(value))
    }

    /// The word itself, for atomic operations on it.
    pub fn word(&self) -> &AtomicU32 {
        &self.0
    }

    /// Sleeps while the word is `expected`, until a [`Futex::wake`], or
    /// `timeout_ns` nanoseconds if given (rounded up to scheduler ticks).
    /// `Ok` when woken (or spuriously: callers re-check the word),
    /// `Err(EAGAIN)` if the word was not `expected`, `Err(ETIMEDOUT)`.
    pub fn wait(&self, expected: u32, timeout_ns: Option<u64>) -> Result<(), Errno> {
        // 0 means "no timeout" to the kernel: a zero timeout is one tick's.
        let timeout = timeout_ns.map_or(0, |ns| ns.max(1));
        wait_raw(&self.0, expected, timeout)
    }

    /// Wakes up to `count` threads sleeping on this word; how many woke.
    pub fn wake(&self, count: u32) -> usize {
        wake_raw(&self.0, count)
    }

    /// Loads the word.
    pub fn load(&self) -> u32 {
        self.0.load(Ordering::Acquire)
    }
}

#[cfg(not(test))]
fn wait_raw(word: &AtomicU32, expected: u32, timeout_ns: u64) -> Result<(), Errno> {
    let args = [word.as_ptr() as usize, crate::abi::futex::WAIT, expected as usize, timeout_ns as usize, 0, 0];
    // SAFETY: the kernel only reads the word, a live aligned `AtomicU32`.
    Errno::from_ret(unsafe { crate::raw::syscall6(crate::abi::nr::FUTEX, args) }).map(drop)
}

#[cfg(not(test))]
fn wake_raw(word: &AtomicU32, count: u32) -> usize {
    let args = [word.as_ptr() as usize, crate::abi::futex::WAKE, count as usize, 0, 0, 0];
    // SAFETY: WAKE does not touch the word's memory at all.
    Errno::from_ret(unsafe { crate::raw::syscall6(crate::abi::nr::FUTEX, args) }).unwrap_or(0)
}

#[cfg(test)]
fn wait_raw(word: &AtomicU32, expected: u32, _timeout_ns: u64) -> Result<(), Errno> {
    if word.load(Ordering::SeqCst) != expected {
        return Err(Errno::EAGAIN);
    }
    std::thread::yield_now();
    Ok(())
}

#[cfg(test)]
fn wake_raw(_word: &AtomicU32, _count: u32) -> usize {
    0
}
