//! Fair ticket spinlocks.
//!
//! A ticket lock hands the lock out in arrival order, so no CPU starves under
//! contention (a plain test-and-set lock does not guarantee that).
//!
//! * [`SpinLock`] disables preemption while held: a task holding it is never
//!   switched out, so another task on the same CPU cannot spin on it forever.
//! * [`IrqSpinLock`] also disables interrupts on this CPU (saving and
//!   restoring the previous state, nestably), for data an interrupt handler
//!   touches too.
//!
//! Every lock carries a [`LockLevel`] and a name for the run-time order check
//! in [`super::lock_ordering`].

use super::lock_ordering::{self, LockLevel};
use super::preempt;
use crate::arch::irq;
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

/// The raw ticket lock shared by both lock types.
struct Ticket {
    next: AtomicU32,
    serving: AtomicU32,
}

impl Ticket {
    const fn new() -> Self {
        Ticket { next: AtomicU32::new(0), serving: AtomicU32::new(0) }
    }

    fn acquire(&self) {
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        while self.serving.load(Ordering::Acquire) != ticket {
            // The holder may be waiting for our TLB shootdown answer (a user
            // address space flushes under its lock), and we may have
            // interrupts off: answer from here.
            crate::arch::apic::serve_pending();
            core::hint::spin_loop();
        }
    }

    fn release(&self) {
        let now = self.serving.load(Ordering::Relaxed);
        self.serving.store(now.wrapping_add(1), Ordering::Release);
    }

    fn is_locked(&self) -> bool {
        self.next.load(Ordering::Relaxed) != self.serving.load(Ordering::Relaxed)
    }
}

macro_rules! define_lock {
    ($(#[$doc:meta])* $lock:ident, $guard:ident, $enter:expr, $exit:expr) => {
        $(#[$doc])*
        pub struct $lock<T: ?Sized> {
            level: LockLevel,
            name: &'static str,
            ticket: Ticket,
            data: UnsafeCell<T>,
        }

        // SAFETY: the ticket lock gives exclusive access to `data`, so sharing
        // the lock between CPUs is safe whenever `T` may move between them.
        unsafe impl<T: ?Sized + Send> Sync for $lock<T> {}
        // SAFETY: as above; the lock owns its data.
        unsafe impl<T: ?Sized + Send> Send for $lock<T> {}

        impl<T> $lock<T> {
            pub const fn new(level: LockLevel, name: &'static str, data: T) -> Self {
                $lock { level, name, ticket: Ticket::new(), data: UnsafeCell::new(data) }
            }
        }

        impl<T: ?Sized> $lock<T> {
            /// Spin until the lock is ours.
            pub fn lock(&self) -> $guard<'_, T> {
                let token = $enter;
                lock_ordering::will_acquire(self.level, self.name);
                self.ticket.acquire();
                $guard { lock: self, token }
            }

            /// Whether some CPU holds the lock (a hint; racy by nature).
            #[allow(dead_code)] // generated for both lock types; one uses it
            pub fn is_locked(&self) -> bool {
                self.ticket.is_locked()
            }

            /// The data, bypassing the lock.
            ///
            /// # Safety
            /// The caller guarantees no other CPU or task can access the data
            /// (e.g. the panic path after the other CPUs were stopped).
            #[allow(clippy::mut_from_ref, dead_code)]
            pub unsafe fn get_unchecked(&self) -> &mut T {
                // SAFETY: exclusivity is the caller's guarantee.
                unsafe { &mut *self.data.get() }
            }

            /// Release the lock without a guard.
            #[allow(dead_code)] // generated for both lock types; one uses it
            ///
            /// # Safety
            /// Only for the panic path: the holder must never touch the data again.
            pub unsafe fn force_unlock(&self) {
                if self.ticket.is_locked() {
                    self.ticket.release();
                }
            }

        }

        /// Holds the lock; releases it when dropped.
        pub struct $guard<'a, T: ?Sized> {
            lock: &'a $lock<T>,
            #[allow(dead_code)]
            token: LockToken,
        }

        impl<T: ?Sized> Deref for $guard<'_, T> {
            type Target = T;
            fn deref(&self) -> &T {
                // SAFETY: the guard proves we hold the lock.
                unsafe { &*self.lock.data.get() }
            }
        }

        impl<T: ?Sized> DerefMut for $guard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: the guard proves we hold the lock, exclusively.
                unsafe { &mut *self.lock.data.get() }
            }
        }

        impl<T: ?Sized> Drop for $guard<'_, T> {
            fn drop(&mut self) {
                self.lock.ticket.release();
                lock_ordering::released(self.lock.level);
                let exit: fn(&LockToken) = $exit;
                exit(&self.token);
            }
        }
    };
}

/// What a guard must undo on release.
#[doc(hidden)]
pub struct LockToken {
    irq_was_enabled: bool,
}

define_lock!(
    /// A fair spinlock that disables preemption while held.
    SpinLock, SpinLockGuard,
    { preempt::preempt_disable(); LockToken { irq_was_enabled: false } },
    |_| preempt::preempt_enable()
);

define_lock!(
    /// A fair spinlock that disables interrupts (and so preemption) while held.
    IrqSpinLock, IrqSpinLockGuard,
    { LockToken { irq_was_enabled: irq::save_and_disable() } },
    |token| irq::restore(token.irq_was_enabled)
);
