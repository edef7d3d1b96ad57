//! [`Mutex<T>`]: mutual exclusion between the threads of one process, on a
//! [`Futex`] (Drepper's "Futexes Are Tricky", mutex 2), with a guard that
//! unlocks when dropped.
//!
//! The word's states: 0 unlocked, 1 locked, 2 locked and maybe waited on.
//! Invariants:
//! * only the thread holding a [`MutexGuard`] moved the word from 0 to 1
//!   or 2, so at most one guard exists at a time: `&mut T` through it is
//!   exclusive;
//! * a thread that sleeps (or is about to) has set the word to 2 first, so
//!   the unlocking thread, which swaps it to 0, sees 2 and wakes one
//!   sleeper; the uncontended path (0 -> 1 -> 0) makes no system call.
//!
//! The data is reached only through the guard; there is no poisoning (a
//! panic ends the whole process).

use super::Futex;
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

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
