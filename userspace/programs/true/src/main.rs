//! `true`: exits with status 0 immediately. The exec target of the
//! `fork_exec_wait` benchmark, so it does nothing else.
#![no_std]
#![no_main]

mello::entry!(main);

fn main(_args: mello::Args) -> i32 {
    0
}
