//! The measured operations (N iterations each, totals in rdtsc ticks =
//! instructions under `-icount shift=0`):
//!
//! * `getpid`: the null system call, bare `syscall` with only rax set.
//! * `yield`: `yield` with nothing else runnable.
//! * `ipc_roundtrip`: the parent sends 1 byte on port A, the child receives
//!   it and sends it back on port B, the parent receives it: one op = one
//!   round trip (2 context switches, 4 IPC calls). 16 warm-up trips first.
//! * `ctx_switch`: two processes on one CPU both looping on `yield`, so
//!   every yield hands the CPU to the other (the "alternately yielding"
//!   method, as on Linux). Timed in the parent over N of its yields = 2N
//!   switches; reported with n = 2N, so one op = one switch including the
//!   `yield` that causes it. The child times the same window; if the two
//!   windows do not overlap the processes did not alternate and the op
//!   fails. Meaningful only with `-smp 1`.
//! * `fork_exit_wait`: fork, the child exits 0 at once, the parent waits.
//! * `fork_exec_wait`: fork, the child execs `/bin/true`, the parent waits.
//! * `cow_fault`: the parent writes one byte in each of K pages, forks; the
//!   child writes one byte per page (K copy-on-write faults), then runs the
//!   same loop again on its now-private pages; cost = first - second.
//!   Done in rounds of at most 64 pages (a 256 KiB buffer keeps the image
//!   small, which keeps `fork` cheap for the other operations) until N
//!   pages have faulted; n = N.
//! * `pthread_create_join`, `futex_roundtrip`: `thread_ops.rs`.

use crate::{error, report};
use core::arch::asm;
use core::ffi::c_char;
use core::sync::atomic::{AtomicU8, Ordering};
use mello::abi::nr;
use mello::{cpu, exit, ipc_recv, ipc_send, println, process, raw};

const PORT_A: usize = 200;
const PORT_B: usize = 201;
const PORT_RESULT: usize = 202;
const STOP: u8 = 0xFF;

