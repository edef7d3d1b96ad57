//! `init`: the first user program (PID 1), the spec's example. Prints a
//! greeting and its pid (which must be 1), forks a child that says hello
//! and exits 0, waits for it and checks the status, sleeps two ticks,
//! yields, and exits 0 — after which the kernel prints
//! `[KERNEL] init exited with code 0` and powers off.
//!
//! Each failed step prints `[INIT] ... FAILED` and makes the exit status
//! non-zero (1 + number of failures, capped at 255).
#![no_std]
#![no_main]

use mello::{println, Args};

mello::entry!(main);

fn main(_args: Args) -> i32 {
    println!("Hello from userland!");
    let mut failures = 0;
    let mut check = |ok: bool, what: core::fmt::Arguments| {
        if !ok {
            println!("[INIT] {} FAILED", what);
            failures += 1;
        }
    };

    let pid = mello::getpid();
    println!("[INIT] getpid() = {:?}", pid);
    check(pid == Ok(1), format_args!("getpid() == 1: got {:?}", pid));

    match mello::fork() {
        Ok(0) => {
            println!("I'm the child!");
            mello::exit(0);
        }
        Ok(child) => {
            println!("[INIT] forked child {}", child);
            let mut status = -1;
            let reaped = mello::wait(child as isize, Some(&mut status));
            println!("[INIT] child {} exited with status {}", child, status);
            check(reaped == Ok(child), format_args!("wait({}) returned {:?}", child, reaped));
            check(status == 0, format_args!("child exit status 0: got {}", status));
        }
        Err(e) => check(false, format_args!("fork() returned {:?}", e)),
    }

    let slept = mello::sleep(2);
    check(slept == Ok(0), format_args!("sleep(2): got {:?}", slept));
    let yielded = mello::yield_now();
    check(yielded == Ok(0), format_args!("yield(): got {:?}", yielded));

    if failures == 0 {
        println!("[INIT] all done");
        0
    } else {
        println!("[INIT] {} step(s) failed", failures);
        (1 + failures).min(255)
    }
}
