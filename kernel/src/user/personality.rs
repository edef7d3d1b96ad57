//! Personalities: which system-call ABI a process speaks, and how exec
//! chooses it.
//!
//! Chosen at every exec from the new program's ELF brand (`elfload`'s
//! `Brand`, README "Personalities"): a MelloOS note → native; Linux's
//! `EI_OSABI` or a GNU ABI tag → Linux; no brand → the personality of the
//! process calling exec. PID 1 has no caller: an unbranded init gets the
//! command line's `abi=` (default native), recorded here at boot by the
//! `cmdline` adapter ([`set_init_default`]).
//!
//! A process keeps its personality in an [`AtomicPersonality`], written
//! only by exec (once the caller is the process's only thread) or before a
//! new process first runs (spawn, fork). Every such write also goes to the
//! task's `syscall_abi` byte ([`set`]; a new thread copies its creator's):
//! the system-call dispatch reads that copy,
//! one load from the running task, instead of looking the process up.

#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicU8, Ordering};
use elfload::Brand;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Personality {
    /// The MelloOS ABI (the README's table).
    Native = 0,
    /// Linux x86-64: Linux's numbers, structures and start-up stack.
    Linux = 1,
}

impl Personality {
    pub const fn name(self) -> &'static str {
        match self {
            Personality::Native => "native",
            Personality::Linux => "linux",
        }
    }

    /// The personality exec gives a program branded `brand`, started by a
    /// process of personality `caller`.
    pub const fn choose(brand: Option<Brand>, caller: Personality) -> Personality {
        match brand {
            Some(Brand::Native) => Personality::Native,
            Some(Brand::Linux) => Personality::Linux,
            None => caller,
        }
    }
}

/// A personality that can be read and changed without a lock.
pub struct AtomicPersonality(AtomicU8);

impl AtomicPersonality {
    pub const fn new(p: Personality) -> Self {
        AtomicPersonality(AtomicU8::new(p as u8))
    }

    #[inline(always)]
    pub fn get(&self) -> Personality {
        if self.0.load(Ordering::Relaxed) == Personality::Linux as u8 {
            Personality::Linux
        } else {
            Personality::Native
        }
    }

    pub fn set(&self, p: Personality) {
        self.0.store(p as u8, Ordering::Relaxed);
    }
}

/// Give `proc` (whose task is `task`) personality `p`: the process's field
/// and the task's dispatch byte.
pub fn set(proc: &crate::user::Process, task: &crate::sched::task::Task, p: Personality) {
    proc.personality.set(p);
    task.syscall_abi.store(p as u8, Ordering::Relaxed);
}

/// The personality the current task's system calls use (the hot path).
#[inline(always)]
pub fn current() -> Personality {
    if crate::sched::with_current(|t| t.syscall_abi.load(Ordering::Relaxed)) == Personality::Linux as u8 {
        Personality::Linux
    } else {
        Personality::Native
    }
}

/// The personality of an unbranded PID 1 (`abi=`).
static INIT_DEFAULT: AtomicPersonality = AtomicPersonality::new(Personality::Native);

/// Record the command line's `abi=` (boot, before init starts).
pub fn set_init_default(p: Personality) {
    INIT_DEFAULT.set(p);
}

/// What an unbranded PID 1 gets.
pub fn init_default() -> Personality {
    INIT_DEFAULT.get()
}
