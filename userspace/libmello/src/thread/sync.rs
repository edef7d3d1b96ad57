//! Synchronisation between the threads of one process: [`Futex`], a
//! 32-bit word a thread can sleep on until another changes it (the native
//! `futex` call, WAIT and WAKE), and [`Mutex<T>`] on it (Drepper's
//! "Futexes Are Tricky", mutex 2), with a guard that unlocks when dropped.
//!
//! Both futex operations are safe: the kernel only reads the word (WAIT
//! compares it with the expected value under its futex lock, so a WAKE
//! after a change is never missed) and an `AtomicU32` is always a valid,
//! aligned, mapped word. Under the host's `cargo test` the two calls are
//! stand-ins (WAIT yields, WAKE wakes nobody), which keeps the Mutex
//! testable with std threads: a waiter then merely spins.
//!
//! The mutex word's states: 0 unlocked, 1 locked, 2 locked and maybe
//! waited on. Invariants:
//! * only the thread holding a [`MutexGuard`] moved the word from 0 to 1
//!   or 2, so at most one guard exists at a time: `&mut T` through it is
//!   exclusive;
//! * a thread that sleeps (or is about to) has set the word to 2 first, so
//!   the unlocking thread, which swaps it to 0, sees 2 and wakes one
//!   sleeper; the uncontended path (0 -> 1 -> 0) makes no system call.
//!
//! The data is reached only through the guard; there is no poisoning (a
//! panic ends the whole process).

use crate::Errno;
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::Ordering::{self, Acquire, Relaxed, Release};
use core::sync::atomic::AtomicU32;

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

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;

/// A futex-based lock around a `T`.
pub struct Mutex<T: ?Sized> {
    state: Futex,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one thread at a time (module
// invariants), so sharing the mutex moves `T` between threads: `T: Send`
// suffices, as for std's Mutex.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: owning the mutex is owning the `T`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

/// Proof of holding a [`Mutex`]: derefs to its data, unlocks on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
}

impl<T> Mutex<T> {
    pub const fn new(value: T) -> Self {
        Mutex { state: Futex::new(UNLOCKED), data: UnsafeCell::new(value) }
    }

    /// The data, once no guard can exist any more.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits until the lock is free and takes it.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let word = self.state.word();
        if let Err(mut seen) = word.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed) {
            // Contended: announce a sleeper (2) before every sleep; taking the
            // lock this way leaves 2, which costs at most one spare wake.
            if seen != CONTENDED {
                seen = word.swap(CONTENDED, Acquire);
            }
            while seen != UNLOCKED {
                // EAGAIN (the word changed) and wake-ups alike: look again.
                let _ = self.state.wait(CONTENDED, None);
                seen = word.swap(CONTENDED, Acquire);
            }
        }
        MutexGuard { lock: self }
    }

    /// Takes the lock if it is free.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let word = self.state.word();
        word.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).ok().map(|_| MutexGuard { lock: self })
    }

    /// The data through `&mut self`: no lock needed, no other reference exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn unlock(&self) {
        if self.state.word().swap(UNLOCKED, Release) == CONTENDED {
            self.state.wake(1);
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a guard exists only while its thread holds the lock
        // (module invariants), so no `&mut T` exists elsewhere.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`, and this guard is the only one.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn exclusive_under_contention() {
        // Non-atomic read-modify-write under the lock: a lost update
        // (two holders at once) would show as a smaller total.
        let m = Arc::new(Mutex::new(0u64));
        let threads: std::vec::Vec<_> = (0..8)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for _ in 0..20_000 {
                        let mut g = m.lock();
                        let v = *g;
                        core::hint::black_box(&v);
                        *g = v + 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*m.lock(), 160_000);
        assert_eq!(m.state.load(), UNLOCKED);
    }

    #[test]
    fn try_lock_and_states() {
        let m = Mutex::new(5);
        let g = m.lock();
        assert_eq!(m.state.load(), LOCKED);
        assert!(m.try_lock().is_none());
        drop(g);
        assert_eq!(m.state.load(), UNLOCKED);
        let mut g = m.try_lock().expect("free");
        *g += 1;
        drop(g);
        assert_eq!(m.into_inner(), 6);
    }

    #[test]
    fn contended_unlock_resets_to_unlocked() {
        let m = Mutex::new(());
        let g = m.lock();
        m.state.word().store(CONTENDED, Relaxed); // as a sleeper would
        drop(g);
        assert_eq!(m.state.load(), UNLOCKED);
    }
}
