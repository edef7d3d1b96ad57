//! `threads`: the native thread suite, run as PID 1 (`init=/bin/threads`):
//! `thread_spawn`/`thread_exit`/`futex` through libmello's `thread` module.
//!
//! Each test prints `[THREADS] NAME ... ok` or `... FAILED: WHY`; the end
//! is `[THREADS] N passed, M failed` and, only when none failed,
//! `[THREADS] all thread tests passed`. Exits 0 iff all passed.
//!
//! * `counter`: 8 threads each add 1 to a shared counter 100,000 times
//!   under `thread::Mutex`: exactly 800,000 after the joins;
//! * `joins`: every thread's value comes back through its join, each ran
//!   on its own stack (a local's address inside the range its handle
//!   reports, all ranges disjoint), with its own tid, in this process;
//! * `thread_exit`, `last_thread`, `fault_kills`: `lifecycle.rs`;
//! * `abi_errors`, `futex_timeout`, `tls_fs_base` (each thread's FS base
//!   is the block `thread_spawn` was given): `abi.rs`;
//! * `leak`: `leak.rs` (1,000 spawn/join cycles, then the kernel's counters).
#![no_std]
#![no_main]

extern crate alloc;

mod abi;
mod leak;
mod lifecycle;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mello::thread::{self, Mutex};
use mello::{println, Args};

mello::entry!(main);

/// `Ok(())` or why the test failed.
pub type TestResult = Result<(), String>;

/// Fails the test with a formatted message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(alloc::format!($($fmt)+));
        }
    };
}

/// A test: its name and its function.
type Test = (&'static str, fn() -> TestResult);

const TESTS: &[Test] = &[
    ("abi_errors", abi::errors),
    ("futex_timeout", abi::futex_timeout),
    ("tls_fs_base", abi::tls_fs_base),
    ("counter", counter),
    ("joins", joins),
    ("thread_exit", lifecycle::thread_exit),
    ("last_thread", lifecycle::last_thread),
    ("fault_kills", lifecycle::fault_kills),
    ("leak", leak::spawn_join_cycles),
];

fn main(_args: Args) -> i32 {
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in TESTS {
        match test() {
            Ok(()) => {
                passed += 1;
                println!("[THREADS] {} ... ok", name);
            }
            Err(why) => {
                failed += 1;
                println!("[THREADS] {} ... FAILED: {}", name, why);
            }
        }
    }
    println!("[THREADS] {} passed, {} failed", passed, failed);
    if failed == 0 {
        println!("[THREADS] all thread tests passed");
    }
    (failed != 0) as i32
}

const THREADS: usize = 8;
const ADDS: u64 = 100_000;

fn counter() -> TestResult {
    let total = Arc::new(Mutex::new(0u64));
    let mut handles = Vec::new();
    for _ in 0..THREADS {
        let total = total.clone();
        let h = thread::spawn(move || {
            for _ in 0..ADDS {
                // A read and a separate write: a second holder would lose updates.
                let mut g = total.lock();
                let v = core::hint::black_box(*g);
                *g = v + 1;
            }
        });
        handles.push(h.map_err(|e| alloc::format!("spawn: {:?}", e))?);
    }
    for h in handles {
        ensure!(h.join().is_ok(), "a counting thread did not return");
    }
    let got = *total.lock();
    println!("[THREADS] counter: {} = {} threads x {}", got, THREADS, ADDS);
    ensure!(got == THREADS as u64 * ADDS, "counter is {}, not {}", got, THREADS as u64 * ADDS);
    Ok(())
}

/// What a `joins` thread reports about itself.
struct Seen {
    index: usize,
    local: usize,
    pid: usize,
}

fn joins() -> TestResult {
    let pid = mello::getpid().map_err(|e| alloc::format!("getpid: {:?}", e))?;
    let mut handles = Vec::new();
    for index in 0..THREADS {
        let h = thread::spawn(move || {
            let local = core::hint::black_box(index);
            Seen { index, local: &local as *const usize as usize, pid: mello::getpid().unwrap_or(0) }
        })
        .map_err(|e| alloc::format!("spawn {}: {:?}", index, e))?;
        handles.push(h);
    }
    let info: Vec<_> = handles.iter().map(|h| (h.tid(), h.stack_range())).collect();
    for (i, (tid, range)) in info.iter().enumerate() {
        ensure!(*tid != pid, "thread {} has the pid {} as its tid", i, pid);
        for (j, (tid2, range2)) in info.iter().enumerate().skip(i + 1) {
            ensure!(tid != tid2, "threads {} and {} share tid {}", i, j, tid);
            ensure!(range.end <= range2.start || range2.end <= range.start, "stacks {} and {} overlap", i, j);
        }
    }
    for (i, h) in handles.into_iter().enumerate() {
        let seen = h.join().map_err(|_| alloc::format!("thread {} did not return", i))?;
        ensure!(seen.index == i, "join {} returned thread {}'s value", i, seen.index);
        ensure!(info[i].1.contains(&seen.local), "thread {}'s local {:#x} is outside its stack {:x?}", i, seen.local, info[i].1);
        ensure!(seen.pid == pid, "thread {} sees pid {}, the process is {}", i, seen.pid, pid);
    }
    println!("[THREADS] joins: {} threads, distinct tids and stacks, one pid", THREADS);
    Ok(())
}
