//! Boot-time clocks: the 8254 PIT as reference, the TSC as fast clock.
//!
//! The PIT runs at a fixed, architected 1 193 182 Hz on every PC, so it is
//! the reference the other clocks are measured against. [`init`] programs
//! channel 0 as a free-running rate generator (mode 2, reload 65536) and
//! *polls* it: the counter is latched and read, and elapsed ticks are the
//! wrapping difference of successive reads. Its IRQ 0 is never delivered
//! (the 8259 is masked and the I/O APIC pin stays masked), so no interrupt
//! is needed and [`delay_us`] works with interrupts off, before the APICs
//! exist. A poll loop must read the counter at least every 54.9 ms (one
//! wrap); every loop here reads it back to back.
//!
//! The TSC is then calibrated against the PIT ([`tsc_hz`]); once it is,
//! [`delay_us`] and [`now_us`] use the TSC (no port I/O, no lock, usable on
//! every CPU at once). Under `-icount shift=0` the TSC counts instructions
//! and the PIT follows the same virtual clock, so the calibration holds.
//!
//! The wall clock ([`realtime_us`]) is the RTC's time at [`init`] plus
//! the TSC's count since; without a readable RTC it starts at the Unix
//! epoch at boot (and the boot log says so).
//!
//! Locking: `PIT` (level `Device`) serialises the latch-and-read sequence on
//! the PIT's ports; it is held only for one read.

use crate::sync::{IrqSpinLock, LockLevel};
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::instructions::port::Port;

/// The PIT's input clock, in Hz.
pub const PIT_HZ: u64 = 1_193_182;

const PIT_CH0: u16 = 0x40;
const PIT_CMD: u16 = 0x43;
/// Channel 0, lobyte/hibyte access, mode 2 (rate generator), binary.
const PIT_CH0_MODE2: u8 = 0x34;
/// Channel 0 counter-latch command.
const PIT_CH0_LATCH: u8 = 0x00;

static PIT: IrqSpinLock<bool> = IrqSpinLock::new(LockLevel::Device, "pit", false);
/// Measured TSC frequency (0 until [`init`] ran).
static TSC_HZ: AtomicU64 = AtomicU64::new(0);
/// TSC value at calibration (origin of [`now_us`]).
static TSC_ORIGIN: AtomicU64 = AtomicU64::new(0);
/// Microseconds since the Unix epoch at the origin of [`now_us`].
static EPOCH_AT_ORIGIN_US: AtomicU64 = AtomicU64::new(0);

/// Read the PIT channel-0 counter (counts down, wraps from 1 to 65536).
fn pit_count() -> u16 {
    let mut started = PIT.lock();
    // SAFETY: ports 0x40/0x43 are the 8254 PIT on every PC; we hold `PIT`,
    // so no other CPU interleaves with this latch-then-read sequence.
    unsafe {
        if !*started {
            Port::<u8>::new(PIT_CMD).write(PIT_CH0_MODE2);
            Port::<u8>::new(PIT_CH0).write(0);
            Port::<u8>::new(PIT_CH0).write(0);
            *started = true;
        }
        Port::<u8>::new(PIT_CMD).write(PIT_CH0_LATCH);
        let lo = Port::<u8>::new(PIT_CH0).read();
        let hi = Port::<u8>::new(PIT_CH0).read();
        u16::from_le_bytes([lo, hi])
    }
}

/// A running PIT tick count, advanced by polling.
struct PitClock {
    last: u16,
    ticks: u64,
}

impl PitClock {
    fn start() -> Self {
        PitClock { last: pit_count(), ticks: 0 }
    }

    /// Poll the PIT; returns the ticks elapsed since `start`.
    fn poll(&mut self) -> u64 {
        let now = pit_count();
        self.ticks += self.last.wrapping_sub(now) as u64;
        self.last = now;
        self.ticks
    }
}