/// A named operation: runs `n` iterations, reports, returns success.
type Op = (&'static str, fn(u64) -> bool);

/// Runs every operation (or only the one named `only`); returns how many failed.
pub fn run(n: u64, only: Option<&str>) -> u32 {
    use crate::thread_ops::{futex_roundtrip, pthread_create_join};
    let ops: [Op; 9] = [
        ("getpid", getpid),
        ("yield", yield_op),
        ("ipc_roundtrip", ipc_roundtrip),
        ("ctx_switch", ctx_switch),
        ("fork_exit_wait", fork_exit_wait),
        ("fork_exec_wait", fork_exec_wait),
        ("cow_fault", cow_fault),
        ("pthread_create_join", pthread_create_join),
        ("futex_roundtrip", futex_roundtrip),
    ];
    ops.iter().filter(|(name, _)| only.is_none_or(|o| o == *name)).map(|(_, op)| !op(n) as u32).sum()
}

fn sys0(number: usize) -> isize {
    // SAFETY: getpid, yield and fork take no arguments and touch no memory
    // of ours.
    unsafe { raw::syscall0(number) }
}

/// Instructions for `k` iterations of `dec; jnz` (2 per iteration).
#[inline(never)]
fn loop_ticks(mut k: u64) -> u64 {
    let t0 = cpu::rdtsc();
    // SAFETY: a register-only loop.
    unsafe { asm!("2:", "dec {0}", "jnz 2b", inout(reg) k, options(nomem, nostack)) };
    let t1 = cpu::rdtsc();
    core::hint::black_box(k);
    t1 - t0
}

/// Checks that one rdtsc tick is one instruction (as the shared benchmark's `calibrate` does).
pub fn calibrate() {
    let min = |k| (0..20).map(|_| loop_ticks(k)).min().unwrap_or(0);
    let (d1, d2) = (min(1000), min(3000));
    let exact = d2.wrapping_sub(d1) == 2 * 2000;
    println!("[CALIB] dec_jnz k=1000 ticks={} k=3000 ticks={} (expect a difference of 4000)", d1, d2);
    println!("[CALIB] icount_exact={}", if exact { "yes" } else { "no" });
}

fn getpid(n: u64) -> bool {
    sys0(nr::GETPID);
    let t0 = cpu::rdtsc();
    for _ in 0..n {
        sys0(nr::GETPID);
    }
    let t1 = cpu::rdtsc();
    report("getpid", n, t1 - t0);
    true
}

fn yield_op(n: u64) -> bool {
    sys0(nr::YIELD);
    let t0 = cpu::rdtsc();
    for _ in 0..n {
        sys0(nr::YIELD);
    }
    let t1 = cpu::rdtsc();
    report("yield", n, t1 - t0);
    true
}

fn echo_child() -> i32 {
    let mut b = [0u8; 1];
    loop {
        if ipc_recv(PORT_A, &mut b) != Ok(1) {
            return 1;
        }
        if b[0] == STOP {
            return 0;
        }
        if ipc_send(PORT_B, &b).is_err() {
            return 2;
        }
    }
}

fn ipc_roundtrip(n: u64) -> bool {
    const NAME: &str = "ipc_roundtrip";
    let Ok(pid) = process::spawn(echo_child) else { return error(NAME, format_args!("fork failed")) };
    let mut b = [b'x'];
    let trip = |b: &mut [u8; 1]| ipc_send(PORT_A, b).is_ok() && ipc_recv(PORT_B, b) == Ok(1);
    let mut ok = (0..16).all(|_| trip(&mut b));
    let t0 = cpu::rdtsc();
    for _ in 0..n {
        ok &= trip(&mut b);
    }
    let t1 = cpu::rdtsc();
    let _ = ipc_send(PORT_A, &[STOP]);
    let status = process::wait_for(pid);
    if !ok || status != Ok(0) {
        return error(NAME, format_args!("ping-pong failed (ok={}, child {:?})", ok, status));
    }
    report(NAME, n, t1 - t0);
    true
}

const WARMUP: u64 = 64;

fn yield_times(k: u64) {
    for _ in 0..k {
        sys0(nr::YIELD);
    }
}

fn ctx_switch(n: u64) -> bool {
    const NAME: &str = "ctx_switch";
    let child = process::spawn(move || {
        yield_times(WARMUP);
        let c0 = cpu::rdtsc();
        yield_times(n);
        let c1 = cpu::rdtsc();
        yield_times(WARMUP); // keep alternating while the parent finishes
        let mut msg = [0u8; 16];
        msg[..8].copy_from_slice(&c0.to_le_bytes());
        msg[8..].copy_from_slice(&c1.to_le_bytes());
        ipc_send(PORT_RESULT, &msg).map_or(1, |_| 0)
    });
    let Ok(pid) = child else { return error(NAME, format_args!("fork failed")) };
    yield_times(WARMUP);
    let t0 = cpu::rdtsc();
    yield_times(n);
    let t1 = cpu::rdtsc();
    let status = process::wait_for(pid);
    let mut msg = [0u8; 16];
    if status != Ok(0) || ipc_recv(PORT_RESULT, &mut msg) != Ok(16) {
        return error(NAME, format_args!("child failed ({:?})", status));
    }
    let c0 = u64::from_le_bytes(msg[..8].try_into().unwrap());
    let c1 = u64::from_le_bytes(msg[8..].try_into().unwrap());
    let overlap = t1.min(c1).saturating_sub(t0.max(c0));
    println!("[INFO] name=ctx_switch parent_window={} child_window={} overlap={}", t1 - t0, c1.saturating_sub(c0), overlap);
    if overlap * 10 < (t1 - t0) * 9 {
        return error(NAME, format_args!("processes did not strictly alternate"));
    }
    report(NAME, 2 * n, t1 - t0);
    true
}

fn fork_exit_wait(n: u64) -> bool {
    const NAME: &str = "fork_exit_wait";
    let mut total = 0;
    for _ in 0..n {
        let t0 = cpu::rdtsc();
        let pid = sys0(nr::FORK);
        if pid == 0 {
            exit(0);
        }
        let ok = pid > 0 && process::wait_for(pid as usize) == Ok(0);
        let t1 = cpu::rdtsc();
        if !ok {
            return error(NAME, format_args!("fork returned {} or the child did not exit(0)", pid));
        }
        total += t1 - t0;
    }
    report(NAME, n, total);
    true
}

fn fork_exec_wait(n: u64) -> bool {
    const NAME: &str = "fork_exec_wait";
    let path = c"/bin/true";
    let argv: [*const c_char; 2] = [path.as_ptr(), core::ptr::null()];
    let mut total = 0;
    for _ in 0..n {
        let t0 = cpu::rdtsc();
        let pid = sys0(nr::FORK);
        if pid == 0 {
            // SAFETY: exec only reads the NUL-terminated path and the
            // NULL-terminated argv; on success this image is gone.
            unsafe { raw::syscall3(nr::EXEC, path.as_ptr() as usize, argv.as_ptr() as usize, 0) };
            exit(127);
        }
        let ok = pid > 0 && process::wait_for(pid as usize) == Ok(0);
        let t1 = cpu::rdtsc();
        if !ok {
            return error(NAME, format_args!("fork returned {} or the child did not exit(0) (exec /bin/true failed?)", pid));
        }
        total += t1 - t0;
    }
    report(NAME, n, total);
    true
}

const PAGE: usize = 4096;
const COW_PAGES: usize = 64;

#[repr(C, align(4096))]
struct Pages([AtomicU8; COW_PAGES * PAGE]);

static COW: Pages = Pages([const { AtomicU8::new(0) }; COW_PAGES * PAGE]);

fn touch(pages: usize, value: u8) {
    for i in 0..pages {
        COW.0[i * PAGE].store(value, Ordering::Relaxed);
    }
}

/// One round: `pages` copy-on-write faults; returns (faulting loop,
/// private loop) as timed by the child.
fn cow_round(pages: usize) -> Result<(u64, u64), &'static str> {
    touch(pages, 1);
    let pid = process::spawn(move || {
        core::hint::black_box([0u8; 64]); // take our own stack faults now
        let t0 = cpu::rdtsc();
        touch(pages, 2);
        let t1 = cpu::rdtsc();
        touch(pages, 3);
        let t2 = cpu::rdtsc();
        let mut msg = [0u8; 16];
        msg[..8].copy_from_slice(&(t1 - t0).to_le_bytes());
        msg[8..].copy_from_slice(&(t2 - t1).to_le_bytes());
        ipc_send(PORT_RESULT, &msg).map_or(1, |_| 0)
    })
    .map_err(|_| "fork failed")?;
    let status = process::wait_for(pid);
    let mut msg = [0u8; 16];
    if status != Ok(0) || ipc_recv(PORT_RESULT, &mut msg) != Ok(16) {
        return Err("child failed");
    }
    if (0..pages).any(|i| COW.0[i * PAGE].load(Ordering::Relaxed) != 1) {
        return Err("the child's writes changed the parent's pages");
    }
    Ok((u64::from_le_bytes(msg[..8].try_into().unwrap()), u64::from_le_bytes(msg[8..].try_into().unwrap())))
}

fn cow_fault(n: u64) -> bool {
    const NAME: &str = "cow_fault";
    let (mut first, mut second, mut left) = (0, 0, n as usize);
    while left > 0 {
        let pages = left.min(COW_PAGES);
        match cow_round(pages) {
            Ok((a, b)) => (first, second) = (first + a, second + b),
            Err(why) => return error(NAME, format_args!("{}", why)),
        }
        left -= pages;
    }
    if first <= second {
        return error(NAME, format_args!("faulting loop {} not slower than private loop {}", first, second));
    }
    report(NAME, n, first - second);
    println!("[INFO] name=cow_fault faulting_loop={} private_loop={}", first, second);
    true
}

