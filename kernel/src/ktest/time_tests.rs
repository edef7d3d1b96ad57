//! Wall clock: the RTC reads back a valid date, and `realtime_us` (the
//! RTC at boot plus the TSC since) agrees with a fresh RTC reading and
//! moves forward with the monotonic clock; counter calibration against
//! the PIT survives CPU stalls long enough to hide a PIT wrap (a loaded
//! TCG host once made the TSC look 3x faster than it was).

use super::Test;
use crate::arch::{rtc, time};
use crate::kassert;
use alloc::string::String;

pub const TESTS: &[Test] = &[
    ("rtc: the wall clock is the RTC's time and advances with the TSC", wall_clock_is_rtc),
    ("calibration: windows with a stall that hides a PIT wrap are thrown away", calibration_survives_stalls),
];

/// 2024-01-01T00:00:00Z: any RTC a test machine has is later than this.
const NOT_BEFORE: u64 = 1_704_067_200;

fn wall_clock_is_rtc() -> Result<(), String> {
    let t = rtc::read().ok_or("the RTC gave no valid date")?;
    let rtc_secs = t.unix_seconds().ok_or("RTC date out of range")?;
    kassert!(rtc_secs >= NOT_BEFORE, "RTC says {t:?}, before 2024");
    let wall = time::realtime_us() / 1_000_000;
    // Both count whole seconds from one instant; the RTC's second may tick
    // between the two reads, and the boot-time reading was truncated.
    kassert!(wall.abs_diff(rtc_secs) <= 2, "wall clock {wall} s, RTC {rtc_secs} s ({t:?})");
    let w0 = time::realtime_us();
    time::delay_us(20_000);
    let w1 = time::realtime_us();
    kassert!(w1 - w0 >= 20_000, "the wall clock moved {} us in a 20 ms delay", w1 - w0);
    Ok(())
}

/// Calibrate the TSC again while the "counter" stalls for 65, 80 and 95 ms
/// (each longer than a PIT wrap, which then goes unseen) when the first
/// three windows take their closing sample: those windows come out several
/// times too fast, so a plain median of five would be wrong.
fn calibration_survives_stalls() -> Result<(), String> {
    let hz = time::tsc_hz();
    let mut calls = 0;
    let measured = time::counter_hz(5_000, || {
        calls += 1;
        // Each window samples twice: calls 2, 4 and 6 close windows 1-3.
        if calls % 2 == 0 && calls <= 6 {
            time::delay_us(50_000 + 7_500 * calls);
        }
        crate::arch::cpu::rdtsc()
    });
    kassert!(calls >= 12, "only {calls} samples: the stalled windows were not all measured");
    kassert!(measured.abs_diff(hz) < hz / 50, "measured {measured} Hz with stalls, {hz} Hz at boot");
    Ok(())
}
