//! Linux time calls: `clock_gettime`, `clock_getres`, `gettimeofday`,
//! `time`, `nanosleep`, `clock_nanosleep`, `sched_yield`.
//!
//! The clock is the TSC, calibrated against the PIT at boot
//! (`arch::time::now_us`, microsecond resolution). `CLOCK_MONOTONIC`,
//! `_RAW`, `_COARSE` and `CLOCK_BOOTTIME` count from boot.
//! `CLOCK_REALTIME` (and `_COARSE`, `gettimeofday`, `time`) is the wall
//! clock: the RTC's time read at boot plus the TSC since
//! (`arch::time::realtime_us`; the Unix epoch at boot on a machine without
//! a readable RTC, as on Linux until someone sets the time). The CPU-time
//! clocks are not tracked yet: `EINVAL`.
//!
//! Sleeping: whole scheduler ticks through `sched::sleep` (rounded up, so
//! never short), then yielding until the clock has passed the deadline, so
//! a sleep lasts at least what was asked as measured by `CLOCK_MONOTONIC`.
//! A signal interrupts a sleep (the wait is interruptible): `EINTR`, or a
//! restart, with the time left written to `rem` for a relative sleep.

#![forbid(unsafe_code)]

use super::{ArgRegs, Args};
use crate::config::SCHED_HZ;
use crate::error::{Errno, SysResult};
use crate::user::uaccess::UserSlice;
use mello_abi::linux::clock::*;
use mello_abi::linux::{Timespec, Timeval};

/// Nanoseconds since boot.
pub fn now_ns() -> u64 {
    crate::arch::time::now_us().saturating_mul(1000)
}

/// Nanoseconds since the Unix epoch (the wall clock).
pub fn realtime_ns() -> u64 {
    crate::arch::time::realtime_us().saturating_mul(1000)
}

/// The reading of clock `id`, or EINVAL for a clock MelloOS does not keep.
fn clock_ns(id: u64) -> Result<u64, Errno> {
    match id {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(realtime_ns()),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => Ok(now_ns()),
        _ => Err(Errno::EINVAL),
    }
}

fn read_timespec(addr: usize) -> Result<Timespec, Errno> {
    let mut b = [0u8; Timespec::SIZE];
    UserSlice::new(addr, b.len())?.read_into(&mut b)?;
    Ok(Timespec::from_bytes(&b))
}

fn write_bytes(addr: usize, bytes: &[u8]) -> Result<(), Errno> {
    UserSlice::new(addr, bytes.len())?.write_from(bytes)
}

/// clock_gettime(clk, tp).
pub fn linux_clock_gettime(a: &Args) -> SysResult {
    let ns = clock_ns(a.get(0))?;
    write_bytes(a.a1(), &Timespec::from_nanos(ns).to_bytes())?;
    Ok(0)
}

/// clock_getres(clk, res): 1 µs for every clock kept; `res` may be null.
pub fn linux_clock_getres(a: &Args) -> SysResult {
    clock_ns(a.get(0))?;
    if a.a1() != 0 {
        write_bytes(a.a1(), &Timespec::from_nanos(1000).to_bytes())?;
    }
    Ok(0)
}

/// gettimeofday(tv, tz): either may be null; the time zone is UTC.
pub fn linux_gettimeofday(a: &Args) -> SysResult {
    if a.a0() != 0 {
        write_bytes(a.a0(), &Timeval::from_nanos(realtime_ns()).to_bytes())?;
    }
    if a.a1() != 0 {
        write_bytes(a.a1(), &[0u8; 8])?; // tz_minuteswest, tz_dsttime
    }
    Ok(0)
}

/// time(tloc): seconds; also stored at `tloc` unless null.
pub fn linux_time(a: &Args) -> SysResult {
    let secs = realtime_ns() / 1_000_000_000;
    if a.a0() != 0 {
        write_bytes(a.a0(), &secs.to_le_bytes())?;
    }
    Ok(secs as usize)
}

/// Sleep until `CLOCK_MONOTONIC` reaches `deadline` (ns since boot), unless
/// a signal is to be delivered first: then `Err` (the sleep is
/// interruptible, `sched::sleep::sleep_interruptible`).
fn sleep_until(deadline: u64) -> Result<(), ()> {
    let tick_ns = 1_000_000_000 / SCHED_HZ;
    let now = now_ns();
    if deadline > now {
        // `sleep(n)` lasts at least n whole ticks.
        let ticks = (deadline - now) / tick_ns;
        if ticks > 0 {
            crate::sched::sleep::sleep_interruptible(ticks).map_err(|_| ())?;
        }
    }
    while now_ns() < deadline {
        if crate::sched::with_current(|t| t.user_work.load(core::sync::atomic::Ordering::SeqCst)) {
            return Err(());
        }
        crate::sched::yield_now();
    }
    Ok(())
}

/// An interrupted sleep: the time left goes to `rem` (if given) and the
/// call returns `EINTR` when a handler runs; if none does (the signal
/// stopped and continued the process) it restarts (with its whole
/// request: Linux resumes it with the time left, `restart_syscall`).
fn interrupted(deadline: u64, rem: usize) -> SysResult {
    if rem != 0 {
        let left = Timespec::from_nanos(deadline.saturating_sub(now_ns()));
        write_bytes(rem, &left.to_bytes())?;
    }
    Err(Errno::ERESTARTNOHAND)
}

/// nanosleep(req, rem).
pub fn linux_nanosleep(a: &Args) -> SysResult {
    let ns = read_timespec(a.a0())?.to_nanos().ok_or(Errno::EINVAL)?;
    let deadline = now_ns().saturating_add(ns);
    if ns > 0 && sleep_until(deadline).is_err() {
        return interrupted(deadline, a.a1());
    }
    Ok(0)
}

/// clock_nanosleep(clk, flags, req, rem): relative, or absolute on `clk`
/// with `TIMER_ABSTIME` (turned into a `CLOCK_MONOTONIC` deadline; an
/// absolute sleep writes no `rem`).
pub fn linux_clock_nanosleep(a: &Args) -> SysResult {
    let (clk, flags) = (a.get(0), a.get(1));
    let clock_now = clock_ns(clk)?;
    let ns = read_timespec(a.a2())?.to_nanos().ok_or(Errno::EINVAL)?;
    let abs = flags & TIMER_ABSTIME != 0;
    let wait = if abs { ns.saturating_sub(clock_now) } else { ns };
    let deadline = now_ns().saturating_add(wait);
    if wait > 0 && sleep_until(deadline).is_err() {
        return interrupted(deadline, if abs { 0 } else { a.get(3) as usize });
    }
    Ok(0)
}

/// sched_yield().
pub fn linux_sched_yield(_: &Args) -> SysResult {
    crate::sched::yield_now();
    Ok(0)
}
