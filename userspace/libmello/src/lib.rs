//! # mello — the MelloOS user-space runtime
//!
//! Everything a MelloOS program needs besides `core` and `alloc`:
//!
//! * [`entry!`] names the program's `main(args: Args) -> i32`; the runtime's
//!   `_start` (see `start.rs`) reads the System V initial stack, calls it and
//!   passes its result to [`exit`];
//! * [`sys`]: safe wrappers for the native system calls, each returning
//!   `Result<usize, Errno>` (re-exported at the crate root), and [`raw`]: the
//!   bare `syscall` / `int 0x80` instructions for tests that pass bad
//!   arguments on purpose;
//! * [`print!`] / [`println!`] to fd 1 (one `write` per call, so lines from
//!   different processes do not interleave);
//! * a 256 KiB heap behind `#[global_allocator]` (there is no brk/mmap; it
//!   is shared by the threads, and thread stacks come from it), so
//!   `alloc::{vec::Vec, string::String, boxed::Box}` work;
//! * a panic handler that prints the message and exits with status 101;
//! * [`fs`]: files, descriptors, pipes and directories (Linux's flags and
//!   `struct stat`, from `mello-abi`);
//! * [`cpu`] (rdtsc, rdtscp, current privilege level) and [`process`]
//!   (fork-and-run helpers);
//! * [`thread`]: threads of the process (`thread::spawn` a closure,
//!   `JoinHandle::join`), a futex-based [`thread::Mutex`] and the
//!   [`thread::Futex`] word beneath it;
//! * [`metrics`]: the kernel's resource counters (`res.*` of
//!   `/proc/mellos/metrics`), for leak checks.
//!
//! The ABI numbers come from `mello-abi` (re-exported as [`abi`]), the single
//! source of truth shared with the kernel.
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! use mello::{println, Args};
//! mello::entry!(main);
//! fn main(args: Args) -> i32 {
//!     println!("{} args", args.len());
//!     0
//! }
//! ```
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;

pub mod cpu;
pub mod fs;
mod heap;
pub mod io;
pub mod metrics;
#[cfg(all(target_os = "none", not(test)))]
mod panic;
pub mod process;
pub mod raw;
mod start;
pub mod sys;
pub mod thread;

pub use mello_abi as abi;
pub use mello_abi::{limits, signal, Errno};
pub use start::{initial_stack, Args, InitialStack};
pub use sys::*;

/// Heap size in bytes (a static array in `.bss`).
pub const HEAP_SIZE: usize = heap::HEAP_SIZE;

/// Declares the program's entry point: `mello::entry!(main)` where
/// `fn main(args: mello::Args) -> i32`. The value `main` returns becomes the
/// process's exit status.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// Called by the runtime's `_start` (see the `mello` crate).
        #[unsafe(no_mangle)]
        pub fn __mello_main(args: $crate::Args) -> i32 {
            let main: fn($crate::Args) -> i32 = $main;
            main(args)
        }
    };
}
