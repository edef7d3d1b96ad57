//! The thread rows of the native benchmark, under the shared benchmark's
//! row names (`tools/bench/report.py` matches rows by name, so they sit
//! beside musl's pthread and futex numbers):
//!
//! * `pthread_create_join`: `mello::thread::spawn` of a closure that
//!   returns its argument, then `join`: the heap stack's allocation and
//!   free, `thread_spawn`, the thread's start and `thread_exit`, the
//!   futex wait on the tid word. One warm-up spawn first.
//! * `futex_roundtrip`: two threads ping-pong through two futex words
//!   (set, WAKE; WAIT until the other's word is set), as the shared row
//!   does with `FUTEX_WAKE`/`FUTEX_WAIT`; op = one round trip. 16
//!   warm-up trips first.

use crate::{error, report};
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use mello::cpu;
use mello::thread::{self, Futex};

pub fn pthread_create_join(n: u64) -> bool {
    const NAME: &str = "pthread_create_join";
    let once = |i: u64| thread::spawn(move || i + 1).ok().and_then(|h| h.join().ok()) == Some(i + 1);
    if !once(0) {
        return error(NAME, format_args!("spawn or join failed"));
    }
    let mut ok = true;
    let t0 = cpu::rdtsc();
    for i in 0..n {
        ok &= once(i);
    }
    let t1 = cpu::rdtsc();
    if !ok {
        return error(NAME, format_args!("a spawn or join failed, or a thread returned the wrong value"));
    }
    report(NAME, n, t1 - t0);
    true
}

static PING: Futex = Futex::new(0);
static PONG: Futex = Futex::new(0);
static STOP: Futex = Futex::new(0);

/// Sleeps until `f` is non-zero, then clears it.
fn take(f: &Futex) {
    while f.word().load(Acquire) == 0 {
        let _ = f.wait(0, None);
    }
    f.word().store(0, Relaxed);
}

fn give(f: &Futex) {
    f.word().store(1, Release);
    f.wake(1);
}

fn ponger() {
    loop {
        take(&PING);
        if STOP.load() != 0 {
            return;
        }
        give(&PONG);
    }
}

fn trip() {
    give(&PING);
    take(&PONG);
}

pub fn futex_roundtrip(n: u64) -> bool {
    const NAME: &str = "futex_roundtrip";
    let Ok(h) = thread::spawn(ponger) else { return error(NAME, format_args!("spawn failed")) };
    (0..16).for_each(|_| trip());
    let t0 = cpu::rdtsc();
    for _ in 0..n {
        trip();
    }
    let t1 = cpu::rdtsc();
    STOP.word().store(1, Release);
    give(&PING);
    if h.join().is_err() {
        return error(NAME, format_args!("the other thread did not return"));
    }
    report(NAME, n, t1 - t0);
    true
}
