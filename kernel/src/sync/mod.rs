//! Synchronisation primitives.
//!
//! * [`SpinLock`]: a fair ticket lock that disables preemption while held.
//! * [`IrqSpinLock`]: the same, also disabling interrupts on this CPU
//!   (needed for anything an interrupt handler may take).
//! * [`lock_ordering`]: the global lock hierarchy, checked at run time in
//!   builds with debug assertions.
//! * [`preempt`]: nestable `preempt_disable`/`preempt_enable`.

pub mod lock_ordering;
pub mod preempt;
pub mod spin;

pub use lock_ordering::LockLevel;
pub use spin::{IrqSpinLock, SpinLock};