/// Busy-wait at least `ticks` PIT ticks.
fn pit_wait_ticks(ticks: u64) {
    let mut clock = PitClock::start();
    while clock.poll() < ticks {
        core::hint::spin_loop();
    }
}

/// Sample a counter between two PIT polls: (PIT midpoint in ticks since
/// `clock` started, counter value).
fn bracket(clock: &mut PitClock, sample: &mut impl FnMut() -> u64) -> (u64, u64) {
    let before = clock.poll();
    let value = sample();
    let after = clock.poll();
    (before + (after - before) / 2, value)
}

/// Measure how fast a counter runs against the PIT: sample it at both ends
/// of a window of about `window_us`, each sample bracketed by PIT reads
/// (the midpoint is used, so a sample delayed by an emulator's host
/// scheduling or an SMI costs at most half its bracket). The median of five
/// windows is returned, so one disturbed window (e.g. a stall long enough
/// to miss a PIT wrap) cannot skew the result. `sample` must return a
/// monotonically increasing count. Returns counts per second.
pub fn counter_hz(window_us: u64, mut sample: impl FnMut() -> u64) -> u64 {
    const WINDOWS: usize = 5;
    let want = (window_us * PIT_HZ / 1_000_000).max(1);
    let mut rates = [0u64; WINDOWS];
    for rate in rates.iter_mut() {
        let mut clock = PitClock::start();
        let (p0, c0) = bracket(&mut clock, &mut sample);
        while clock.poll() < p0 + want {
            core::hint::spin_loop();
        }
        let (p1, c1) = bracket(&mut clock, &mut sample);
        *rate = ((c1 - c0) as u128 * PIT_HZ as u128 / (p1 - p0).max(1) as u128) as u64;
    }
    rates.sort_unstable();
    rates[WINDOWS / 2]
}

/// Program the PIT and calibrate the TSC against it (BSP, once, early).
pub fn init() {
    pit_count();
    let hz = counter_hz(5_000, crate::arch::cpu::rdtsc);
    TSC_ORIGIN.store(crate::arch::cpu::rdtsc(), Ordering::Relaxed);
    TSC_HZ.store(hz, Ordering::Release);
    match super::rtc::read() {
        Some(t) => {
            let secs = t.unix_seconds().unwrap_or(0);
            EPOCH_AT_ORIGIN_US.store(secs.saturating_mul(1_000_000).saturating_sub(now_us()), Ordering::Relaxed);
            crate::klog!("TIME", "RTC: {:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", t.year, t.month, t.day, t.hour, t.minute, t.second);
        }
        None => crate::klog!("TIME", "no valid RTC time: the wall clock starts at the Unix epoch"),
    }
}

/// Microseconds since the Unix epoch (the RTC at boot plus the TSC since).
pub fn realtime_us() -> u64 {
    EPOCH_AT_ORIGIN_US.load(Ordering::Relaxed) + now_us()
}

/// Measured TSC frequency in Hz (0 before [`init`]).
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Acquire)
}

/// Microseconds since [`init`] (TSC based; 0 before it).
pub fn now_us() -> u64 {
    let hz = tsc_hz();
    if hz == 0 {
        return 0;
    }
    let dt = crate::arch::cpu::rdtsc().saturating_sub(TSC_ORIGIN.load(Ordering::Relaxed));
    (dt as u128 * 1_000_000 / hz as u128) as u64
}

/// Busy-wait at least `us` microseconds. Works with interrupts off and
/// before the APICs are set up (PIT polling until the TSC is calibrated).
pub fn delay_us(us: u64) {
    let hz = tsc_hz();
    if hz == 0 {
        pit_wait_ticks((us * PIT_HZ).div_ceil(1_000_000));
        return;
    }
    let start = crate::arch::cpu::rdtsc();
    let ticks = (us as u128 * hz as u128).div_ceil(1_000_000) as u64;
    while crate::arch::cpu::rdtsc().wrapping_sub(start) < ticks {
        core::hint::spin_loop();
    }
}
