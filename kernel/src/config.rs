//! Kernel configuration constants (compile-time).

#![forbid(unsafe_code)]

/// Most CPUs the kernel starts; more are reported and left parked.
pub const MAX_CPUS: usize = 16;

/// Scheduler timer frequency per core, in Hz.
pub const SCHED_HZ: u64 = 20;

/// Size of every kernel task stack (a guard page sits below each).
pub const KERNEL_STACK_SIZE: usize = 32 * 1024;

/// Size of the user stack mapped for each new program image.
pub const USER_STACK_SIZE: usize = 64 * 1024;

/// Default first user program.
pub const DEFAULT_INIT: &str = "/bin/init";
