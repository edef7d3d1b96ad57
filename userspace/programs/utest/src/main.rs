//! `utest`: the user-mode integration suite, run as PID 1
//! (`init=/bin/utest`, optionally `-- cpus=N` so the SMP test knows how
//! many CPUs to expect).
//!
//! `utest --fdcheck A B` is not the suite: it reports (as its exit status)
//! which of descriptors A and B survived the exec that started it.
//!
//! Runs every test in [`TESTS`] in order, in this process (several tests
//! need to be PID 1: getpid == 1, orphans re-parented to init), and prints
//! `[UTEST] <name> ... ok` or `[UTEST] <name> ... FAILED: <why>` for each,
//! then `[UTEST] N passed, M failed`. Exits 0 iff all passed.
//!
//! Tests that need a child fork it and always reap it, so each test starts
//! with no children (`wait_no_children` relies on it). Each test owns its
//! IPC ports (`harness::port`).
#![no_std]
#![no_main]

extern crate alloc;

mod basic;
mod exec;
mod faults;
mod files;
mod fork;
mod harness;
mod ipc;
mod limits;
mod memory;
mod pipes;
mod smp;
mod wait;

use harness::TestResult;
use mello::raw::Entry;
use mello::{println, Args};

mello::entry!(main);

/// What the command line told us.
pub struct Config {
    /// CPUs the kernel runs on (`cpus=N`), if known.
    pub cpus: Option<usize>,
}

type Test = (&'static str, fn(&Config) -> TestResult);

/// The suite, in order.
const TESTS: &[Test] = &[
    ("privilege_level", |_| basic::privilege_level()),
    ("syscalls_via_syscall", |_| basic::basic_syscalls(Entry::Syscall)),
    ("syscalls_via_int80", |_| basic::basic_syscalls(Entry::Int80)),
    ("registers_preserved_syscall", |_| basic::registers_preserved(Entry::Syscall)),
    ("registers_preserved_int80", |_| basic::registers_preserved(Entry::Int80)),
    ("wait_no_children", |_| wait::wait_no_children()),
    ("write_bad_pointers", |_| memory::write_bad_pointers()),
    ("ipc_bad_pointers", |_| memory::ipc_bad_pointers()),
    ("fork_chain", |_| fork::fork_chain()),
    ("exit_status_truncated", |_| fork::exit_status_truncated()),
    ("cow_isolation", |_| fork::cow_isolation()),
    ("smp_spread", |c| smp::smp_spread(c.cpus)),
    ("syscall_latency", |_| smp::syscall_latency()),
    ("fault_kills", |_| faults::fault_kills()),
    ("exec_argv", |_| exec::exec_argv()),
    ("exec_errors", |_| exec::exec_errors()),
    ("exec_scripts", |_| exec::exec_scripts()),
    ("wait_not_our_child", |_| wait::wait_not_our_child()),
    ("wait_null_status", |_| wait::wait_null_status()),
    ("wait_any", |_| wait::wait_any()),
    ("wait_specific", |_| wait::wait_specific()),
    ("wait_bad_status_pointer", |_| wait::wait_bad_status_pointer()),
    ("orphan_reparented", |_| wait::orphan_reparented()),
    ("orphan_zombie_reaped", |_| wait::orphan_zombie_reaped()),
    ("process_limit", |_| limits::process_limit()),
    ("ipc_across_processes", |_| ipc::ipc_across_processes()),
    ("ipc_queue_full_and_fifo", |_| ipc::ipc_queue_full_and_fifo()),
    ("ipc_invalid_arguments", |_| ipc::ipc_invalid_arguments()),
    ("ipc_truncation", |_| ipc::ipc_truncation()),
    ("ipc_waiters_fifo", |_| ipc::ipc_waiters_fifo()),
    ("ipc_recv_bad_buffer", |_| ipc::ipc_recv_bad_buffer()),
    ("fs_shared_offset_fork_dup", |_| files::shared_offset()),
    ("fs_cloexec_across_exec", |_| files::cloexec_across_exec()),
    ("fs_emfile_at_1024", |_| files::emfile()),
    ("fs_open_flags_excl_trunc_append_holes", |_| files::open_flags()),
    ("fs_path_errors", |_| files::path_errors()),
    ("fs_bad_fds", |_| files::bad_fds()),
    ("fs_getdents_getcwd_chdir", |_| files::directories()),
    ("fs_pipe_eof_epipe", |_| pipes::pipe_eof_epipe()),
    ("fs_pipe_capacity_nonblock_atomic", |_| pipes::pipe_capacity()),
    ("fs_devices_null_zero_full_urandom_console", |_| pipes::devices()),
    ("fs_bad_pointers", |_| pipes::fs_bad_pointers()),
    ("fs_procfs", |_| pipes::procfs()),
];

fn main(args: Args) -> i32 {
    // `utest --fdcheck A B`: the exec half of fs_cloexec_across_exec.
    let argv: alloc::vec::Vec<&str> = args.iter().filter_map(|a| a.to_str().ok()).collect();
    if let ["utest", "--fdcheck", a, b] = argv.as_slice() {
        return files::fdcheck(a.parse().unwrap_or(usize::MAX), b.parse().unwrap_or(usize::MAX));
    }
    let cpus = args.iter().skip(1).find_map(|a| a.to_str().ok()?.strip_prefix("cpus=")?.parse().ok());
    let config = Config { cpus };
    println!("[UTEST] {} tests, pid {:?}, cpus {:?}", TESTS.len(), mello::getpid(), cpus);
    let mut failed = 0;
    for (name, test) in TESTS {
        match test(&config) {
            Ok(()) => println!("[UTEST] {} ... ok", name),
            Err(why) => {
                failed += 1;
                println!("[UTEST] {} ... FAILED: {}", name, why);
            }
        }
    }
    println!("[UTEST] {} passed, {} failed", TESTS.len() - failed, failed);
    (failed != 0) as i32
}
