//! `echo-args`: the exec test target. Checks the System V initial stack the
//! kernel built (16-byte aligned `rsp`, `argv[argc] == NULL`, an envp NULL,
//! an auxv ending in `AT_NULL`), prints `[ECHO] argc=N: ARGS...` and exits
//! with `argc` (e.g. 4 for `echo-args a bb ccc`). A broken layout prints
//! `[ECHO] bad stack layout: ...` and exits 255 instead.
#![no_std]
#![no_main]

use core::fmt::Write;
use mello::{println, Args};

mello::entry!(main);

fn main(args: Args) -> i32 {
    let stack = args.stack_layout();
    let problem = if !stack.sp.is_multiple_of(16) {
        Some("rsp not 16-byte aligned at _start")
    } else if !stack.argv_terminated {
        Some("argv[argc] is not NULL")
    } else if !stack.aux_terminated {
        Some("no AT_NULL in the first 256 auxv entries")
    } else if args.iter().count() != args.len() {
        Some("a NULL inside argv[0..argc]")
    } else {
        None
    };
    if let Some(problem) = problem {
        println!("[ECHO] bad stack layout: {} ({:?})", problem, stack);
        return 255;
    }
    let mut out = mello::io::Writer::new(1);
    let _ = write!(out, "[ECHO] argc={}:", args.len());
    for arg in args.iter() {
        let _ = write!(out, " {}", arg.to_str().unwrap_or("<not utf-8>"));
    }
    let _ = writeln!(out);
    drop(out);
    args.len().min(255) as i32
}
