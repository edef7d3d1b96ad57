//! `bench`: MelloOS micro-benchmarks on the native ABI, the counterpart of
//! the shared benchmark `tools/bench/shared` (same row names and output
//! for the operations both have; `tools/bench/report.py` puts them side by
//! side), run as init
//! under `qemu -icount shift=0 -smp 1`, where `lfence; rdtsc` deltas are
//! executed-instruction counts:
//!
//! ```text
//! init=/bin/bench -- N [OP] (N iterations per operation, default 1000;
//!                            only operation OP if given: tools/bench/profile.sh)
//! [BENCH] name=<op> n=<N> total=<instructions> per_op=<integer>
//! ...
//! [BENCH] done
//! ```
//!
//! `per_op` is `total / n` rounded to nearest. Diagnostics are `[CALIB]`,
//! `[INFO]` and `[ERROR]` lines; a failed operation prints `[ERROR]`
//! instead of its `[BENCH]` line and makes the exit status 1.
//! The operations are documented in `ops.rs`.
#![no_std]
#![no_main]

extern crate alloc;

mod ops;
mod thread_ops;

use mello::{cpu, println, Args};

mello::entry!(main);

/// Prints one result line.
pub fn report(name: &str, n: u64, total: u64) {
    let per_op = (total + n / 2).checked_div(n).unwrap_or(0);
    println!("[BENCH] name={} n={} total={} per_op={}", name, n, total, per_op);
}

/// Prints an `[ERROR]` line for `name`; returns `false` for `ops::run`.
pub fn error(name: &str, what: core::fmt::Arguments) -> bool {
    println!("[ERROR] name={} {}", name, what);
    false
}

fn main(args: Args) -> i32 {
    let boot = cpu::rdtsc(); // first thing: instructions since reset
    let n = match args.str(1).map(str::parse::<u64>) {
        None => 1000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            println!("[ERROR] bad N {:?}, using 1000", args.str(1));
            1000
        }
    };
    println!("[INFO] kernel=MelloOS bench start n={}", n);
    ops::calibrate();
    let failures = ops::run(n, args.str(2));
    report("boot_to_init", 1, boot);
    if failures > 0 {
        println!("[INFO] {} failure(s)", failures);
    }
    println!("[BENCH] done");
    (failures > 0) as i32
}
